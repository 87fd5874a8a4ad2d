package org.zodbcheck.bench;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongBiFunction;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.IntList;

/**
 * The pickle scanner of two builds in one JVM, on the pickles of one storage held in memory,
 * alternating round by round (bench/ab-scanner.sh runs it): finer than whole runs, whose JVM
 * start and first pass add their own noise. Each build's classes come through a class loader of
 * their own, with bench/ScanAll.java compiled against them (the DRIVER directories), which calls
 * that build's scanner directly; both are driven the same way, so neither has an advantage.
 *
 * <pre>ScannerAB BASE_CLASSES BASE_DRIVER NEW_CLASSES NEW_DRIVER STORAGE ROUNDS</pre>
 *
 * Prints, after two rounds of warm-up, the median of the per-round ratios new/base of the
 * scanning thread's CPU time (with the quartiles), each side's median, and the references each
 * side found, which must be equal.
 */
public final class ScannerAB {
    private ScannerAB() {
    }

    /** One build's scanner, driven by bench/ScanAll.java compiled against it. */
    @SuppressWarnings("unchecked")
    private static ToLongBiFunction<byte[], int[]> side(Path classes, Path driver) throws Exception {
        ClassLoader loader = new URLClassLoader(new URL[] {driver.toUri().toURL(), classes.toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        return (ToLongBiFunction<byte[], int[]>) loader.loadClass("org.zodbcheck.pickle.ScanAll")
                .getConstructor().newInstance();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: ScannerAB BASE_CLASSES BASE_DRIVER NEW_CLASSES NEW_DRIVER STORAGE ROUNDS");
            System.exit(2);
        }
        List<ToLongBiFunction<byte[], int[]>> sides = List.of(side(Path.of(args[0]), Path.of(args[1])),
                side(Path.of(args[2]), Path.of(args[3])));
        int rounds = Integer.parseInt(args[5]);
        IntList begin = new IntList(1024);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        try (StorageFile file = StorageFile.open(Path.of(args[4]))) {
            FileStorageReader r = new FileStorageReader(file, p -> { });
            while (r.nextTransaction() != null) {
                while (r.nextRecord()) {
                    if (r.plen() > 0 && all.size() < (1 << 30)) {
                        begin.add(all.size());
                        all.write(file.read(r.dataHeader().dataPos(), (int) r.plen()));
                    }
                }
            }
        }
        begin.add(all.size());
        byte[] pickles = all.toByteArray();
        int[] starts = Arrays.copyOf(begin.raw(), begin.size());
        long[][] cpu = new long[2][rounds];
        long[] refs = new long[2];
        var threads = ManagementFactory.getThreadMXBean();
        for (int k = 0; k < rounds; k++) {
            for (int j = 0; j < 2; j++) {
                int w = (k & 1) == 0 ? j : 1 - j; // alternate which side goes first
                long t0 = threads.getCurrentThreadCpuTime();
                refs[w] = sides.get(w).applyAsLong(pickles, starts);
                cpu[w][k] = threads.getCurrentThreadCpuTime() - t0;
            }
        }
        int warm = Math.min(2, rounds - 1);
        double[] ratio = new double[rounds - warm];
        for (int k = warm; k < rounds; k++) {
            ratio[k - warm] = (double) cpu[1][k] / cpu[0][k];
        }
        Arrays.sort(ratio);
        System.out.printf("%,d records, %,d bytes of pickles, %d rounds (%d of warm-up)%n", starts.length - 1,
                pickles.length, rounds, warm);
        System.out.printf("new/base CPU time, median of the rounds' ratios: %.3f (quartiles %.3f-%.3f)%n",
                ratio[ratio.length / 2], ratio[ratio.length / 4], ratio[(3 * ratio.length) / 4]);
        for (int w = 0; w < 2; w++) {
            long[] x = Arrays.copyOfRange(cpu[w], warm, rounds);
            Arrays.sort(x);
            System.out.printf("%-4s median %d ms (fastest %d ms), %,d references%n", w == 0 ? "base" : "new",
                    x[x.length / 2] / 1_000_000, x[0] / 1_000_000, refs[w]);
        }
        if (refs[0] != refs[1]) {
            System.out.println("THE TWO SCANNERS FOUND DIFFERENT REFERENCES");
            System.exit(1);
        }
    }
}
