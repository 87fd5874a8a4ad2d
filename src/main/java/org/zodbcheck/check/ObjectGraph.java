package org.zodbcheck.check;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.Reachability;
import org.zodbcheck.graph.RefGraph;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.pickle.RefForm;
import org.zodbcheck.pickle.ReferenceSink;

/**
 * What a check learnt, kept for the commands that answer questions about single objects
 * ({@code referrers}, {@code path}, {@code show}, {@code refs}): every object of the checked
 * databases, its references and whether a root reaches it, with the storages still open for
 * reading records. Made by {@link CheckRefs#analyse}; close it to close the storages.
 */
public final class ObjectGraph implements Closeable {
    /**
     * An object of one of the checked databases: {@code idx} below the number of records of
     * its database is an oid with a record; above, an oid that is only referred to.
     */
    public record Node(int db, int idx) {
    }

    /** A persistent reference from one object to another. */
    public record Edge(Node from, Node to, RefForm form) {
    }

    /** One database's share of the check (package-private types stay inside). */
    record Part(Database database, StorageIndex index, ReferencePass.Result refs) {
        int records() {
            return index.size();
        }
    }

    private final List<Part> parts;
    private final Reachability reach;
    private final ClassTable classes;
    private final long maxRecord;
    private final Summary summary;
    private final List<StorageFile> files;
    private final Map<String, Integer> byName = new HashMap<>();
    /** Reused by {@link #data}: one buffer and one inflater, not one per record. */
    private RecordData recordData;

    ObjectGraph(List<Part> parts, Reachability reach, ClassTable classes,
                long maxRecord, Summary summary, List<StorageFile> files) {
        this.parts = parts;
        this.reach = reach;
        this.classes = classes;
        this.maxRecord = maxRecord;
        this.summary = summary;
        this.files = files;
        for (int i = 0; i < parts.size(); i++) {
            byName.put(parts.get(i).database().name(), i);
        }
    }

    public Summary summary() {
        return summary;
    }

    /** The checked databases' names, in the order they were given. */
    public List<String> databases() {
        return parts.stream().map(p -> p.database().name()).toList();
    }

    /** The object {@code oid} of database {@code db}, or {@code null} when nothing knows that oid. */
    public Node find(String db, long oid) {
        Integer d = byName.get(db);
        if (d == null) {
            return null;
        }
        Part p = parts.get(d);
        int idx = p.index().oids.find(oid);
        if (idx >= 0) {
            return new Node(d, idx);
        }
        int phantom = p.refs().phantoms.find(oid);
        return phantom >= 0 ? new Node(d, p.records() + phantom) : null;
    }

    /** The root object (oid 0) of each database that has one. */
    public List<Node> roots() {
        List<Node> roots = new ArrayList<>();
        for (int d = 0; d < parts.size(); d++) {
            int idx = parts.get(d).index().oids.find(0L);
            if (idx >= 0) {
                roots.add(new Node(d, idx));
            }
        }
        return roots;
    }

    public String db(Node n) {
        return parts.get(n.db()).database().name();
    }

    public long oid(Node n) {
        Part p = parts.get(n.db());
        return n.idx() < p.records() ? p.index().oids.oid(n.idx()) : p.refs().phantoms.oid(n.idx() - p.records());
    }

    public boolean hasRecord(Node n) {
        return n.idx() < parts.get(n.db()).records();
    }

    /** Why the object cannot be loaded, or {@code null} if it can. */
    public Cause cause(Node n) {
        if (!hasRecord(n)) {
            return Cause.NO_RECORD;
        }
        return switch (parts.get(n.db()).index().stateOf(n.idx())) {
            case StorageIndex.DELETED -> Cause.NO_DATA;
            case StorageIndex.BROKEN -> Cause.UNLOADABLE;
            default -> null;
        };
    }

    /** The current data cannot be parsed as pickles. */
    public boolean unreadable(Node n) {
        return hasRecord(n) && parts.get(n.db()).index().is(n.idx(), StorageIndex.UNREADABLE);
    }

    /** What is wrong with the object's current data (as check-refs reports it), or {@code null}. */
    public String problem(Node n) {
        for (ReferencePass.RecordProblem p : parts.get(n.db()).refs().problems) {
            if (p.idx() == n.idx() && hasRecord(n)) {
                return p.message();
            }
        }
        return null;
    }

    /** The header of the record that holds the current data (after backpointers), or {@code null}. */
    public DataHeader dataHeader(Node n) throws IOException {
        return cause(n) != null ? null : header(n.db(), parts.get(n.db()).index().dataPos.get(n.idx()));
    }

    public boolean reachable(Node n) {
        return reach.reachable(n.db(), n.idx());
    }

    /** The class named by the current record's class pickle, or {@code null}. */
    public String className(Node n) {
        return hasRecord(n) ? classes.name(parts.get(n.db()).index().classId.get(n.idx())) : null;
    }

    /** File position of the current record, or -1 for an oid with no record. */
    public long currentPos(Node n) {
        return hasRecord(n) ? parts.get(n.db()).index().currentPos.get(n.idx()) : -1;
    }

    /** The storage file of {@code db}, open for reading. */
    public StorageFile file(int db) {
        return files.get(db);
    }

    /** Where the good prefix of {@code db}'s storage ends (records past it are not read). */
    public long goodEnd(int db) {
        return parts.get(db).index().goodEnd;
    }

    /** The data header at {@code pos} of {@code db}'s storage. */
    public DataHeader header(int db, long pos) throws IOException {
        try {
            return files.get(db).readDataHeader(pos, goodEnd(db));
        } catch (FileStorageException e) {
            throw new IOException(e.describe(), e);
        }
    }

    /**
     * The class named by the record at {@code pos} of {@code db}'s storage if it holds data of
     * its own (not a backpointer), or {@code null}: what an object was before it lost its data.
     */
    public String classAt(int db, long pos) throws IOException {
        DataHeader h = header(db, pos);
        RecordData data = h.plen() > 0 ? load(db, h) : null;
        if (data == null) {
            return null;
        }
        PickleScanner scanner = new PickleScanner();
        scanner.scan(data.data(), data.off(), data.len(), ReferenceSink.NONE);
        return scanner.className(); // the class pickle comes first: known even if the state is damaged
    }

    /**
     * The current data of an object after backpointers and record transforms (zlib), or
     * {@code null} when it has none, is larger than the record limit or cannot be decoded.
     */
    public byte[] data(Node n) throws IOException {
        if (cause(n) != null) {
            return null;
        }
        RecordData data = load(n.db(), dataHeader(n));
        return data == null ? null : java.util.Arrays.copyOfRange(data.data(), data.off(), data.off() + data.len());
    }

    /**
     * The data of the record {@code h} after record transforms (zlib), in the one reused buffer;
     * {@code null} if it is larger than the record limit or cannot be decoded.
     */
    private RecordData load(int db, DataHeader h) throws IOException {
        if (h.plen() > maxRecord) {
            return null;
        }
        byte[] raw = files.get(db).read(h.dataPos(), (int) h.plen());
        if (recordData == null) {
            recordData = new RecordData(maxRecord);
        }
        return recordData.load(raw, 0, raw.length) ? recordData : null;
    }

    /** The object's references as the walk saw them: its own database's first, then the others. */
    public List<Edge> references(Node n) {
        List<Edge> out = new ArrayList<>();
        if (!hasRecord(n)) {
            return out;
        }
        RefGraph g = parts.get(n.db()).refs().graph;
        int s = g.start(n.idx());
        for (int e = s; e < s + g.count(n.idx()); e++) {
            out.add(new Edge(n, new Node(n.db(), g.target(e)), ReferencePass.form(g.flags(e))));
        }
        for (ReferencePass.CrossRef c : parts.get(n.db()).refs().cross) {
            if (c.from() == n.idx()) {
                Node to = crossTarget(c);
                if (to != null) {
                    out.add(new Edge(n, to, c.form()));
                }
            }
        }
        return out;
    }

    /** The target of a reference into another database, or {@code null} for a database not checked. */
    private Node crossTarget(ReferencePass.CrossRef c) {
        Integer d = byName.get(c.db());
        return d == null ? null : find(c.db(), c.oid());
    }

    /**
     * Every reference to {@code target} from a current record, one per occurrence, in database
     * and then file order of the referrer's oid number. Reads every edge: for a few queries, not
     * for a loop over all objects.
     */
    public List<Edge> referrers(Node target) {
        List<Edge> out = new ArrayList<>();
        for (int d = 0; d < parts.size(); d++) {
            Part p = parts.get(d);
            RefGraph g = p.refs().graph;
            for (int idx = 0; idx < p.records(); idx++) {
                int s = g.start(idx);
                for (int e = s; e < s + g.count(idx); e++) {
                    if (d == target.db() && g.target(e) == target.idx()) {
                        out.add(new Edge(new Node(d, idx), target, ReferencePass.form(g.flags(e))));
                    }
                }
            }
            for (ReferencePass.CrossRef c : p.refs().cross) {
                if (target.equals(crossTarget(c))) {
                    out.add(new Edge(new Node(d, c.from()), target, c.form()));
                }
            }
        }
        return out;
    }

    /**
     * For every object a root reaches, the strong reference through which a breadth-first walk
     * from the roots (in database order) first reached it: following these back from an object
     * gives a shortest chain from a root.
     */
    public Map<Node, Edge> parents() {
        Map<Node, Edge> parent = new HashMap<>();
        ArrayDeque<Node> queue = new ArrayDeque<>();
        for (Node root : roots()) {
            parent.put(root, null);
            queue.add(root);
        }
        Map<Node, List<Edge>> crossOut = new HashMap<>();
        for (int d = 0; d < parts.size(); d++) {
            for (ReferencePass.CrossRef c : parts.get(d).refs().cross) {
                Node to = c.form().strong() ? crossTarget(c) : null;
                if (to != null) {
                    Node from = new Node(d, c.from());
                    crossOut.computeIfAbsent(from, k -> new ArrayList<>()).add(new Edge(from, to, c.form()));
                }
            }
        }
        while (!queue.isEmpty()) {
            Node n = queue.poll();
            for (Edge e : strongOut(n, crossOut)) {
                if (!parent.containsKey(e.to())) {
                    parent.put(e.to(), e);
                    if (hasRecord(e.to())) {
                        queue.add(e.to());
                    }
                }
            }
        }
        return parent;
    }

    private List<Edge> strongOut(Node n, Map<Node, List<Edge>> crossOut) {
        List<Edge> out = new ArrayList<>();
        RefGraph g = parts.get(n.db()).refs().graph;
        int s = g.start(n.idx());
        for (int e = s; e < s + g.count(n.idx()); e++) {
            if ((g.flags(e) & ReferencePass.STRONG) != 0) {
                out.add(new Edge(n, new Node(n.db(), g.target(e)), ReferencePass.form(g.flags(e))));
            }
        }
        out.addAll(crossOut.getOrDefault(n, List.of()));
        return out;
    }

    /** Every object with a record in {@code db}, by oid (ZODB's unsigned order). */
    public List<Node> objects(int db) {
        Part p = parts.get(db);
        Integer[] order = new Integer[p.records()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compareUnsigned(p.index().oids.oid(a), p.index().oids.oid(b)));
        List<Node> out = new ArrayList<>(order.length);
        for (Integer i : order) {
            out.add(new Node(db, i));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        if (recordData != null) {
            recordData.close();
        }
        IOException first = null;
        for (StorageFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
