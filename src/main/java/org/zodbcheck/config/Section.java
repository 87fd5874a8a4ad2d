package org.zodbcheck.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A ZConfig section: its type and name (lower-cased), its keys in order, and its subsections. */
public final class Section {
    /** One {@code key value} line. */
    public record Entry(String key, String value, int line) {
    }

    private final String type;
    private final String name;
    private final String file;
    private final int line;
    private final Section parent;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Section> children = new ArrayList<>();

    Section(String type, String name, String file, int line, Section parent) {
        this.type = type;
        this.name = name;
        this.file = file;
        this.line = line;
        this.parent = parent;
    }

    void add(String key, String value, int at) {
        entries.add(new Entry(key, value, at));
    }

    void addChild(Section s) {
        children.add(s);
    }

    public String type() {
        return type;
    }

    /** The section name, or {@code null} for an unnamed section. */
    public String name() {
        return name;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public Section parent() {
        return parent;
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    public List<Section> children() {
        return Collections.unmodifiableList(children);
    }

    /** The last value of {@code key}, or {@code null}. */
    public String get(String key) {
        String v = null;
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                v = e.value();
            }
        }
        return v;
    }

    /** The line of the last {@code key}, or the section's line. */
    public int lineOf(String key) {
        int at = line;
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                at = e.line();
            }
        }
        return at;
    }

    /** {@code <type name>} as written (lower-cased). */
    public String header() {
        return "<" + type + (name != null ? " " + name : "") + ">";
    }
}
