package org.zodbcheck.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the bundled fixtures are (testdata/, a copy of the shared corpus). */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String p = System.getProperty("zodbcheck.testdata");
        Path root = p != null ? Path.of(p) : Path.of("testdata");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("testdata directory not found: " + root.toAbsolutePath());
        }
        return root;
    }

    public static Path path(String first, String... more) {
        return root().resolve(Path.of(first, more));
    }

    /** Copies a directory tree, files writable so that it can be deleted again. */
    public static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                    t.toFile().setWritable(true);
                }
            }
        }
    }

    /** Deletes a directory tree (nothing if it does not exist). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A file that starts with a FileStorage magic (FS21 or FS30): testdata also holds files that do not. */
    public static boolean isStorage(Path p) {
        try (java.io.InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(4);
            String magic = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
            return magic.equals("FS21") || magic.equals("FS30");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Every storage of testdata (files ending in .fs that start with a magic), sorted. */
    public static java.util.List<Path> storages() throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(root())) {
            return s.filter(p -> p.toString().endsWith(".fs") && isStorage(p)).sorted().toList();
        }
    }

    /** One test per storage of testdata, named by its path there; at least 25 of them must be found. */
    public static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> storageTests(StorageTest test)
            throws java.io.IOException {
        java.util.List<Path> all = storages();
        org.junit.jupiter.api.Assertions.assertTrue(all.size() >= 25, "storages found: " + all.size());
        return all.stream().map(fs -> org.junit.jupiter.api.DynamicTest.dynamicTest(root().relativize(fs).toString(),
                () -> test.run(fs)));
    }

    /** A test of one storage. */
    @FunctionalInterface
    public interface StorageTest {
        void run(Path fs) throws Exception;
    }
}
