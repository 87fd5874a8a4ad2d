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
