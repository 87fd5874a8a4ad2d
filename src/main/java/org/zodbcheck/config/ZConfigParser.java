package org.zodbcheck.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the subset of ZConfig syntax that ZODB, Zope and ZEO configuration files use (FORMAT.md
 * §5.1): comments, {@code key value} lines, {@code <type name>} ... {@code </type>} sections
 * (and {@code <type name/>}), {@code %define}, {@code %include}, {@code %import}, and
 * {@code $name}, {@code ${name}}, {@code $$}, {@code $(ENV)} substitution. Section types and
 * names are lower-cased, keys too; values keep their case.
 *
 * <p>It builds a tree of {@link Section}s; what the sections mean is {@link StorageConfig}'s job.
 */
public final class ZConfigParser {
    private static final Pattern OPEN = Pattern.compile("<\\s*([^\\s/<>]+)(?:\\s+([^<>]*?))?\\s*(/)?\\s*>");
    private static final Pattern CLOSE = Pattern.compile("</\\s*([^\\s<>]+)\\s*>");
    private static final Pattern DEFINE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_INCLUDE_DEPTH = 20;
    /**
     * Characters all substitutions of one configuration may produce: {@code %define}s that
     * each repeat the one before ("a billion laughs") end here instead of exhausting memory.
     */
    static final long MAX_EXPANSION = 1 << 24;
    /** Bytes all the files of one configuration may hold, every %include counted. */
    static final long MAX_CONFIG_BYTES = 1 << 24;
    /** Files one configuration may read, every %include counted. */
    static final int MAX_FILES = 10_000;

    private final Map<String, String> defines = new LinkedHashMap<>();
    /** Bytes of configuration files read so far (with every %include), and how many files. */
    private long bytesRead;
    private int filesRead;
    /** Characters produced by substitutions so far. */
    private long expanded;
    private final Map<String, String> environment;
    private final Set<Path> including = new HashSet<>();

    private ZConfigParser(Map<String, String> environment) {
        this.environment = environment;
    }

    /** Parses {@code file} (and what it includes) into a root section of type {@code ""}. */
    public static Section parse(Path file) throws ConfigException {
        return parse(file, System.getenv());
    }

    static Section parse(Path file, Map<String, String> environment) throws ConfigException {
        ZConfigParser p = new ZConfigParser(environment);
        Section root = new Section("", null, file.toString(), 0, null);
        Deque<Section> open = new ArrayDeque<>();
        open.push(root);
        p.read(file, open, 0, file.toString(), 0);
        if (open.size() > 1) {
            Section s = open.peek();
            throw new ConfigException(s.file(), s.line(), "section <" + s.type() + "> is not closed");
        }
        return root;
    }

    private void read(Path file, Deque<Section> open, int depth, String from, int fromLine) throws ConfigException {
        if (depth > MAX_INCLUDE_DEPTH || !including.add(file.toAbsolutePath().normalize())) {
            throw new ConfigException(from, fromLine, "%include of " + file + " loops");
        }
        if (Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file)) {
            // a pipe would block for ever, /dev/zero never end
            throw new ConfigException(from, fromLine, file + " is not a regular file (a pipe, device or socket)");
        }
        List<String> lines;
        try {
            if (++filesRead > MAX_FILES) {
                throw new ConfigException(from, fromLine, "more than " + MAX_FILES + " configuration files"
                        + " included (the same file included over and over?)");
            }
            if (Files.isRegularFile(file)) {
                bytesRead += Files.size(file);
                if (bytesRead > MAX_CONFIG_BYTES) {
                    throw new ConfigException(from, fromLine, "configuration files of more than " + MAX_CONFIG_BYTES
                            + " bytes in all (the same file included over and over?)");
                }
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(from, fromLine, "configuration file " + file + " not found");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException(from, fromLine, file + " is not a text file (not UTF-8)");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException(from, fromLine, "cannot read " + file + ": permission denied");
        } catch (java.nio.file.FileSystemException e) {
            throw new ConfigException(from, fromLine, "cannot read " + file + ": "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()));
        } catch (IOException e) {
            throw new ConfigException(from, fromLine, "cannot read " + file + ": " + e.getMessage());
        }
        if (!lines.isEmpty() && lines.get(0).startsWith("\ufeff")) {
            // a byte order mark, as Windows editors write: not part of the first line
            lines = new java.util.ArrayList<>(lines);
            lines.set(0, lines.get(0).substring(1));
        }
        String name = file.toString();
        for (int i = 0; i < lines.size(); i++) {
            line(lines.get(i).strip(), name, i + 1, file, open, depth);
        }
        including.remove(file.toAbsolutePath().normalize());
    }

    private void line(String text, String file, int line, Path path, Deque<Section> open, int depth)
            throws ConfigException {
        if (text.isEmpty() || text.startsWith("#")) {
            return;
        }
        if (text.startsWith("%")) {
            directive(text, file, line, path, open, depth);
        } else if (text.startsWith("</")) {
            close(text, file, line, open);
        } else if (text.startsWith("<")) {
            openSection(text, file, line, open);
        } else {
            int sp = indexOfSpace(text);
            String key = (sp < 0 ? text : text.substring(0, sp)).toLowerCase(Locale.ROOT);
            String raw = sp < 0 ? "" : text.substring(sp).strip();
            open.peek().add(key, substitute(raw, file, line), line);
        }
    }

    private void directive(String text, String file, int line, Path path, Deque<Section> open, int depth)
            throws ConfigException {
        int sp = indexOfSpace(text);
        String word = (sp < 0 ? text : text.substring(0, sp)).toLowerCase(Locale.ROOT);
        String rest = sp < 0 ? "" : text.substring(sp).strip();
        switch (word) {
            case "%define" -> define(rest, file, line);
            case "%include" -> {
                if (rest.isEmpty()) {
                    throw new ConfigException(file, line, "%include needs a file name");
                }
                String target = substitute(rest, file, line);
                Path p = path.toAbsolutePath().getParent().resolve(target);
                read(p, open, depth + 1, file, line);
            }
            case "%import" -> {
                // Loads Python section types (e.g. zc.zlibstorage); nothing to do here.
            }
            default -> throw new ConfigException(file, line, "unknown directive " + word);
        }
    }

    private void define(String rest, String file, int line) throws ConfigException {
        int sp = indexOfSpace(rest);
        String name = sp < 0 ? rest : rest.substring(0, sp);
        if (!DEFINE_NAME.matcher(name).matches()) {
            throw new ConfigException(file, line, "bad name for %define: '" + name + "'");
        }
        String value = substitute(sp < 0 ? "" : rest.substring(sp).strip(), file, line);
        String key = name.toLowerCase(Locale.ROOT);
        String old = defines.get(key);
        if (old != null && !old.equals(value)) {
            throw new ConfigException(file, line, "cannot redefine '" + name + "' with a different value");
        }
        defines.put(key, value);
    }

    private void openSection(String text, String file, int line, Deque<Section> open) throws ConfigException {
        Matcher m = OPEN.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(file, line, "malformed section header: " + text);
        }
        String type = m.group(1).toLowerCase(Locale.ROOT);
        String name = m.group(2) == null || m.group(2).isBlank() ? null
                : substitute(m.group(2).strip(), file, line).toLowerCase(Locale.ROOT);
        Section s = new Section(type, name, file, line, open.peek());
        open.peek().addChild(s);
        if (m.group(3) == null) {
            open.push(s);
        }
    }

    private void close(String text, String file, int line, Deque<Section> open) throws ConfigException {
        Matcher m = CLOSE.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(file, line, "malformed section end: " + text);
        }
        String type = m.group(1).toLowerCase(Locale.ROOT);
        if (open.size() == 1) {
            throw new ConfigException(file, line, "</" + type + "> without an open section");
        }
        Section s = open.pop();
        if (!s.type().equals(type)) {
            throw new ConfigException(file, line, "</" + type + "> closes <" + s.type() + "> opened at line "
                    + s.line());
        }
    }

    /** ZConfig substitution: {@code $name}, {@code ${name}}, {@code $$}, {@code $(ENV)}. */
    String substitute(String value, String file, int line) throws ConfigException {
        if (value.indexOf('$') < 0) {
            return value;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '$') {
                sb.append(c);
                i++;
                continue;
            }
            if (i + 1 >= value.length()) {
                throw new ConfigException(file, line, "'$' at the end of the value");
            }
            char n = value.charAt(i + 1);
            if (n == '$') {
                sb.append('$');
                i += 2;
            } else if (n == '{' || n == '(') {
                char end = n == '{' ? '}' : ')';
                int close = value.indexOf(end, i + 2);
                if (close < 0) {
                    throw new ConfigException(file, line, "unclosed '" + n + "' in " + value);
                }
                String name = value.substring(i + 2, close);
                append(sb, n == '{' ? lookup(name, file, line) : env(name, file, line), file, line);
                i = close + 1;
            } else {
                int j = i + 1;
                while (j < value.length() && (Character.isLetterOrDigit(value.charAt(j)) || value.charAt(j) == '_')) {
                    j++;
                }
                if (j == i + 1) {
                    throw new ConfigException(file, line, "'$' must be followed by a name, '{', '(' or '$'");
                }
                append(sb, lookup(value.substring(i + 1, j), file, line), file, line);
                i = j;
            }
        }
        return sb.toString();
    }

    private void append(StringBuilder sb, String v, String file, int line) throws ConfigException {
        expanded += v.length();
        if (expanded > MAX_EXPANSION) {
            throw new ConfigException(file, line, "substitutions expand to more than " + MAX_EXPANSION
                    + " characters (each %define repeating the one before?)");
        }
        sb.append(v);
    }

    private String lookup(String name, String file, int line) throws ConfigException {
        String v = defines.get(name.toLowerCase(Locale.ROOT));
        if (v == null) {
            throw new ConfigException(file, line, "'" + name + "' is not defined (%define " + name + " ...)");
        }
        return v;
    }

    private String env(String name, String file, int line) throws ConfigException {
        String v = environment.get(name);
        if (v == null) {
            throw new ConfigException(file, line, "environment variable '" + name + "' is not set");
        }
        return v;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
