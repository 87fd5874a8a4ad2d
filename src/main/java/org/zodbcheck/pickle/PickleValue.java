package org.zodbcheck.pickle;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A value built by {@link PickleDecoder}: the generic object tree of a pickle, without importing
 * any Python class. Leaves are records with value semantics. Containers ({@link Seq},
 * {@link Dict}, {@link Call}) are plain classes with identity semantics, because the memo can make
 * a container hold itself (a list appended into itself through a memo GET): value equality, hash
 * codes and {@code toString} would then never end. Their {@code toString} is therefore shallow.
 */
public sealed interface PickleValue permits PickleValue.Str, PickleValue.Bytes, PickleValue.Num,
        PickleValue.Const, PickleValue.Global, PickleValue.Seq, PickleValue.Dict, PickleValue.Call,
        PickleValue.Persistent, PickleValue.Other {

    /** Text: {@code BINUNICODE}, {@code SHORT_BINUNICODE}, {@code BINUNICODE8}, {@code UNICODE}. */
    record Str(String text) implements PickleValue {
    }

    /**
     * A byte string. {@code py2str} marks Python 2 {@code str} ({@code STRING}, {@code BINSTRING},
     * {@code SHORT_BINSTRING}, and {@code PERSID}'s text): raw bytes that Python 2 code treated as
     * text, e.g. attribute names and keys in FS21 files. Python 3 {@code bytes} ({@code BINBYTES},
     * {@code SHORT_BINBYTES}, {@code BINBYTES8}) have it false.
     */
    record Bytes(byte[] value, boolean py2str) implements PickleValue {
        /** The bytes as ISO-8859-1 text (one char per byte), for comparing with names. */
        public String latin1() {
            return new String(value, StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && b.py2str == py2str && Arrays.equals(b.value, value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value) * 31 + (py2str ? 1 : 0);
        }

        @Override
        public String toString() {
            return "Bytes[" + HexFormat.of().formatHex(value, 0, Math.min(value.length, 64))
                    + (value.length > 64 ? "..." : "") + (py2str ? ", py2str" : "") + "]";
        }
    }

    /** A number (int, long, float) as Python's {@code repr} prints it. */
    record Num(String repr) implements PickleValue {
    }

    /** {@code None}, {@code True}, {@code False}. */
    enum Const implements PickleValue {
        NONE("None"), TRUE("True"), FALSE("False");

        private final String repr;

        Const(String repr) {
            this.repr = repr;
        }

        public String repr() {
            return repr;
        }
    }

    /** A class or function: {@code GLOBAL}, {@code STACK_GLOBAL} or the class of {@code INST}. */
    record Global(String module, String name) implements PickleValue {
        /** {@code module.name}. */
        public String dotted() {
            return module + "." + name;
        }
    }

    /** The kinds of sequence a pickle builds. */
    enum SeqKind { LIST, TUPLE, SET, FROZENSET }

    /**
     * A list, tuple, set or frozenset, items in pickle order. Lists and sets grow while decoding
     * ({@code APPEND}, {@code APPENDS}, {@code ADDITEMS}).
     */
    final class Seq implements PickleValue {
        private final SeqKind kind;
        private final List<PickleValue> items;

        public Seq(SeqKind kind, List<PickleValue> items) {
            this.kind = kind;
            this.items = items;
        }

        public SeqKind kind() {
            return kind;
        }

        public List<PickleValue> items() {
            return items;
        }

        public boolean isTuple() {
            return kind == SeqKind.TUPLE;
        }

        @Override
        public String toString() {
            return "Seq[" + kind + ", " + items.size() + " items]";
        }
    }

    /** A dict, entries in insertion order. Keys are never hashed: Python's equality is not Java's. */
    final class Dict implements PickleValue {
        private final List<Map.Entry<PickleValue, PickleValue>> entries;

        public Dict(List<Map.Entry<PickleValue, PickleValue>> entries) {
            this.entries = entries;
        }

        public List<Map.Entry<PickleValue, PickleValue>> entries() {
            return entries;
        }

        @Override
        public String toString() {
            return "Dict[" + entries.size() + " entries]";
        }
    }

    /**
     * An object built by calling something: {@code REDUCE} ({@code callable(*args)}),
     * {@code NEWOBJ} ({@code cls.__new__(cls, *args)}), {@code NEWOBJ_EX} (with keyword
     * arguments), {@code OBJ} and {@code INST}. {@code BUILD} sets its state; {@code APPEND(S)} and
     * {@code SETITEM(S)} on it (list and dict subclasses, {@code __reduce__}'s list and dict items)
     * are kept as {@link #listItems()} and {@link #dictItems()}.
     */
    final class Call implements PickleValue {
        private final PickleValue callable;
        private final PickleValue args;
        private final PickleValue kwargs;
        private PickleValue state;
        private final List<PickleValue> listItems = new ArrayList<>(0);
        private final List<Map.Entry<PickleValue, PickleValue>> dictItems = new ArrayList<>(0);

        public Call(PickleValue callable, PickleValue args, PickleValue kwargs) {
            this.callable = callable;
            this.args = args;
            this.kwargs = kwargs;
        }

        public PickleValue callable() {
            return callable;
        }

        public PickleValue args() {
            return args;
        }

        /** {@code NEWOBJ_EX}'s keyword arguments, else {@code null}. */
        public PickleValue kwargs() {
            return kwargs;
        }

        /** The last {@code BUILD} state, or {@code null}. */
        public PickleValue state() {
            return state;
        }

        void setState(PickleValue s) {
            state = s;
        }

        public List<PickleValue> listItems() {
            return listItems;
        }

        public List<Map.Entry<PickleValue, PickleValue>> dictItems() {
            return dictItems;
        }

        @Override
        public String toString() {
            return "Call[" + (callable instanceof Global g ? g.dotted() : callable.getClass().getSimpleName()) + "]";
        }
    }

    /**
     * A persistent reference: {@code pid} is the persistent id ({@code BINPERSID}'s popped value,
     * {@code PERSID}'s text). {@code index} numbers the references of a record in pickle order,
     * {@code pickle} is 0 for the class pickle and 1 for the state pickle.
     */
    record Persistent(PickleValue pid, int index, int pickle) implements PickleValue {
        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        @Override
        public String toString() {
            return "Persistent[#" + index + ", pickle " + pickle + "]";
        }
    }

    /** Anything else: a bytearray, an extension-registry object, a buffer. */
    record Other(String what) implements PickleValue {
    }
}
