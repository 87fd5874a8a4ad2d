package org.zodbcheck.inspect;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.pickle.ReferenceLabels;

/**
 * Where in its referrer's pickle a reference sits ({@code ['app']}, {@code .link}, a BTree
 * key), read from the referrer's current record. Keeps the decoded records it has read.
 */
public final class Labels {
    private final ObjectGraph graph;
    private final Map<ObjectGraph.Node, List<ReferenceLabels.Labeled>> cache = new HashMap<>();

    public Labels(ObjectGraph graph) {
        this.graph = graph;
    }

    /** Every labelled reference of an object's current record, in pickle order (empty if it has no data). */
    public List<ReferenceLabels.Labeled> of(ObjectGraph.Node n) throws IOException {
        List<ReferenceLabels.Labeled> l = cache.get(n);
        if (l == null) {
            byte[] data = graph.data(n);
            l = data == null ? List.of() : ReferenceLabels.of(data, 0, data.length);
            cache.put(n, l);
        }
        return l;
    }

    /** The label of the first reference of {@code e.from()} to {@code e.to()} in that form, or {@code null}. */
    public String of(ObjectGraph.Edge e) throws IOException {
        ReferenceLabels.Labeled l = labeled(e);
        return l == null ? null : l.label();
    }

    /** The first reference of {@code e.from()} to {@code e.to()} in that form, or {@code null}. */
    public ReferenceLabels.Labeled labeled(ObjectGraph.Edge e) throws IOException {
        String fromDb = graph.db(e.from());
        String toDb = graph.db(e.to());
        long toOid = graph.oid(e.to());
        for (ReferenceLabels.Labeled l : of(e.from())) {
            String db = l.database() != null ? l.database() : fromDb;
            if (l.oid() == toOid && db.equals(toDb) && l.form() == e.form()) {
                return l;
            }
        }
        return null;
    }
}
