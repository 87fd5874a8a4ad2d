package org.zodbcheck.inspect;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.zodbcheck.check.Cause;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.check.ObjectGraph.Edge;
import org.zodbcheck.check.ObjectGraph.Node;
import org.zodbcheck.pickle.ReferenceLabels;

/**
 * {@code zodbcheck path}: chains of references that lead to an object. For an object a root
 * reaches: the shortest chain from a root. For an oid that cannot be loaded, or garbage: one
 * chain per referrer, each leading to the referrer (from a root, or from the topmost garbage
 * object above it), then the last hop.
 */
public final class Paths {
    /** Garbage chains stop after this many hops up (a long unreachable list). */
    private static final int MAX_UP = 10_000;

    /**
     * One object on a chain.
     *
     * @param label where the reference from the previous hop sits in its pickle ({@code null}
     *     for the first hop, or when the pickle does not show it)
     * @param form the form of that reference ({@code null} for the first hop)
     * @param cause why the object cannot be loaded, or {@code null}
     */
    public record Hop(String db, long oid, String className, String label, String form, Cause cause,
                      boolean reachable) {
    }

    /**
     * @param fromRoot the chain starts at a database root; else at an unreachable object that
     *     no other object refers to (or that is part of a cycle of garbage)
     * @param topInCycle the chain starts at garbage that objects further down the chain (or
     *     below them) refer to: the top of a cycle of garbage, not an object nothing refers to
     */
    public record Chain(List<Hop> hops, boolean fromRoot, boolean topInCycle) {
        public Hop target() {
            return hops.get(hops.size() - 1);
        }
    }

    private final ObjectGraph graph;
    private final Labels labels;
    private Map<Node, Edge> parents;

    public Paths(ObjectGraph graph) {
        this.graph = graph;
        this.labels = new Labels(graph);
    }

    /** The chains to {@code target} (an object nothing refers to gets a chain of itself alone). */
    public List<Chain> to(Node target) throws IOException {
        if (parents == null) {
            parents = graph.parents();
        }
        if (parents.containsKey(target) && graph.cause(target) == null) {
            return List.of(chain(up(target, target)));
        }
        List<Edge> into = graph.referrers(target);
        if (into.isEmpty()) {
            return List.of(new Chain(List.of(hop(target, null)), false, false));
        }
        Map<Node, Edge> byReferrer = new LinkedHashMap<>();
        into.stream().sorted(Comparator.comparing((Edge e) -> !e.form().strong())
                .thenComparing((Edge e) -> !parents.containsKey(e.from())))
                .forEach(e -> byReferrer.putIfAbsent(e.from(), e));
        List<Chain> chains = new ArrayList<>();
        for (Edge last : byReferrer.values()) {
            // the walk up from a garbage referrer does not come back through the target (a cycle)
            List<Edge> edges = up(last.from(), target);
            edges.add(last);
            chains.add(chain(edges));
        }
        return chains;
    }

    /**
     * The edges leading to {@code n}, first edge first: along the walk's parents when a root
     * reaches {@code n}; else up through referrers (the lowest oid not yet seen) to the top.
     * When nothing leads to {@code n}, a single edge with no {@code from}.
     */
    private List<Edge> up(Node n, Node target) {
        List<Edge> rev = new ArrayList<>();
        if (parents.containsKey(n)) {
            for (Edge e = parents.get(n); e != null; e = parents.get(e.from())) {
                rev.add(e);
            }
        } else {
            Set<Node> seen = new HashSet<>();
            seen.add(n);
            seen.add(target);
            Node at = n;
            while (rev.size() < MAX_UP) {
                Edge next = graph.referrers(at).stream().filter(e -> !seen.contains(e.from()))
                        .min(Comparator.comparing((Edge e) -> !e.form().strong())
                                .thenComparing(e -> graph.oid(e.from()), Long::compareUnsigned))
                        .orElse(null);
                if (next == null) {
                    break;
                }
                rev.add(next);
                seen.add(next.from());
                at = next.from();
            }
        }
        List<Edge> edges = new ArrayList<>(rev.size() + 1);
        for (int i = rev.size() - 1; i >= 0; i--) {
            edges.add(rev.get(i));
        }
        if (edges.isEmpty()) {
            edges.add(new Edge(null, n, null));
        }
        return edges;
    }

    private Chain chain(List<Edge> edges) throws IOException {
        List<Hop> hops = new ArrayList<>();
        Edge first = edges.get(0);
        Node start = first.from() != null ? first.from() : first.to();
        hops.add(hop(start, null));
        for (Edge e : edges) {
            if (e.from() != null) {
                hops.add(hop(e.to(), e));
            }
        }
        boolean fromRoot = graph.oid(start) == 0 && parents.containsKey(start);
        return new Chain(hops, fromRoot, !fromRoot && !graph.referrers(start).isEmpty());
    }

    /** A hop; an object without data takes the class its referrer's reference names (if any). */
    private Hop hop(Node n, Edge via) throws IOException {
        ReferenceLabels.Labeled l = via == null ? null : labels.labeled(via);
        String className = graph.className(n) != null ? graph.className(n) : l != null ? l.klass() : null;
        return new Hop(graph.db(n), graph.oid(n), className, l == null ? null : l.label(),
                via == null ? null : via.form().label(), graph.cause(n), graph.reachable(n));
    }
}
