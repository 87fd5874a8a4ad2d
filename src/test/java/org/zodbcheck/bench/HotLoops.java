package org.zodbcheck.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.IntList;
import org.zodbcheck.graph.OidTable;
import org.zodbcheck.pickle.PickleScanner;

/**
 * JMH benchmarks of check-refs's hot loops, on a real storage (by default the bundled
 * testdata/clean/Data.fs; {@code -p storage=PATH} for another, e.g. bench/data/large/Data.fs):
 * scanning the pickles of every data record, reading every header, and interning oids. Run with
 * bench/jmh.sh, which also runs them under the launcher's JIT setting (C1 only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotLoops {
    @Param("testdata/clean/Data.fs")
    public String storage;

    private StorageFile file;
    /** Every data record's pickle data, back to back, and where each starts. */
    private byte[] pickles;
    private int[] starts;
    private long[] oids;

    @Setup(Level.Trial)
    public void load() throws Exception {
        file = StorageFile.open(Path.of(storage));
        FileStorageReader r = new FileStorageReader(file, p -> { });
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        IntList begin = new IntList(1024);
        org.zodbcheck.graph.LongList ids = new org.zodbcheck.graph.LongList(1024);
        while (r.nextTransaction() != null) {
            while (r.nextRecord()) {
                ids.add(r.oid());
                if (r.plen() > 0 && all.size() < (512 << 20)) {
                    begin.add(all.size());
                    all.write(file.read(r.dataHeader().dataPos(), (int) r.plen()));
                }
            }
        }
        begin.add(all.size());
        pickles = all.toByteArray();
        starts = java.util.Arrays.copyOf(begin.raw(), begin.size());
        oids = java.util.Arrays.copyOf(ids.raw(), ids.size());
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        file.close();
    }

    /** The second pass's work per record: one scanner, both pickles, every persistent id. */
    @Benchmark
    public long scanPickles(Blackhole bh) {
        PickleScanner scanner = new PickleScanner();
        long refs = 0;
        for (int i = 0; i + 1 < starts.length; i++) {
            if (data(scanner, i)) {
                refs += scanner.referenceCount();
            }
        }
        bh.consume(refs);
        return refs;
    }

    private boolean data(PickleScanner scanner, int i) {
        // zlib-compressed records (.z) are left out: inflating is the JDK's work, not ours
        if (pickles[starts[i]] == '.') {
            return false;
        }
        return scanner.scan(pickles, starts[i], starts[i + 1] - starts[i], pid -> { });
    }

    /** The first pass's work: every transaction and data record header, in file order. */
    @Benchmark
    public long readHeaders() throws IOException {
        FileStorageReader r = new FileStorageReader(file, p -> { });
        long n = 0;
        while (r.nextTransaction() != null) {
            while (r.nextRecord()) {
                n += r.oid();
            }
        }
        return n;
    }

    /** Building the oid table: every record's oid, in file order (repeats included). */
    @Benchmark
    public int internOids() {
        OidTable t = new OidTable(1024);
        for (long oid : oids) {
            t.intern(oid);
        }
        return t.size();
    }
}
