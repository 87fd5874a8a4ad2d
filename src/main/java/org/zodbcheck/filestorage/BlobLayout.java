package org.zodbcheck.filestorage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Where a blob directory keeps the file of a blob revision (FORMAT.md §4.2): the layout named
 * in {@code <blob-dir>/.layout}, and file names from the oid and the tid of the revision.
 *
 * <pre>
 * bushy  0x00/0x00/0x00/0x00/0x00/0xc9/0x2d/0x77/0x03f5c0a019999999.blob   (one level per oid byte)
 * lawn   0xc92d77/0x03f5c0a019999999.blob                                   (oid_repr)
 * </pre>
 */
public enum BlobLayout {
    BUSHY,
    LAWN,
    /** A ZEO client's blob cache: not where a storage keeps its blobs. */
    ZEOCACHE;

    /** A blob file found in a directory: its oid and the tid in its name. */
    public record BlobFile(Path path, long oid, long tid) {
    }

    /**
     * The layout of {@code dir}: what {@code .layout} says, or, without it, ZODB's guess (an
     * empty directory or one with only hidden entries is bushy, anything else lawn).
     *
     * @return the layout, or {@code null} if {@code .layout} names an unknown one
     */
    public static BlobLayout of(Path dir) throws IOException {
        String marker = marker(dir);
        if (marker != null) {
            String name = marker.toUpperCase(Locale.ROOT);
            for (BlobLayout l : values()) {
                if (l.name().equals(name)) {
                    return l;
                }
            }
            return null;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            boolean onlyHidden = entries.allMatch(p -> p.getFileName().toString().startsWith("."));
            return onlyHidden ? BUSHY : LAWN;
        }
    }

    /**
     * What {@code <dir>/.layout} says (stripped; its first 256 bytes, bytes that are not UTF-8
     * replaced, since a damaged marker is a finding, not an I/O error), or {@code null} if there
     * is no such file.
     */
    public static String marker(Path dir) throws IOException {
        Path marker = dir.resolve(".layout");
        if (!Files.isRegularFile(marker)) {
            return null;
        }
        try (var in = Files.newInputStream(marker)) {
            return new String(in.readNBytes(256), StandardCharsets.UTF_8).strip();
        }
    }

    /** The file of revision {@code tid} of blob {@code oid}, relative to the blob directory. */
    public Path relativePath(long oid, long tid) {
        String file = Tid.repr(tid) + ".blob";
        return switch (this) {
            case BUSHY -> {
                StringBuilder sb = new StringBuilder();
                for (int shift = 56; shift >= 0; shift -= 8) {
                    sb.append(String.format("0x%02x", (oid >>> shift) & 0xff)).append('/');
                }
                yield Path.of(sb.append(file).toString());
            }
            case LAWN -> Path.of(Oid.repr(oid), file);
            case ZEOCACHE -> Path.of(Long.toUnsignedString(Long.remainderUnsigned(oid, 997)),
                    Long.toUnsignedString(Long.divideUnsigned(oid, 997)) + "." + Oid.hex16(tid) + ".blob");
        };
    }

    /** Receives the blob files of a directory. */
    public interface BlobFileVisitor {
        void visit(BlobFile f) throws IOException;
    }

    /**
     * Every {@code *.blob} file the layout can name, with its oid and tid; other entries
     * ({@code tmp/}, {@code .layout}, {@code .removed}, leftovers of interrupted commits) are skipped.
     * A directory that cannot be read goes to {@code unreadable} and the walk goes on: a damaged
     * blob directory is what this check is for.
     */
    public void forEachFile(Path dir, BlobFileVisitor each, Consumer<IOException> unreadable) throws IOException {
        int depth = this == BUSHY ? 9 : 2;
        Files.walkFileTree(dir, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path p, BasicFileAttributes a) throws IOException {
                if (a.isRegularFile() && p.getFileName().toString().endsWith(".blob")) {
                    BlobFile f = parse(dir, p);
                    if (f != null) {
                        each.visit(f);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path p, IOException e) {
                unreadable.accept(e);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path p, IOException e) {
                if (e != null) {
                    unreadable.accept(e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The oid and tid a blob file's path encodes, or {@code null} if it does not fit the layout. */
    BlobFile parse(Path dir, Path file) {
        Path rel = dir.relativize(file);
        String name = rel.getFileName().toString();
        Long tid = hex(name.substring(0, name.length() - ".blob".length()), 16);
        if (tid == null) {
            return null;
        }
        if (this == LAWN && rel.getNameCount() == 2) {
            Long oid = hex(rel.getName(0).toString(), 16);
            return oid == null ? null : new BlobFile(file, oid, tid);
        }
        if (this == BUSHY && rel.getNameCount() == 9) {
            long oid = 0;
            for (int i = 0; i < 8; i++) {
                Long b = hex(rel.getName(i).toString(), 2);
                if (b == null) {
                    return null;
                }
                oid = (oid << 8) | b;
            }
            return new BlobFile(file, oid, tid);
        }
        return null;
    }

    /** {@code 0x} and 1 to {@code maxDigits} lowercase hex digits, as a number; else null. */
    private static Long hex(String s, int maxDigits) {
        if (!s.startsWith("0x") || s.length() < 3 || s.length() > 2 + maxDigits) {
            return null;
        }
        for (int i = 2; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return null;
            }
        }
        return Long.parseUnsignedLong(s.substring(2), 16);
    }
}
