package org.zodbcheck.generate;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Command line of the {@link StorageGenerator}; writes {@code Data.fs} and
 * {@code Data.fs.manifest.json} beside it. No dependency beyond the JDK, so it runs with
 * {@code java -cp target/classes:target/test-classes org.zodbcheck.generate.GeneratorMain ...}
 * (see bench/generate.sh).
 */
public final class GeneratorMain {
    private static final String USAGE = """
            usage: GeneratorMain (--objects N | --size SIZE) --out PATH/Data.fs [options]
              --objects N          about N oids (e.g. 1000000)
              --size SIZE          about SIZE bytes instead (e.g. 5G, 500M)
              --out PATH           the Data.fs to write (replaced); the manifest goes beside it
              --seed N             default 1; same parameters and seed give the same bytes
              --missing N          missing oids, half deleted (deleteObject), half never written (default 20)
              --missing-garbage-share F  share of them referenced from garbage only (default 0.25)
              --revisions F        average data records per object (default 3)
              --undo F             share of transactions that undo the previous edit (default 0.02)
              --garbage F          share of folders dropped, i.e. garbage (default 0.02)
              --python 2|3         default 3 (FS30, protocol 3); 2 writes FS21
              --protocol 1|2|3     pickle protocol for --python 2 (default 1)
              --txn-size N         objects per edit transaction (default 100)
              --small-trees        tiny BTree buckets, so that small files have deep trees
            """;

    private GeneratorMain() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out));
        } catch (IllegalArgumentException e) {
            System.err.println("GeneratorMain: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (IOException e) {
            System.err.println("GeneratorMain: " + e);
            System.exit(3);
        }
    }

    static int run(String[] args, PrintStream out) throws IOException {
        Options o = Options.parse(args);
        if (o.help) {
            out.print(USAGE);
            return 0;
        }
        if (o.out == null) {
            throw new IllegalArgumentException("--out is required");
        }
        Path parent = o.out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        GeneratorResult r = new StorageGenerator(o.params()).run(o.out);
        Path manifest = Manifest.write(r);
        out.printf(Locale.ROOT, "%s: %,d bytes, %,d transactions, %,d records, %,d objects (%,d garbage),"
                        + " %d missing, %d expected findings; %.1f s, %.0f MB/s%nmanifest: %s%n",
                r.path(), r.bytes(), r.transactions(), r.records(), r.objects(), r.garbage(), r.missing().size(),
                r.expectedFindings().size(), r.seconds(), r.bytes() / 1e6 / r.seconds(), manifest);
        return 0;
    }

    /** The parsed command line. */
    private static final class Options {
        long objects;
        long size;
        long seed = 1;
        int missing = 20;
        double missingGarbageShare = 0.25;
        double revisions = 3;
        double undo = 0.02;
        double garbage = 0.02;
        int python = 3;
        Integer protocol;
        int txnSize = 100;
        boolean smallTrees;
        boolean help;
        Path out;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--small-trees")) {
                    o.smallTrees = true;
                } else if (a.equals("-h") || a.equals("--help")) {
                    o.help = true;
                } else if (i + 1 < args.length) {
                    o.set(a, args[++i]);
                } else {
                    throw new IllegalArgumentException("unknown or incomplete option " + a);
                }
            }
            return o;
        }

        private void set(String option, String v) {
            switch (option) {
                case "--objects" -> objects = Long.parseLong(v);
                case "--size" -> size = parseSize(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--missing" -> missing = Integer.parseInt(v);
                case "--missing-garbage-share" -> missingGarbageShare = Double.parseDouble(v);
                case "--revisions" -> revisions = Double.parseDouble(v);
                case "--undo" -> undo = Double.parseDouble(v);
                case "--garbage" -> garbage = Double.parseDouble(v);
                case "--python" -> python = Integer.parseInt(v);
                case "--protocol" -> protocol = Integer.parseInt(v);
                case "--txn-size" -> txnSize = Integer.parseInt(v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }

        GeneratorParams params() {
            int proto = protocol != null ? protocol : python == 2 ? 1 : 3;
            return new GeneratorParams(objects, size, seed, missing, missingGarbageShare, revisions, undo, garbage,
                    python, proto, txnSize, smallTrees);
        }

        static long parseSize(String v) {
            String s = v.trim().toUpperCase(Locale.ROOT);
            long unit = 1;
            char last = s.charAt(s.length() - 1);
            if (last == 'K' || last == 'M' || last == 'G' || last == 'T') {
                unit = 1L << (10 * ("KMGT".indexOf(last) + 1));
                s = s.substring(0, s.length() - 1);
            }
            return (long) (Double.parseDouble(s) * unit);
        }
    }
}
