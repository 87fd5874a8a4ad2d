package org.zodbcheck.check;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.IntPages;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.graph.RefGraph;
import org.zodbcheck.graph.Reachability;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.pickle.RefForm;

/**
 * {@code check-refs}: reads each database twice (headers, then the current pickles), walks the
 * strong references from every root across databases, and reports references to objects that
 * cannot be loaded, unreadable records, structure damage and, on request, garbage.
 *
 * <p>Never writes: every file is opened for reading only.
 */
public final class CheckRefs {
    /**
     * @param listGarbage report every unreachable object with data as a {@code garbage} finding
     * @param threads threads that scan pickles (1: no extra threads)
     * @param maxRecord data records longer than this are not loaded
     * @param progress told how far the passes have come
     * @param split the second pass reads the file in parts of about this many bytes, one thread
     *     per part
     * @param graph receives every object and reference after the walk, or {@code null}
     * @param history also look at the references of older revisions ({@code history-dangling})
     * @param spillDir where the tables go once they outgrow the heap budget ({@code null}: they
     *     never spill, and the heap may run out instead)
     * @param tableBudget bytes of heap the tables may take before they spill; 0: from the JVM's
     *     heap ({@link Memory#ofHeap})
     */
    public record Options(boolean listGarbage, int threads, long maxRecord, Progress progress, long split,
                          GraphListener graph, boolean history, Path spillDir, long tableBudget) {
        public static Options defaults() {
            return new Options(false, Runtime.getRuntime().availableProcessors(), 1L << 30, Progress.NONE, 4L << 20,
                    null, false, Memory.defaultSpillDir(), 0);
        }

        public Options withSpill(Path dir, long budget) {
            return new Options(listGarbage, threads, maxRecord, progress, split, graph, history, dir, budget);
        }

        /** The memory of one run: a new budget each time. */
        Memory memory() {
            if (tableBudget > 0) {
                return new Memory(tableBudget, spillDir);
            }
            return Memory.ofHeap(spillDir);
        }

        public Options withHistory(boolean h) {
            return new Options(listGarbage, threads, maxRecord, progress, split, graph, h, spillDir, tableBudget);
        }

        public Options withListGarbage(boolean list) {
            return new Options(list, threads, maxRecord, progress, split, graph, history, spillDir, tableBudget);
        }

        public Options withThreads(int n) {
            return new Options(listGarbage, n, maxRecord, progress, split, graph, history, spillDir, tableBudget);
        }

        public Options withProgress(Progress p) {
            return new Options(listGarbage, threads, maxRecord, p, split, graph, history, spillDir, tableBudget);
        }

        public Options withSplit(long bytes) {
            return new Options(listGarbage, threads, maxRecord, progress, bytes, graph, history, spillDir, tableBudget);
        }

        public Options withGraph(GraphListener g) {
            return new Options(listGarbage, threads, maxRecord, progress, split, g, history, spillDir, tableBudget);
        }
    }

    private static final int GROUP_STRUCTURE = 0;
    private static final int GROUP_ROOT = 1;
    private static final int GROUP_OBJECT = 2;
    private static final int GROUP_GARBAGE = 3;

    private record Keyed(Finding finding, int db, int group, long pos, long seq) {
    }

    /** One database during the check. */
    private static final class Db {
        final int number;
        final Database database;
        StorageIndex index;
        ReferencePass.Result refs;

        Db(int number, Database database) {
            this.number = number;
            this.database = database;
        }

        int records() {
            return index.size();
        }

        int nodes() {
            return index.size() + refs.phantoms.size();
        }
    }

    private final List<Database> databases;
    private final Options options;
    private final ClassTable classes = new ClassTable();
    private final List<Db> dbs = new ArrayList<>();
    private final Map<String, Db> byName = new HashMap<>();
    private final List<Keyed> findings = new ArrayList<>();
    private final Map<String, String> classNames = new HashMap<>();
    /** What rescans the suspect objects (on the calling thread only): one for all of them. */
    private PickleScanner detailScanner;
    private RecordData detailData;
    private final Map<String, Double> phases = new LinkedHashMap<>();
    private Reachability reach;
    private Memory memory;

    private static final long WARM_UP_BYTES = 8L << 20;

    /**
     * Starts warming the JIT up on the first megabytes of {@code storage}, on a daemon thread,
     * when it is a file larger than 32 MB: picocli takes about 0.1 s to parse the command line on
     * a cold JVM, and the first pass then starts with its code compiled (25-35 ms less on a 275
     * MB storage). Reads only, like the check; a file that is no storage, or a damaged one, just
     * ends the warm-up (the check reports it).
     *
     * @return the warm-up's thread, or {@code null} when none was started
     */
    public static Thread warmUpAhead(Path storage) {
        try {
            if (storage == null || !java.nio.file.Files.isRegularFile(storage)
                    || java.nio.file.Files.size(storage) <= ReferencePass.WARM_UP_ABOVE) {
                return null;
            }
        } catch (IOException | SecurityException e) {
            return null;
        }
        Thread t = new Thread(() -> {
            try (StorageFile file = StorageFile.open(storage)) {
                IndexPass.warmUp(file, WARM_UP_BYTES);
            } catch (FileStorageException | IOException | RuntimeException e) {
                // not a storage, or damaged: the check itself will say so
            }
        }, "zodbcheck-warm-up");
        t.setDaemon(true);
        t.start();
        return t;
    }

    public CheckRefs(List<Database> databases, Options options) {
        this.databases = List.copyOf(databases);
        this.options = options;
    }

    /**
     * Runs the check and passes every finding to {@code sink}, sorted: per database, structure
     * first, then a missing root, then per object in file order, then garbage.
     *
     * @throws FileStorageException if a storage cannot be read as a FileStorage at all
     */
    public Summary run(FindingSink sink) throws FileStorageException, IOException {
        try (ObjectGraph graph = analyse(sink)) {
            return graph.summary();
        }
    }

    /**
     * Runs the check like {@link #run} and keeps what it learnt: the objects, their references
     * and reachability, with the storages still open for reading records. The caller closes it.
     */
    public ObjectGraph analyse(FindingSink sink) throws FileStorageException, IOException {
        long start = System.nanoTime();
        memory = options.memory();
        List<StorageFile> files = new ArrayList<>();
        ExecutorService pool = null;
        boolean done = false;
        try {
            for (Database d : databases) {
                files.add(StorageFile.open(d.path()));
            }
            if (options.threads() > 1) {
                pool = Executors.newFixedThreadPool(options.threads(), r -> {
                    Thread t = new Thread(r, "zodbcheck-scan");
                    t.setDaemon(true);
                    return t;
                });
            }
            passes(files, pool);
            long t2 = System.nanoTime();
            // The second core is idle during the walk and while the findings are made: what reads
            // only the tables of the passes (or the finished walk) runs there meanwhile.
            Future<boolean[][]> suspects = beside(pool, this::suspects);
            List<Reachability.CrossEdge> cross = resolveCrossReferences();
            walk(cross);
            long t3 = System.nanoTime();
            // listed, the garbage becomes findings, which only this thread adds: counted, it runs beside
            Future<long[]> garbageCounts = options.listGarbage() ? null : beside(pool, this::garbage);
            rootFindings();
            referenceFindings(Tasks.get(suspects));
            recordFindings();
            blobFindings();
            if (options.history()) {
                long t5 = System.nanoTime();
                historyFindings();
                phase("read the older revisions", t5, System.nanoTime());
            }
            long[] garbage = garbageCounts != null ? Tasks.get(garbageCounts) : garbage();
            addReferrers();
            phase("walked the references", t2, t3);
            phase("made the findings", t3, System.nanoTime());
            if (options.graph() != null) {
                long t4 = System.nanoTime();
                graph(options.graph(), pool);
                phase("wrote the reference database", t4, System.nanoTime());
            }
            Summary summary = emit(sink, garbage, (System.nanoTime() - start) / 1e9);
            ObjectGraph graph = new ObjectGraph(views(), reach, classes, options.maxRecord(), summary, files);
            done = true;
            return graph;
        } finally {
            if (detailData != null) {
                detailData.close(); // its Inflater's native memory, at once
            }
            if (pool != null) {
                pool.shutdownNow();
            }
            if (!done) {
                for (StorageFile f : files) {
                    f.close();
                }
            }
        }
    }

    private void passes(List<StorageFile> files, ExecutorService pool) throws FileStorageException, IOException {
        java.util.concurrent.Future<?> warmUp = ReferencePass.warmUpAhead(pool,
                files.stream().mapToLong(StorageFile::size).max().orElse(0));
        for (int i = 0; i < databases.size(); i++) {
            Db db = new Db(i, databases.get(i));
            int n = i;
            long t0 = System.nanoTime();
            db.index = IndexPass.run(db.database, files.get(i), f -> add(f, n, GROUP_STRUCTURE, posOf(f)),
                    options.progress(), options.split(), options.graph() != null, memory);
            long t1 = System.nanoTime();
            db.refs = new ReferencePass(db.index, classes, pool, options.threads(), options.maxRecord(),
                    options.progress(), warmUp).run();
            phase(db.database.name() + ": read headers", t0, t1);
            phase(db.database.name() + ": extracted references", t1, System.nanoTime());
            dbs.add(db);
            byName.put(db.database.name(), db);
        }
    }

    private List<ObjectGraph.Part> views() {
        return dbs.stream().map(db -> new ObjectGraph.Part(db.database, db.index, db.refs)).toList();
    }

    private void phase(String name, long from, long to) {
        phases.put(name, (to - from) / 1e9);
    }

    private static long posOf(Finding f) {
        return f instanceof StructureFinding s ? s.pos() : 0;
    }

    private void add(Finding f, int db, int group, long pos) {
        findings.add(new Keyed(f, db, group, pos, findings.size()));
    }

    /** Target node of a cross-database reference; oids without a record become phantom nodes. */
    private int node(Db db, long oid) {
        int t = db.index.oids.find(oid);
        return t >= 0 ? t : db.records() + db.refs.phantoms.intern(oid);
    }

    private List<Reachability.CrossEdge> resolveCrossReferences() {
        List<Reachability.CrossEdge> edges = new ArrayList<>();
        for (Db db : dbs) {
            for (ReferencePass.CrossRef c : db.refs.cross) {
                Db target = byName.get(c.db());
                if (target != null && c.form().strong()) {
                    edges.add(new Reachability.CrossEdge(db.number, c.from(), target.number, node(target, c.oid())));
                }
            }
        }
        return edges;
    }

    private void walk(List<Reachability.CrossEdge> cross) {
        List<RefGraph> graphs = new ArrayList<>();
        int[] counts = new int[dbs.size()];
        int[] roots = new int[dbs.size()];
        for (Db db : dbs) {
            graphs.add(db.refs.graph);
            counts[db.number] = db.nodes();
            roots[db.number] = db.index.oids.find(0L);
        }
        reach = Reachability.walk(graphs, counts, roots, cross, ReferencePass.STRONG, memory);
    }

    /** Why {@code node} of {@code db} cannot be loaded, or {@code null} if it can. */
    private static Cause cause(Db db, int node) {
        if (node >= db.records()) {
            return Cause.NO_RECORD;
        }
        return switch (db.index.stateOf(node)) {
            case StorageIndex.DELETED -> Cause.NO_DATA;
            case StorageIndex.BROKEN -> Cause.UNLOADABLE;
            default -> null;
        };
    }

    private void rootFindings() throws IOException {
        for (Db db : dbs) {
            int root = db.index.oids.find(0L);
            Cause c = root < 0 ? Cause.NO_RECORD : cause(db, root);
            if (c != null) {
                Long deleted = c == Cause.NO_DATA ? tidOf(db, root) : null;
                add(new ReferenceFinding(Kind.POSKEYERROR, db.database.name(), 0L, c, null, true, null, null,
                        deleted, List.of()), db.number, GROUP_ROOT, 0);
            }
        }
    }

    /**
     * Per database, the objects with a reference inside it to a node that cannot be loaded. Reads
     * only the graph and the states of the passes, so it may run while the walk reads them too.
     */
    private boolean[][] suspects() {
        boolean[][] all = new boolean[dbs.size()][];
        for (Db db : dbs) {
            boolean[] suspect = new boolean[db.records()];
            RefGraph g = db.refs.graph;
            for (int idx = 0; idx < db.records(); idx++) {
                if (!db.index.hasData(idx)) {
                    continue;
                }
                int s = g.start(idx);
                for (int e = s; e < s + g.count(idx); e++) {
                    if (cause(db, g.target(e)) != null) {
                        suspect[idx] = true;
                        break;
                    }
                }
            }
            all[db.number] = suspect;
        }
        return all;
    }

    /**
     * Adds the objects whose references into other databases are bad to the {@link #suspects},
     * then rescans just those for details. (Cross references are few; resolving them may add
     * phantom nodes, so this runs on the calling thread, after the walk.)
     */
    private void referenceFindings(boolean[][] suspects) throws IOException {
        for (Db db : dbs) {
            boolean[] suspect = suspects[db.number];
            for (ReferencePass.CrossRef c : db.refs.cross) {
                Db target = byName.get(c.db());
                if (target == null ? c.form().strong() : cause(target, node(target, c.oid())) != null
                        || !db.database.implicitCrossReferences()) {
                    suspect[c.from()] = true;
                }
            }
            for (int idx = 0; idx < suspect.length; idx++) {
                if (suspect[idx]) {
                    detail(db, idx);
                }
            }
        }
    }

    /** One scanned reference of a suspect object. */
    private record Ref(RefForm form, long oid, String db, String klass, int index) {
    }

    /** What the references of one finding share: the target and whether they are strong. */
    private record Target(String db, long oid, boolean strong) {
    }

    /**
     * The references of one finding: their target's database and node (null and -1 for a
     * database not configured) and why it cannot be loaded (null for such a database).
     */
    private record Group(Db db, int node, Cause cause, List<Ref> refs) {
    }

    /**
     * Rescans one object and reports each bad target once, with every place it occurs. Only the
     * bad references are grouped: a suspect object usually has one among many good ones, and a
     * storage with millions of dangling references should not pay for the others.
     */
    private void detail(Db db, int idx) throws IOException {
        List<Ref> refs = scanRefs(db, idx);
        boolean reachable = reach.reachable(db.number, idx);
        Referrer referrer = referrer(db, idx);
        badCrossReferences(db, idx, refs, reachable, referrer);
        Map<Target, Group> byTarget = new LinkedHashMap<>();
        for (Ref r : refs) {
            if (r.form() == RefForm.MALFORMED) {
                continue;
            }
            String tdb = r.db() != null ? r.db() : db.database.name();
            Target key = new Target(tdb, r.oid(), r.form().strong());
            Group g = byTarget.get(key);
            if (g == null) {
                Db target = byName.get(tdb);
                int node = target == null ? -1 : node(target, r.oid());
                Cause cause = target == null ? null : cause(target, node);
                boolean bad = target == null ? r.form().strong() : cause != null;
                if (!bad) {
                    continue;
                }
                g = new Group(target, node, cause, new ArrayList<>(1));
                byTarget.put(key, g);
            }
            g.refs().add(r);
        }
        for (Map.Entry<Target, Group> e : byTarget.entrySet()) {
            Group g = e.getValue();
            Ref first = g.refs().get(0);
            Kind kind = g.db() == null ? Kind.BAD_DB : !first.form().strong() ? Kind.WEAK_DANGLING
                    : reachable ? Kind.POSKEYERROR : Kind.DANGLING;
            Long deleted = g.cause() == Cause.NO_DATA ? tidOf(g.db(), g.node()) : null;
            String klass = null;
            for (Ref r : g.refs()) {
                if (r.klass() != null) {
                    klass = r.klass();
                    break;
                }
            }
            add(new ReferenceFinding(kind, e.getKey().db(), first.oid(), g.cause(), referrer, reachable, first.form(), klass,
                    deleted, occurrences(g.refs())), db.number, GROUP_OBJECT, referrer.pos());
        }
    }

    /** Where the references of one finding occur: nearly always one place, kept in the JDK's smallest list. */
    private static List<Integer> occurrences(List<Ref> same) {
        if (same.size() == 1) {
            return List.of(same.get(0).index());
        }
        List<Integer> at = new ArrayList<>(same.size());
        for (Ref r : same) {
            at.add(r.index());
        }
        return List.copyOf(at);
    }

    /**
     * References into other databases from a database configured with {@code
     * allow-implicit-cross-references false}: ZODB refuses to write new ones; existing ones still
     * load, so this is a warning and the walk follows them.
     */
    private void badCrossReferences(Db db, int idx, List<Ref> refs, boolean reachable, Referrer referrer) {
        if (db.database.implicitCrossReferences()) {
            return;
        }
        Map<String, List<Ref>> byTarget = new LinkedHashMap<>();
        for (Ref r : refs) {
            if (r.form() != RefForm.MALFORMED && r.db() != null && !r.db().equals(db.database.name())
                    && r.form().strong()) {
                byTarget.computeIfAbsent(r.db() + "\0" + r.oid(), k -> new ArrayList<>()).add(r);
            }
        }
        for (List<Ref> same : byTarget.values()) {
            Ref first = same.get(0);
            add(new ReferenceFinding(Kind.BAD_XREF, first.db(), first.oid(), null, referrer, reachable, first.form(),
                    first.klass(), null, occurrences(same)), db.number, GROUP_OBJECT,
                    referrer.pos());
        }
    }

    private List<Ref> scanRefs(Db db, int idx) throws IOException {
        List<Ref> refs = new ArrayList<>();
        byte[] raw = loadData(db, idx);
        if (detailScanner == null) {
            detailScanner = new PickleScanner();
            detailData = new RecordData(options.maxRecord());
        }
        if (raw == null || !detailData.load(raw, 0, raw.length)) {
            return refs;
        }
        detailScanner.scan(detailData.data(), detailData.off(), detailData.len(),
                pid -> refs.add(new Ref(pid.form(), pid.oid(), pid.database(), shared(pid.klass()), pid.index())));
        return refs;
    }

    /**
     * One copy of each class name a reference carries: findings keep them, and a storage with
     * millions of dangling references names the same few classes millions of times.
     */
    private String shared(String klass) {
        return klass == null ? null : classNames.computeIfAbsent(klass, k -> k);
    }

    /** The current data of an object (after backpointers), or {@code null} if too large to load. */
    private byte[] loadData(Db db, int idx) throws IOException {
        DataHeader h = header(db, db.index.dataPos.get(idx));
        if (h.plen() > options.maxRecord()) {
            return null;
        }
        return db.index.file.read(h.dataPos(), (int) h.plen());
    }

    private DataHeader header(Db db, long pos) throws IOException {
        try {
            return db.index.file.readDataHeader(pos, db.index.goodEnd);
        } catch (FileStorageException e) {
            throw new IOException(e.describe(), e);
        }
    }

    private long tidOf(Db db, int idx) throws IOException {
        return header(db, db.index.currentPos.get(idx)).tid();
    }

    private Referrer referrer(Db db, int idx) throws IOException {
        return new Referrer(db.database.name(), db.index.oids.oid(idx), classes.name(db.index.classId.get(idx)),
                tidOf(db, idx), db.index.currentPos.get(idx));
    }

    private void recordFindings() throws IOException {
        for (Db db : dbs) {
            for (ReferencePass.RecordProblem p : db.refs.problems) {
                int idx = p.idx();
                add(new ObjectFinding(Kind.UNREADABLE_RECORD, p.severity(), db.database.name(), db.index.oids.oid(idx),
                        classes.name(db.index.classId.get(idx)), tidOf(db, idx), db.index.currentPos.get(idx), p.offset(),
                        reach.reachable(db.number, idx), p.message(), null), db.number, GROUP_OBJECT, db.index.currentPos.get(idx));
            }
        }
    }

    /** References of older revisions to objects that cannot be loaded now (see {@link HistoryPass}). */
    private void historyFindings() throws IOException {
        for (Db db : dbs) {
            HistoryPass pass = new HistoryPass(db.index, options.maxRecord(), this::loadability,
                    idx -> currentTargets(db, idx));
            for (HistoryPass.Old o : pass.run()) {
                Db target = byName.get(o.targetDb());
                int node = node(target, o.target());
                Long deleted = o.cause() == Cause.NO_DATA ? tidOf(target, node) : null;
                Referrer referrer = new Referrer(db.database.name(), o.oid(), classes.name(db.index.classId.get(o.idx())),
                        o.tid(), o.pos());
                add(new ReferenceFinding(Kind.HISTORY_DANGLING, o.targetDb(), o.target(), o.cause(), referrer,
                        reach.reachable(db.number, o.idx()), o.form(), o.klass(), deleted, List.of()), db.number,
                        GROUP_OBJECT, o.pos());
            }
        }
    }

    private Cause loadability(String db, long oid) {
        Db d = byName.get(db);
        if (d == null) {
            return null;
        }
        int idx = d.index.oids.find(oid);
        return idx < 0 ? Cause.NO_RECORD : cause(d, idx);
    }

    /** {@code db:oid} of every target of an object's current revision. */
    private java.util.Set<String> currentTargets(Db db, int idx) {
        java.util.Set<String> out = new java.util.HashSet<>();
        RefGraph g = db.refs.graph;
        int s = g.start(idx);
        for (int e = s; e < s + g.count(idx); e++) {
            int t = g.target(e);
            long toid = t < db.records() ? db.index.oids.oid(t) : db.refs.phantoms.oid(t - db.records());
            out.add(db.database.name() + ":" + toid);
        }
        for (ReferencePass.CrossRef c : db.refs.cross) {
            if (c.from() == idx) {
                out.add(c.db() + ":" + c.oid());
            }
        }
        return out;
    }

    private void blobFindings() throws IOException {
        for (Db db : dbs) {
            new BlobCheck(db.index, db.refs.blobs, idx -> reach.reachable(db.number, idx),
                    (f, pos) -> add(f, db.number, GROUP_OBJECT, pos)).run();
        }
    }

    /**
     * Names a referrer for findings about an object (unreadable record, missing blob file): where
     * an operator starts looking. One pass over all references finds them all.
     */
    private void addReferrers() throws IOException {
        Map<Long, int[]> wanted = new HashMap<>(); // (db, node) -> best (db, node) referring to it
        for (Keyed k : findings) {
            Long key = subjectKey(k.finding());
            if (key != null) {
                wanted.put(key, null);
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        for (Db db : dbs) {
            RefGraph g = db.refs.graph;
            for (int idx = 0; idx < db.records(); idx++) {
                int s = g.start(idx);
                for (int e = s; e < s + g.count(idx); e++) {
                    long key = ((long) db.number << 32) | g.target(e);
                    if (wanted.containsKey(key)) {
                        wanted.put(key, better(wanted.get(key), db.number, idx, db.number));
                    }
                }
            }
            for (ReferencePass.CrossRef c : db.refs.cross) {
                Db target = byName.get(c.db());
                if (target != null) {
                    long key = ((long) target.number << 32) | node(target, c.oid());
                    if (wanted.containsKey(key)) {
                        wanted.put(key, better(wanted.get(key), db.number, c.from(), target.number));
                    }
                }
            }
        }
        for (int i = 0; i < findings.size(); i++) {
            Keyed k = findings.get(i);
            Long key = subjectKey(k.finding());
            int[] best = key == null ? null : wanted.get(key);
            if (best != null) {
                Referrer r = referrer(dbs.get(best[0]), best[1]);
                Finding f = k.finding() instanceof ObjectFinding o ? o.withReferrer(r)
                        : ((BlobFinding) k.finding()).withReferrer(r);
                findings.set(i, new Keyed(f, k.db(), k.group(), k.pos(), k.seq()));
            }
        }
    }

    /** The (db, node) a finding is about, for the findings that get a referrer. */
    private Long subjectKey(Finding f) {
        String db;
        long oid;
        if (f instanceof ObjectFinding o && o.kind() == Kind.UNREADABLE_RECORD) {
            db = o.db();
            oid = o.oid();
        } else if (f instanceof BlobFinding b && b.oid() != null && b.kind() == Kind.MISSING_BLOB) {
            db = b.db();
            oid = b.oid();
        } else {
            return null;
        }
        Db d = byName.get(db);
        int idx = d.index.oids.find(oid);
        return idx < 0 ? null : ((long) d.number << 32) | idx;
    }

    /** The better referrer: reachable first, then from the target's database, then the lower oid. */
    private int[] better(int[] current, int db, int idx, int targetDb) {
        if (current == null) {
            return new int[] {db, idx};
        }
        boolean r1 = reach.reachable(db, idx);
        boolean r0 = reach.reachable(current[0], current[1]);
        if (r1 != r0) {
            return r1 ? new int[] {db, idx} : current;
        }
        if ((db == targetDb) != (current[0] == targetDb)) {
            return db == targetDb ? new int[] {db, idx} : current;
        }
        long o1 = dbs.get(db).index.oids.oid(idx);
        long o0 = dbs.get(current[0]).index.oids.oid(current[1]);
        return Long.compareUnsigned(o1, o0) < 0 ? new int[] {db, idx} : current;
    }

    /**
     * Hands every object and reference to the listener (the reference database): objects by
     * oid, references by target. Oids are ordered as signed numbers, the order of the integer
     * keys of the reference database. The orders are made in the run's pages, so that they
     * spill with the tables. With a pool, the references go from a pool thread while this one
     * passes the objects: writing them is most of the time of {@code -r}, and the reference
     * database writes its two tables in parallel.
     */
    private void graph(GraphListener out, ExecutorService pool) throws IOException {
        List<IntPages> orders = new ArrayList<>();
        for (Db db : dbs) {
            orders.add(bySignedOid(db));
        }
        Future<Void> refs = beside(pool, () -> {
            for (int d = 0; d < dbs.size(); d++) {
                references(dbs.get(d), orders.get(d), out);
            }
            return null;
        });
        try {
            objects(orders, out);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Tasks.get(refs); // the other thread still reads the orders
            } catch (IOException | RuntimeException | Error second) {
                e.addSuppressed(second);
            }
            orders.forEach(IntPages::release);
            throw e;
        }
        Tasks.get(refs);
        orders.forEach(IntPages::release);
    }

    private void objects(List<IntPages> orders, GraphListener out) throws IOException {
        for (Db db : dbs) {
            IntPages order = orders.get(db.number);
            StorageIndex ix = db.index;
            String name = db.database.name();
            for (int k = 0; k < db.nodes(); k++) {
                int idx = order.get(k);
                if (idx >= db.records()) {
                    continue; // an oid without a record: no object row
                }
                String state = switch (ix.stateOf(idx)) {
                    case StorageIndex.DELETED -> "no-data";
                    case StorageIndex.BROKEN -> "unloadable";
                    default -> ix.is(idx, StorageIndex.UNREADABLE) ? "unreadable" : "data";
                };
                out.object(name, ix.oids.oid(idx), classes.name(ix.classId.get(idx)), ix.tid.get(idx), ix.currentPos.get(idx),
                        ix.hasData(idx) ? ix.size.get(idx) : 0, reach.reachable(db.number, idx), state);
            }
        }
    }

    /**
     * The references of one database, ordered by target (oid as a signed number) so that the
     * reference database, clustered on the target, is filled in key order; then the references
     * into other databases. {@code n} numbers each referrer's references: same-database ones in
     * pickle order first, then the others. A counting sort on the target's rank: linear, and
     * references of one target keep the order of their edge numbers.
     */
    private void references(Db db, IntPages order, GraphListener out) throws IOException {
        StorageIndex ix = db.index;
        String name = db.database.name();
        RefGraph g = db.refs.graph;
        int nodes = db.nodes();
        int edges = g.edgeCount();
        IntPages rank = new IntPages(memory, nodes);
        for (int k = 0; k < nodes; k++) {
            rank.set(order.get(k), k);
        }
        // owner + 1 of each edge; 0: an edge of a run that was replaced, in no node's run
        IntPages owner = new IntPages(memory, edges);
        IntPages next = new IntPages(memory, nodes + 1); // per rank: where its references go
        for (int idx = 0; idx < db.records(); idx++) {
            int s = g.start(idx);
            for (int e = s; e < s + g.count(idx); e++) {
                owner.set(e, idx + 1);
                int r = rank.get(g.target(e)) + 1;
                next.set(r, next.get(r) + 1);
            }
        }
        for (int r = 1; r <= nodes; r++) {
            next.set(r, next.get(r) + next.get(r - 1));
        }
        int listed = next.get(nodes);
        IntPages sorted = new IntPages(memory, listed);
        for (int e = 0; e < edges; e++) {
            if (owner.get(e) != 0) {
                int r = rank.get(g.target(e));
                int at = next.get(r);
                next.set(r, at + 1);
                sorted.set(at, e);
            }
        }
        rank.release();
        next.release();
        for (int i = 0; i < listed; i++) {
            int e = sorted.get(i);
            int from = owner.get(e) - 1;
            out.reference(name, ix.oids.oid(from), e - g.start(from), name, oidOf(db, g.target(e)),
                    ReferencePass.form(g.flags(e)));
        }
        sorted.release();
        owner.release();
        Map<Integer, Integer> seen = new HashMap<>();
        for (ReferencePass.CrossRef c : db.refs.cross) {
            int n = g.count(c.from()) + seen.merge(c.from(), 1, Integer::sum) - 1;
            out.reference(name, ix.oids.oid(c.from()), n, c.db(), c.oid(), c.form());
        }
    }

    /** The oid of a node: a record's, or a phantom's (an oid referenced without a record). */
    private static long oidOf(Db db, int node) {
        return node < db.records() ? db.index.oids.oid(node) : db.refs.phantoms.oid(node - db.records());
    }

    /** The node numbers of a database (records, then phantoms), ordered by oid as a signed number. */
    private IntPages bySignedOid(Db db) {
        IntPages records = db.index.oids.signedOrder(memory);
        IntPages phantoms = db.refs.phantoms.signedOrder(memory);
        int r = db.records();
        int p = db.refs.phantoms.size();
        IntPages out = new IntPages(memory, r + p);
        int i = 0;
        int j = 0;
        for (int k = 0; k < r + p; k++) {
            // a phantom's oid has no record, so the two never hold the same oid
            boolean record = j == p || (i < r && db.index.oids.oid(records.get(i)) < db.refs.phantoms.oid(phantoms.get(j)));
            out.set(k, record ? records.get(i++) : r + phantoms.get(j++));
        }
        records.release();
        phantoms.release();
        return out;
    }

    /** Runs {@code task} on a pool thread, or at once without a pool. */
    private static <T> Future<T> beside(ExecutorService pool, Callable<T> task) {
        if (pool != null) {
            return pool.submit(task);
        }
        FutureTask<T> now = new FutureTask<>(task);
        now.run();
        return now;
    }

    /** Counts unreachable objects with data per database, listing them if asked. */
    private long[] garbage() throws IOException {
        long[] counts = new long[dbs.size()];
        for (Db db : dbs) {
            for (int idx = 0; idx < db.records(); idx++) {
                if (db.index.hasData(idx) && !reach.reachable(db.number, idx)) {
                    counts[db.number]++;
                    if (options.listGarbage()) {
                        long oid = db.index.oids.oid(idx);
                        add(new ObjectFinding(Kind.GARBAGE, Severity.INFO, db.database.name(), oid,
                                classes.name(db.index.classId.get(idx)), tidOf(db, idx), db.index.currentPos.get(idx), null,
                                false, "no root reaches this object (multi-zodb-gc would delete it)", null),
                                db.number, GROUP_GARBAGE, oid);
                    }
                }
            }
        }
        return counts;
    }

    private Summary emit(FindingSink sink, long[] garbage, double seconds) {
        findings.sort(Comparator.comparingInt(Keyed::db).thenComparingInt(Keyed::group)
                .thenComparing(Keyed::pos, Long::compareUnsigned).thenComparingLong(Keyed::seq));
        long errors = 0;
        long warnings = 0;
        long infos = 0;
        for (Keyed k : findings) {
            switch (k.finding().severity()) {
                case ERROR -> errors++;
                case WARNING -> warnings++;
                case INFO -> infos++;
            }
            sink.accept(k.finding());
        }
        List<Summary.DatabaseSummary> per = new ArrayList<>();
        for (Db db : dbs) {
            long objects = db.index.objectsWithData();
            per.add(new Summary.DatabaseSummary(db.database.name(), db.database.path().toString(),
                    db.index.file.magic().name(), db.index.file.size(), db.index.goodEnd, db.index.transactions,
                    db.index.records, objects, db.refs.references, objects - garbage[db.number], garbage[db.number]));
        }
        return new Summary(per, errors, warnings, infos, seconds, new LinkedHashMap<>(phases), memory.heapBytes(),
                memory.spilledBytes());
    }
}
