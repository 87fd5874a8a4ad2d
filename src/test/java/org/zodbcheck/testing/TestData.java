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
}
