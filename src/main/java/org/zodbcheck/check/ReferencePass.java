package org.zodbcheck.check;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.zodbcheck.filestorage.ChunkReader;
import org.zodbcheck.graph.ByteList;
import org.zodbcheck.graph.IntList;
import org.zodbcheck.graph.LongList;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.graph.OidTable;
import org.zodbcheck.graph.RefGraph;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.pickle.PickleWarmup;
import org.zodbcheck.pickle.RefForm;
import org.zodbcheck.pickle.ReferenceSink;

/**
 * Second pass: reads the good prefix again and extracts the persistent references of each
 * object's current data, and nothing else (FORMAT.md §8). The file is cut into parts of a few
 * megabytes where the first pass saw a transaction or record start; worker
 * threads each read and scan whole parts (sequential reads of 4 MB), and the calling thread
 * merges each part's references into the database's {@link RefGraph}.
 */
final class ReferencePass {
    /** Edge flag: the reference is strong (the walk follows it). Low bits: the {@link RefForm}. */
    static final int STRONG = 0x40;
    static final int FORM_MASK = 0x0f;
    /** {@code RefForm.values()} copies the array on every call; asked once per reference by {@code -r}. */
    private static final RefForm[] FORMS = RefForm.values();
    private static final int CHUNK = 4 << 20;
    private static final int ZODB_MAX_PROTOCOL = 3;
    private static final int CACHE = 256;
    /**
     * Storages larger than this first warm the JIT up (see {@link PickleWarmup}, and
     * {@link CheckRefs#warmUpAhead} for the first pass); smaller ones are checked before it helps.
     */
    static final long WARM_UP_ABOVE = 32L << 20;

    /** A reference into another database. */
    record CrossRef(int from, String db, long oid, RefForm form, int index) {
    }

    /** Something wrong with an object's current data. */
    record RecordProblem(int idx, Severity severity, String message, Long offset) {
    }

    /** One database's references. Node numbers {@code >= index.size()} are oids with no record. */
    static final class Result {
        final RefGraph graph;
        final OidTable phantoms = new OidTable(64);
        final List<CrossRef> cross = new ArrayList<>();
        final List<RecordProblem> problems = new ArrayList<>();
        long references;
        /** Current records that hold a blob (their objects are flagged {@link StorageIndex#BLOB}). */
        long blobs;

        Result(Memory memory) {
            graph = new RefGraph(memory);
        }
    }

    private final StorageIndex index;
    private final ClassTable classes;
    private final ExecutorService pool;
    private final int threads;
    private final long maxRecord;
    private final ThreadLocal<Worker> workers;
    /** Every worker made, to release what they hold when the pass ends. */
    private final java.util.Queue<Worker> created = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Progress progress;
    private final Result result;
    private final Future<?> warmUp;
    /**
     * Part results already merged, for the next parts: without them every 4 MB part grew a new
     * set of lists by doubling, about 20 MB of garbage on a 275 MB storage, enough to cause a
     * collection of the young generation (30 ms) in a run that otherwise needs none.
     */
    private final java.util.Queue<ChunkResult> spare = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * @param warmUp the warm-up started by {@link #warmUpAhead}, waited for before scanning; or
     *     {@code null} to warm up here (storages above 32 MB)
     */
    ReferencePass(StorageIndex index, ClassTable classes, ExecutorService pool, int threads, long maxRecord,
                  Progress progress, Future<?> warmUp) {
        this.warmUp = warmUp;
        this.progress = progress;
        this.index = index;
        this.result = new Result(index.memory);
        this.classes = classes;
        this.pool = pool;
        this.threads = Math.max(1, threads);
        this.maxRecord = maxRecord;
        this.workers = ThreadLocal.withInitial(() -> {
            Worker w = new Worker();
            created.add(w);
            return w;
        });
    }

    Result run() throws IOException {
        try {
            Result r = scan();
            for (Worker w : created) {
                w.data.close(); // every part is done: no thread uses them any more
            }
            return r;
        } finally {
            // The calling thread outlives this pass: without this its ThreadLocal map keeps the worker
            // (a 4 MB chunk, the largest record, an Inflater) after the pass, one more per check-refs
            // run in the same JVM (the pool threads end with the pool).
            workers.remove();
            created.clear();
        }
    }

    /**
     * Starts warming the scanner up on a pool thread, for a run whose largest storage is
     * {@code bytes} long: while the first pass reads headers on one core the other is idle, and
     * the JIT then has the scanner compiled before the second pass needs it (done in the second
     * pass itself, its threads ran the scanner interpreted for their first ~30 ms). {@code null}
     * when there is no pool or the storages are small.
     */
    static Future<?> warmUpAhead(ExecutorService pool, long bytes) {
        if (pool == null || bytes <= WARM_UP_ABOVE) {
            return null;
        }
        return pool.submit(ReferencePass::warmUp);
    }

    private static void warmUp() {
        PickleWarmup.warm(new PickleScanner(), Integer.getInteger("zodbcheck.warmup", 1000));
    }

    private Result scan() throws IOException {
        progress.begin(index.db.name(), "scanning pickles", index.goodEnd);
        if (warmUp != null) {
            awaitWarmUp();
        } else if (index.goodEnd > WARM_UP_ABOVE) {
            warmUp();
        }
        List<ChunkReader.Boundary> parts = index.boundaries;
        if (pool == null || parts.size() < 2) {
            merge(part(parts.isEmpty() ? ChunkReader.Boundary.of(4) : parts.get(0), index.goodEnd));
        } else {
            runParallel(parts);
        }
        result.graph.ensure(index.size() + result.phantoms.size());
        result.graph.trim();
        return result;
    }

    /**
     * Each thread reads and scans whole parts of the file, cut where the first pass saw a record
     * or transaction start; the calling thread only merges. Reading in the scanning threads keeps
     * one thread from becoming the bottleneck that hands out chunks to the others.
     */
    private void runParallel(List<ChunkReader.Boundary> parts) throws IOException {
        CompletionService<ChunkResult> done = new ExecutorCompletionService<>(pool);
        for (int i = 0; i < parts.size(); i++) {
            ChunkReader.Boundary from = parts.get(i);
            long to = i + 1 < parts.size() ? parts.get(i + 1).pos() : index.goodEnd;
            done.submit(() -> part(from, to));
        }
        try {
            for (int i = 0; i < parts.size(); i++) {
                ChunkResult r = Tasks.get(done.take());
                merge(r);
                progress.at(r.end);
                r.clear();
                spare.offer(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void awaitWarmUp() throws IOException {
        try {
            warmUp.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            // the warm-up record is built in; its failing is a bug, reported as one
            throw new IllegalStateException("the scanner's warm-up failed", e.getCause());
        }
    }

    /** Reads and scans the records of {@code [from, to)}. Runs on a worker thread (or the caller). */
    private ChunkResult part(ChunkReader.Boundary from, long to) throws IOException {
        Worker w = workers.get();
        ChunkReader reader = new ChunkReader(index.file, from, to, index.goodEnd, CHUNK, maxRecord);
        ChunkResult r = spare.poll();
        if (r == null) {
            r = new ChunkResult();
        }
        r.end = to;
        ChunkReader.Chunk c;
        while ((c = reader.next(w.chunk)) != null) {
            w.chunk = c;
            process(c, r, w);
        }
        return r;
    }

    /** Scans the current data records of a chunk into {@code r}. */
    private void process(ChunkReader.Chunk c, ChunkResult r, Worker w) {
        for (int i = 0; i < c.count(); i++) {
            int idx = index.oids.find(c.oid(i));
            long pos = c.pos(i);
            if (idx < 0 || !index.hasData(idx) || index.dataPos.get(idx) != pos) {
                continue;
            }
            if (c.oversized()) {
                r.problems.add(new RecordProblem(idx, Severity.WARNING, "the record at " + pos + " holds "
                        + c.plen(i) + " bytes of data, more than zodbcheck loads at once (" + maxRecord
                        + "); its references were not checked", null));
                continue;
            }
            int dataOff = c.dataOffset(i);
            w.scan(r, idx, c.buffer(), dataOff, (int) c.plen(i), c.filePos() + dataOff);
        }
    }

    /** Adds a part's references to the graph. Runs on the calling thread only. */
    private void merge(ChunkResult r) {
        int n1 = index.size();
        int[] targets = r.targets.raw();
        for (int k = 0; k < r.nodes.size(); k++) {
            int idx = r.nodes.get(k);
            int s = r.runStart.get(k);
            int e = k + 1 < r.nodes.size() ? r.runStart.get(k + 1) : r.targets.size();
            for (int j = s; j < e; j++) {
                if (targets[j] < 0) {
                    targets[j] = n1 + result.phantoms.intern(r.unresolved.get(-1 - targets[j]));
                }
            }
            result.graph.addRun(idx, targets, r.flags.raw(), s, e - s);
            index.classId.set(idx, r.classIds.get(k));
            if (r.blob.get(k) != 0) {
                index.flag(idx, StorageIndex.BLOB);
                result.blobs++;
            }
        }
        for (RecordProblem p : r.problems) {
            if (p.severity() == Severity.ERROR) {
                index.flag(p.idx(), StorageIndex.UNREADABLE);
            }
            result.problems.add(p);
        }
        result.cross.addAll(r.cross);
        result.references += r.references;
    }

    static int flags(RefForm form) {
        return form.ordinal() | (form.strong() ? STRONG : 0);
    }

    static RefForm form(int flags) {
        return FORMS[flags & FORM_MASK];
    }

    /** What one part of the file yields; built by a worker, merged by the calling thread. */
    private static final class ChunkResult {
        /** Where the part ends (for progress). */
        long end;
        final IntList nodes = new IntList(256);
        final IntList runStart = new IntList(256);
        final IntList classIds = new IntList(256);
        final ByteList blob = new ByteList(256);
        final IntList targets = new IntList(2048);
        final ByteList flags = new ByteList(2048);
        final LongList unresolved = new LongList(16);
        final List<CrossRef> cross = new ArrayList<>(0);
        final List<RecordProblem> problems = new ArrayList<>(0);
        long references;

        /** Ready for another part: merged results go back to the workers, so that their lists grow once. */
        void clear() {
            nodes.clear();
            runStart.clear();
            classIds.clear();
            blob.clear();
            targets.clear();
            flags.clear();
            unresolved.clear();
            cross.clear();
            problems.clear();
            references = 0;
        }
    }

    /** Per-thread scanning state. */
    private final class Worker implements ReferenceSink {
        private ChunkReader.Chunk chunk;
        private final PickleScanner scanner = new PickleScanner();
        private final RecordData data = new RecordData(maxRecord);
        private final long[] cacheHash = new long[CACHE];
        private final byte[][] cacheBytes = new byte[CACHE][];
        private final int[] cacheId = new int[CACHE];
        private ChunkResult r;
        private int idx;
        private int malformed;
        private String firstMalformed;

        void scan(ChunkResult out, int node, byte[] buf, int off, int len, long filePos) {
            r = out;
            idx = node;
            malformed = 0;
            firstMalformed = null;
            if (!data.load(buf, off, len)) {
                r.problems.add(new RecordProblem(idx, Severity.ERROR, data.error(), filePos));
                return;
            }
            r.nodes.add(idx);
            r.runStart.add(r.targets.size());
            boolean ok;
            try {
                ok = scanner.scan(data.data(), data.off(), data.len(), this);
            } catch (RuntimeException e) {
                // A scanner bug must not end the check: report the record and go on.
                r.classIds.add(0);
                r.blob.add((byte) 0);
                r.problems.add(new RecordProblem(idx, Severity.ERROR, "internal error while scanning the pickle: "
                        + e, filePos));
                return;
            }
            r.classIds.add(classId());
            r.blob.add((byte) (scanner.isBlob() ? 1 : 0));
            r.references += scanner.referenceCount();
            boolean transformed = data.data() != buf;
            if (!ok) {
                long at = transformed ? filePos : filePos + scanner.errorOffset();
                r.problems.add(new RecordProblem(idx, Severity.ERROR, "the pickle cannot be parsed: "
                        + scanner.error() + " at byte " + (transformed ? scanner.errorOffset() + " of the inflated data"
                        : Long.toString(at)), at));
            } else {
                warnings(filePos);
            }
            if (malformed > 0) {
                r.problems.add(new RecordProblem(idx, Severity.ERROR, firstMalformed
                        + (malformed > 1 ? " (and " + (malformed - 1) + " more)" : ""), null));
            }
        }

        /** The id of the scanned record's class, through a small cache of plain-global classes. */
        private int classId() {
            long h = scanner.classHash();
            if (h == 0) {
                return classes.id(scanner.className());
            }
            int slot = (int) (h & (CACHE - 1));
            if (cacheHash[slot] == h && scanner.classIs(cacheBytes[slot])) {
                return cacheId[slot];
            }
            int id = classes.id(scanner.className());
            cacheHash[slot] = h;
            cacheBytes[slot] = scanner.classBytes();
            cacheId[slot] = id;
            return id;
        }

        private void warnings(long filePos) {
            if (scanner.protocol() > ZODB_MAX_PROTOCOL) {
                r.problems.add(new RecordProblem(idx, Severity.WARNING, "pickle protocol " + scanner.protocol()
                        + ": ZODB's unpickler reads protocols 0-3 only", filePos));
            }
            if (scanner.trailing() > 0) {
                r.problems.add(new RecordProblem(idx, Severity.WARNING, scanner.trailing()
                        + " bytes follow the second pickle", null));
            }
        }

        @Override
        public void reference(PickleScanner.Pid pid) {
            RefForm form = pid.form();
            if (form == RefForm.MALFORMED) {
                if (malformed++ == 0) {
                    firstMalformed = "malformed persistent reference #" + pid.index() + " at byte "
                            + pid.offset() + " of the data: " + pid.problem();
                }
                return;
            }
            String db = pid.database();
            if (db != null && !db.equals(index.db.name())) {
                r.cross.add(new CrossRef(idx, db, pid.oid(), form, pid.index()));
                return;
            }
            int t = index.oids.find(pid.oid());
            if (t < 0) {
                t = -1 - r.unresolved.size();
                r.unresolved.add(pid.oid());
            }
            r.targets.add(t);
            r.flags.add((byte) flags(form));
        }
    }
}
