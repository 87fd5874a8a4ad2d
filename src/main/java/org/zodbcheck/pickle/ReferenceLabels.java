package org.zodbcheck.pickle;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.zodbcheck.pickle.PickleValue.Bytes;
import org.zodbcheck.pickle.PickleValue.Call;
import org.zodbcheck.pickle.PickleValue.Const;
import org.zodbcheck.pickle.PickleValue.Dict;
import org.zodbcheck.pickle.PickleValue.Global;
import org.zodbcheck.pickle.PickleValue.Num;
import org.zodbcheck.pickle.PickleValue.Other;
import org.zodbcheck.pickle.PickleValue.Persistent;
import org.zodbcheck.pickle.PickleValue.Seq;
import org.zodbcheck.pickle.PickleValue.SeqKind;
import org.zodbcheck.pickle.PickleValue.Str;

/**
 * Where each persistent reference of a record sits: answers "how is object X reached?" one hop at
 * a time, with the attribute name or mapping key under which the referrer holds the reference.
 *
 * <p>Labels are paths from the object state (the record's second pickle) to the reference:
 * {@code .link} (an attribute), {@code ['app']} (a key of a {@code PersistentMapping} or a BTree
 * bucket), {@code .related[1]}, {@code .address.home} (inside a non-persistent sub-object),
 * {@code child 2 (keys >= 'k')}, {@code next bucket}, {@code first bucket} (BTree internals),
 * {@code class} (a reference in the class pickle: the class of an instance of a persistent class).
 * Further forms: {@code key} (the reference is itself a key: of a dict, a bucket, a
 * {@code PersistentWeakKeyDictionary}), {@code item} (a member of a BTree set),
 * <code>{#i}</code> (member {@code i}, in pickle
 * order, of a set, which has no index), {@code (arg i)} (argument {@code i} of the call that
 * rebuilds a non-persistent object), {@code X class} (the class stored inside the persistent id
 * found at {@code X}), {@code (state)} (the state itself is the reference) and {@code ?} (not
 * reachable from the state: a damaged record, or a value the unpickler dropped).
 *
 * <p>The references themselves (form, oid, database, class) are exactly those
 * {@link PickleScanner} reports for the same bytes, in the same order.
 */
public final class ReferenceLabels {
    /** A persistent reference found in a record, in pickle order, with where it sits. */
    public record Labeled(RefForm form, long oid, String database, String klass, String label) {
    }

    /** Labels of references the walk from the state cannot reach. */
    public static final String UNREACHED = "?";
    /** Deepest path followed; below it the walk stops descending. */
    static final int MAX_DEPTH = 1000;
    /** Longest rendering of a key in a label. */
    static final int KEY_CAP = 60;

    /** Mapping classes whose state is {@code {'data': {...}}} or {@code {'_container': {...}}}. */
    private static final Set<String> MAPPINGS = Set.of(
            "persistent.mapping.PersistentMapping", "persistent.dict.PersistentDict",
            "Persistence.mapping.PersistentMapping", "Persistence.PersistentMapping",
            "Persistence.dict.PersistentDict", "Persistence.PersistentDict",
            "ZODB.PersistentMapping.PersistentMapping");
    /** List classes whose state is {@code {'data': [...]}}. */
    private static final Set<String> LISTS = Set.of(
            "persistent.list.PersistentList", "Persistence.list.PersistentList",
            "ZODB.PersistentList.PersistentList");

    private static final String WEAK_KEY_DICT = "persistent.wref.PersistentWeakKeyDictionary";

    private ReferenceLabels() {
    }

    /**
     * The record's class as {@code module.name} from its class pickle, or null. As
     * {@link PickleScanner#className()}: an instance of a persistent class gives
     * {@code persistent-class:0x..}.
     */
    public static String className(byte[] data, int off, int len) {
        if (!inBounds(data, off, len)) {
            return null;
        }
        try {
            PickleDecoder.Result r = PickleDecoder.decode(data, off, len);
            return Pids.className(r.classMeta(), Pids.classify(r.references()));
        } catch (RuntimeException e) {
            return null; // never: the decoder checks everything; the caller must not fail on a record
        }
    }

    /**
     * Every persistent reference in both pickles of the record (class pickle, then state pickle),
     * in the order the pickles hold them. Never throws on bad input: decoding stops at the first
     * error and the references found up to there are returned.
     */
    public static List<Labeled> of(byte[] data, int off, int len) {
        if (!inBounds(data, off, len)) {
            return List.of();
        }
        PickleDecoder.Result r;
        List<Pids.Ref> refs;
        try {
            r = PickleDecoder.decode(data, off, len);
            refs = Pids.classify(r.references());
        } catch (RuntimeException e) {
            return List.of();
        }
        String[] labels = labels(r, refs);
        List<Labeled> out = new ArrayList<>(refs.size());
        for (int i = 0; i < refs.size(); i++) {
            Pids.Ref ref = refs.get(i);
            out.add(new Labeled(ref.form(), ref.oid(), ref.database(), ref.klass(), labels[i]));
        }
        return out;
    }

    private static boolean inBounds(byte[] data, int off, int len) {
        return data != null && off >= 0 && len >= 0 && off <= data.length - len;
    }

    /** The labels, by reference index; a failure of the walk costs the labels, not the references. */
    private static String[] labels(PickleDecoder.Result r, List<Pids.Ref> refs) {
        String[] labels = new String[refs.size()];
        try {
            new Walker(r, refs, labels).run();
        } catch (RuntimeException | StackOverflowError e) {
            // not expected (the walk is iterative and bounded); unreached labels are filled below
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == null) {
                labels[i] = UNREACHED;
            }
        }
        return labels;
    }

    // ------------------------------------------------------------------ persistent ids

    /**
     * Classifies persistent ids as {@link PickleScanner.Pid} does (FORMAT.md §3.3, §3.6),
     * including its limits: strings over {@link PickleScanner#KEEP} bytes and tuples over three
     * items are opaque to it, so they are to this.
     */
    static final class Pids {
        private Pids() {
        }

        /** A classified id; for malformed ones oid is 0 but database and class may be set, as in the scanner. */
        record Ref(RefForm form, long oid, String database, String klass) {
        }

        static List<Ref> classify(List<Persistent> refs) {
            List<Ref> out = new ArrayList<>(refs.size());
            for (Persistent p : refs) {
                out.add(classify(p.pid(), out));
            }
            return out;
        }

        /** {@code before}: the ids already classified, for a class that is itself a reference. */
        private static Ref classify(PickleValue pid, List<Ref> before) {
            if (pid instanceof Str || pid instanceof Bytes) {
                Long oid = oidOf(pid);
                return oid != null ? new Ref(RefForm.OID, oid, null, null) : malformed(null, null);
            }
            if (pid instanceof Seq s && s.kind() == SeqKind.TUPLE && s.items().size() == 2) {
                Long oid = oidOf(s.items().get(0));
                if (oid != null) {
                    return new Ref(RefForm.OID_KLASS, oid, null, describeClass(s.items().get(1), before));
                }
            }
            if (pid instanceof Seq s && s.kind() == SeqKind.LIST) {
                return classifyList(s.items(), before);
            }
            return malformed(null, null);
        }

        private static Ref malformed(String db, String klass) {
            return new Ref(RefForm.MALFORMED, 0, db, klass);
        }

        private static Ref classifyList(List<PickleValue> items, List<Ref> before) {
            if (items.size() == 1) {
                Long oid = oidOf(items.get(0));
                return oid != null ? new Ref(RefForm.LIST, oid, null, null) : malformed(null, null);
            }
            if (items.size() == 2) {
                return extended(refTag(items.get(0)), items.get(1), before);
            }
            return malformed(null, null);
        }

        /** {@code ['w', ...]}, {@code ['m', ...]}, {@code ['n', ...]} (FORMAT.md §3.3). */
        private static Ref extended(int kind, PickleValue args, List<Ref> before) {
            List<PickleValue> t = smallTuple(args);
            int n = t == null ? -1 : t.size();
            if (kind == 'w') {
                // zodbupdate writes ['w', oid]; ZODB ['w', (oid,)] or ['w', (oid, db)]
                Long oid = t == null ? oidOf(args) : (n == 1 || n == 2) ? oidOf(t.get(0)) : null;
                PickleValue db = n == 2 ? t.get(1) : null;
                String dbName = db == null ? null : string(db);
                boolean ok = oid != null && (db == null || dbName != null);
                return ok ? new Ref(RefForm.WEAK, oid, dbName, null) : malformed(dbName, null);
            }
            if (kind == 'm' || kind == 'n') {
                if (t == null || !(n == 2 || (n == 3 && kind == 'm'))) {
                    return malformed(null, null);
                }
                String dbName = string(t.get(0));
                Long oid = oidOf(t.get(1));
                String klass = n == 3 ? describeClass(t.get(2), before) : null;
                if (oid == null || dbName == null) {
                    return malformed(dbName, klass);
                }
                return new Ref(kind == 'm' ? RefForm.MULTI : RefForm.NAMED, oid, dbName, klass);
            }
            return malformed(null, null);
        }

        /** The items of a tuple the scanner keeps (at most three), else null. */
        private static List<PickleValue> smallTuple(PickleValue v) {
            return v instanceof Seq s && s.kind() == SeqKind.TUPLE && s.items().size() <= 3 ? s.items() : null;
        }

        /** An 8-byte oid: bytes, or text of 8 code points below 256 (an ASCII py2 str read by Python 3). */
        static Long oidOf(PickleValue v) {
            byte[] b = null;
            if (v instanceof Bytes bytes) {
                b = bytes.value();
            } else if (v instanceof Str s && s.text().length() == 8 && s.text().chars().allMatch(c -> c < 256)) {
                b = s.text().getBytes(StandardCharsets.ISO_8859_1);
            }
            if (b == null || b.length != 8) {
                return null;
            }
            long oid = 0;
            for (byte x : b) {
                oid = (oid << 8) | (x & 0xff);
            }
            return oid;
        }

        /** The one-character tag of an extended reference ('w', 'm', 'n'), or 0. */
        private static int refTag(PickleValue v) {
            if (v instanceof Bytes b && b.value().length == 1) {
                return b.value()[0] & 0xff;
            }
            if (v instanceof Str s && s.text().length() == 1 && s.text().charAt(0) < 0x80) {
                return s.text().charAt(0);
            }
            return 0;
        }

        /** A database name: text, or bytes read as ISO-8859-1; null if neither or too long for the scanner. */
        static String string(PickleValue v) {
            if (v instanceof Str s && s.text().getBytes(StandardCharsets.UTF_8).length <= PickleScanner.KEEP) {
                return s.text();
            }
            if (v instanceof Bytes b && b.value().length <= PickleScanner.KEEP) {
                return b.latin1();
            }
            return null;
        }

        /** A class as found in a pickle: a global, or a persistent class (a reference). */
        static String describeClass(PickleValue v, List<Ref> refs) {
            if (v instanceof Global g) {
                return (g.module() + "\n" + g.name()).replace('\n', '.');
            }
            if (v instanceof Persistent p && p.index() < refs.size()) {
                return "persistent-class:" + oidHex(refs.get(p.index()).oid());
            }
            return null;
        }

        static String oidHex(long oid) {
            String hex = Long.toHexString(oid);
            return (hex.length() % 2 == 1) ? "0x0" + hex : "0x" + hex;
        }

        /** The class from the class pickle, read as {@link PickleScanner#className()} reads it. */
        static String className(PickleValue classMeta, List<Ref> refs) {
            PickleValue h = classMeta;
            List<PickleValue> t = smallTuple(h);
            if (t != null && !t.isEmpty()) {
                List<PickleValue> first = smallTuple(t.get(0));
                if (first != null && first.size() == 2) {
                    // ((module, name), args): an instance of a persistent class that has a module
                    String module = string(first.get(0));
                    String name = string(first.get(1));
                    return module != null && name != null ? module + "." + name : null;
                }
                h = t.get(0);
            }
            return describeClass(h, refs);
        }
    }

    // ------------------------------------------------------------------ the walk

    /**
     * Walks the state depth-first in pickle order with an explicit stack, labelling each
     * reference with the first path that reaches it. Containers are entered once (the memo can
     * share them, or make them hold themselves) and never deeper than {@link #MAX_DEPTH}.
     */
    private static final class Walker {
        private final PickleDecoder.Result result;
        private final List<Pids.Ref> refs;
        private final String[] labels;
        private final Set<PickleValue> entered = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Deque<Task> todo = new ArrayDeque<>();
        private final Keys keys;

        /** A value to visit; {@code asState}: it is an object's state, so dict keys are attribute names. */
        private record Task(PickleValue value, Path path, boolean asState) {
        }

        Walker(PickleDecoder.Result result, List<Pids.Ref> refs, String[] labels) {
            this.result = result;
            this.refs = refs;
            this.labels = labels;
            this.keys = new Keys(refs);
        }

        void run() {
            labelClassPickle();
            PickleValue state = result.state();
            if (state == null && result.classMeta() != null && !result.unfinished().isEmpty()
                    && result.unfinished().get(0) instanceof Dict partial) {
                // A damaged state pickle: a dict at the bottom of its stack is the object's
                // __dict__ (or the first dict of a slots state) as far as it was filled in.
                state = partial;
            }
            if (state != null) {
                root(Pids.className(result.classMeta(), refs), state);
                drain();
            }
        }

        /** References in the class pickle: the class of an instance of a persistent class. */
        private void labelClassPickle() {
            for (Persistent p : result.references()) {
                if (p.pickle() == 0) {
                    labels[p.index()] = "class";
                }
            }
        }

        /** The state by the rules of the record's class; anything unknown is an instance state. */
        private void root(String klass, PickleValue state) {
            Path root = Path.ROOT;
            if (klass != null && klass.startsWith("BTrees.") && btree(klass, state)) {
                return;
            }
            if (WEAK_KEY_DICT.equals(klass) && weakKeyDict(state)) {
                return;
            }
            Map.Entry<PickleValue, PickleValue> data = wrapped(state, klass);
            if (data != null) {
                wrapper((Dict) state, data);
                return;
            }
            todo.push(new Task(state, root, true));
        }

        private void drain() {
            while (!todo.isEmpty()) {
                Task t = todo.pop();
                visit(t.value(), t.path(), t.asState());
            }
        }

        /** Schedules children so that they are visited in the order given (the stack is LIFO). */
        private void later(List<Task> children) {
            for (int i = children.size() - 1; i >= 0; i--) {
                todo.push(children.get(i));
            }
        }

        private void visit(PickleValue v, Path path, boolean asState) {
            if (v instanceof Persistent p) {
                if (labels[p.index()] == null) {
                    labels[p.index()] = path.render(keys);
                }
                // a class stored in the id can itself be a reference (ZClasses)
                schedule(p.pid(), path.text("class", true), false);
                return;
            }
            if (!(v instanceof Seq || v instanceof Dict || v instanceof Call)) {
                return; // leaves hold no references
            }
            if (path.depth() >= MAX_DEPTH || !entered.add(v)) {
                return;
            }
            List<Task> children = new ArrayList<>();
            if (v instanceof Dict d) {
                entries(d.entries(), path, asState, children);
            } else if (v instanceof Seq s) {
                sequence(s, path, asState, children);
            } else {
                call((Call) v, path, children);
            }
            later(children);
        }

        private void schedule(PickleValue v, Path path, boolean asState) {
            if (v instanceof Persistent || v instanceof Seq || v instanceof Dict || v instanceof Call) {
                todo.push(new Task(v, path, asState));
            }
        }

        /** Dict entries: attributes of an instance state, else keys of a mapping. */
        private void entries(List<Map.Entry<PickleValue, PickleValue>> entries, Path path, boolean asState,
                List<Task> out) {
            for (Map.Entry<PickleValue, PickleValue> e : entries) {
                out.add(new Task(e.getKey(), path.text("key", false), false));
                out.add(new Task(e.getValue(), asState ? path.attr(e.getKey()) : path.item(e.getKey()), false));
            }
        }

        /** An instance state {@code (dict, slots)} (classes with {@code __slots__}) gives attributes twice. */
        private void sequence(Seq s, Path path, boolean asState, List<Task> out) {
            List<PickleValue> items = s.items();
            if (asState && isSlotsState(s)) {
                out.add(new Task(items.get(0), path, true));
                out.add(new Task(items.get(1), path, true));
                return;
            }
            boolean set = s.kind() == SeqKind.SET || s.kind() == SeqKind.FROZENSET;
            for (int i = 0; i < items.size(); i++) {
                out.add(new Task(items.get(i), set ? path.element(i) : path.index(i), false));
            }
        }

        private static boolean isSlotsState(Seq s) {
            return s.isTuple() && s.items().size() == 2 && s.items().get(1) instanceof Dict
                    && (s.items().get(0) instanceof Dict || s.items().get(0) == Const.NONE);
        }

        /**
         * A non-persistent object: its state gives attributes ({@code .address.city}); list and
         * dict items (list and dict subclasses, {@code OrderedDict}) give indexes and keys; a set
         * pickled as {@code set([...])} gives members; other arguments {@code (arg i)}.
         */
        private void call(Call c, Path path, List<Task> out) {
            out.add(new Task(c.callable(), path.text("(callable)", false), false));
            if (isSetCall(c)) {
                List<PickleValue> members = ((Seq) ((Seq) c.args()).items().get(0)).items();
                for (int i = 0; i < members.size(); i++) {
                    out.add(new Task(members.get(i), path.element(i), false));
                }
            } else if (c.args() instanceof Seq args && args.isTuple()) {
                for (int i = 0; i < args.items().size(); i++) {
                    out.add(new Task(args.items().get(i), path.arg(i), false));
                }
            } else {
                out.add(new Task(c.args(), path.text("(args)", false), false));
            }
            if (c.kwargs() != null) {
                out.add(new Task(c.kwargs(), path.text("(kwargs)", false), false));
            }
            if (c.state() != null) {
                out.add(new Task(c.state(), path, true));
            }
            for (int i = 0; i < c.listItems().size(); i++) {
                out.add(new Task(c.listItems().get(i), path.index(i), false));
            }
            entries(c.dictItems(), path, false, out);
        }

        /** {@code set([...])} / {@code frozenset([...])} as protocols 0-2 pickle sets. */
        private static boolean isSetCall(Call c) {
            return c.callable() instanceof Global g
                    && (g.module().equals("__builtin__") || g.module().equals("builtins"))
                    && (g.name().equals("set") || g.name().equals("frozenset"))
                    && c.args() instanceof Seq a && a.isTuple() && a.items().size() == 1
                    && a.items().get(0) instanceof Seq l && l.kind() == SeqKind.LIST;
        }

        // ---- PersistentMapping, PersistentDict, PersistentList

        /**
         * The {@code data} (or {@code _container}) entry of a mapping or list wrapper's state: for
         * the known classes, and for any state that is nothing but such a mapping (subclasses of
         * PersistentMapping, such as application folders; a plain object whose only attribute is
         * a dict named {@code data} looks the same and gets {@code ['k']} for {@code .data['k']}).
         */
        private static Map.Entry<PickleValue, PickleValue> wrapped(PickleValue state, String klass) {
            if (!(state instanceof Dict d)) {
                return null;
            }
            boolean mappingClass = klass != null && MAPPINGS.contains(klass);
            boolean listClass = klass != null && LISTS.contains(klass);
            boolean onlyEntry = d.entries().size() == 1;
            for (Map.Entry<PickleValue, PickleValue> e : d.entries()) {
                String name = Keys.text(e.getKey());
                boolean mapping = e.getValue() instanceof Dict && ("data".equals(name) || "_container".equals(name));
                boolean list = e.getValue() instanceof Seq s && s.kind() == SeqKind.LIST && "data".equals(name);
                if ((mapping && (mappingClass || onlyEntry)) || (list && listClass)) {
                    return e;
                }
            }
            return null;
        }

        /** The wrapped dict's keys or list's indexes label directly: {@code ['app']}, not {@code .data['app']}. */
        private void wrapper(Dict state, Map.Entry<PickleValue, PickleValue> data) {
            List<Task> out = new ArrayList<>();
            for (Map.Entry<PickleValue, PickleValue> e : state.entries()) {
                if (e != data) {
                    out.add(new Task(e.getKey(), Path.ROOT.text("key", false), false));
                    out.add(new Task(e.getValue(), Path.ROOT.attr(e.getKey()), false));
                } else if (e.getValue() instanceof Dict mapping) {
                    entered.add(mapping);
                    entries(mapping.entries(), Path.ROOT, false, out);
                } else {
                    Seq list = (Seq) e.getValue();
                    entered.add(list);
                    sequence(list, Path.ROOT, false, out);
                }
            }
            later(out);
        }

        /**
         * {@code PersistentWeakKeyDictionary} keeps {@code {'data': [(WeakRef, value), ...]}}: the
         * weak reference is a key ({@code key}), the value sits at {@code [<persistent 0x..>]}.
         */
        private boolean weakKeyDict(PickleValue state) {
            if (!(state instanceof Dict d && d.entries().size() == 1 && "data".equals(Keys.text(d.entries().get(0).getKey()))
                    && d.entries().get(0).getValue() instanceof Seq pairs && pairs.kind() == SeqKind.LIST)) {
                return false;
            }
            List<Task> out = new ArrayList<>();
            for (PickleValue pair : pairs.items()) {
                if (pair instanceof Seq kv && kv.isTuple() && kv.items().size() == 2) {
                    out.add(new Task(kv.items().get(0), Path.ROOT.text("key", false), false));
                    out.add(new Task(kv.items().get(1), Path.ROOT.item(kv.items().get(0)), false));
                } else {
                    out.add(new Task(pair, Path.ROOT.text("item", false), false));
                }
            }
            later(out);
            return true;
        }

        // ---- BTrees

        /** BTrees, buckets, sets and tree sets by their state layout; false if the state does not fit. */
        private boolean btree(String klass, PickleValue state) {
            String name = klass.substring(klass.lastIndexOf('.') + 1);
            if (name.endsWith("Py")) {
                name = name.substring(0, name.length() - 2); // the pure-Python twins pickle alike
            }
            if (name.endsWith("BTree") || name.endsWith("TreeSet")) {
                return tree(state, name.endsWith("TreeSet"));
            }
            if (name.endsWith("Bucket") || name.endsWith("Set")) {
                return bucket(state, name.endsWith("Set"));
            }
            return false;
        }

        /** A bucket's state: {@code (items,)} or {@code (items, next_bucket)}. */
        private boolean bucket(PickleValue state, boolean set) {
            if (!(state instanceof Seq s && s.isTuple() && (s.items().size() == 1 || s.items().size() == 2)
                    && s.items().get(0) instanceof Seq items && items.isTuple())) {
                return false;
            }
            List<Task> out = new ArrayList<>();
            items(items, set, out);
            if (s.items().size() == 2) {
                out.add(new Task(s.items().get(1), Path.ROOT.text("next bucket", false), false));
            }
            later(out);
            return true;
        }

        /** Bucket items: {@code (k0, v0, k1, v1, ...)} for mappings, {@code (k0, k1, ...)} for sets. */
        private void items(Seq items, boolean set, List<Task> out) {
            List<PickleValue> kv = items.items();
            for (int i = 0; i < kv.size(); i++) {
                if (set) {
                    out.add(new Task(kv.get(i), Path.ROOT.text("item", false), false));
                } else if ((i & 1) == 0) {
                    out.add(new Task(kv.get(i), Path.ROOT.text("key", false), false));
                } else {
                    out.add(new Task(kv.get(i), Path.ROOT.item(kv.get(i - 1)), false));
                }
            }
        }

        /**
         * A tree's state: {@code None} (empty), {@code ((bucket_state,),)} with bucket_state
         * {@code (items,)} (a lone bucket without an oid is kept inline: {@code _BTree_getstate}
         * wraps it twice), or {@code ((child0, key1, child1, ...), first_bucket)}.
         */
        private boolean tree(PickleValue state, boolean set) {
            if (!(state instanceof Seq s && s.isTuple())) {
                return false;
            }
            List<PickleValue> st = s.items();
            if (st.size() == 1 && st.get(0) instanceof Seq inner && inner.isTuple() && inner.items().size() == 1) {
                return bucket(inner.items().get(0), set);
            }
            if (st.size() != 2 || !(st.get(0) instanceof Seq children && children.isTuple())) {
                return false;
            }
            List<Task> out = new ArrayList<>();
            children(children.items(), out);
            out.add(new Task(st.get(1), Path.ROOT.text("first bucket", false), false));
            later(out);
            return true;
        }

        /** {@code child 0 (keys < 'k1')}, {@code child i (keys >= 'ki')}; a lone child is {@code child 0}. */
        private void children(List<PickleValue> ck, List<Task> out) {
            for (int i = 0; i < ck.size(); i++) {
                if ((i & 1) == 1) {
                    out.add(new Task(ck.get(i), Path.ROOT.text("key", false), false));
                    continue;
                }
                int child = i / 2;
                String text = "child " + child;
                if (ck.size() > 1) {
                    text += child == 0 ? " (keys < " + keys.repr(ck.get(1)) + ")"
                            : " (keys >= " + keys.repr(ck.get(i - 1)) + ")";
                }
                out.add(new Task(ck.get(i), Path.ROOT.text(text, false), false));
            }
        }
    }

    // ------------------------------------------------------------------ paths

    /**
     * A path from the state root, kept as a chain so that the label text is only built for the
     * paths that end at a reference. {@code sealed} paths ignore further steps: everything inside
     * a persistent id is labelled as the id's class.
     */
    private static final class Path {
        static final Path ROOT = new Path(null, Step.ROOT, null, 0, 0, false);

        private enum Step { ROOT, ATTR, ITEM, INDEX, ELEMENT, ARG, TEXT }

        private final Path parent;
        private final Step step;
        private final Object what;
        private final int index;
        private final int depth;
        private final boolean sealed;

        private Path(Path parent, Step step, Object what, int index, int depth, boolean sealed) {
            this.parent = parent;
            this.step = step;
            this.what = what;
            this.index = index;
            this.depth = depth;
            this.sealed = sealed;
        }

        int depth() {
            return depth;
        }

        private Path then(Step s, Object w, int i, boolean seal) {
            return sealed ? this : new Path(this, s, w, i, depth + 1, seal);
        }

        Path attr(PickleValue key) {
            return then(Step.ATTR, key, 0, false);
        }

        Path item(PickleValue key) {
            return then(Step.ITEM, key, 0, false);
        }

        Path index(int i) {
            return then(Step.INDEX, null, i, false);
        }

        Path element(int i) {
            return then(Step.ELEMENT, null, i, false);
        }

        Path arg(int i) {
            return then(Step.ARG, null, i, false);
        }

        /** A word; after a non-empty path it is set off by a space ({@code .index key}). */
        Path text(String s, boolean seal) {
            return then(Step.TEXT, s, 0, seal);
        }

        String render(Keys keys) {
            List<Path> chain = new ArrayList<>();
            for (Path x = this; x.step != Step.ROOT; x = x.parent) {
                chain.add(x);
            }
            if (chain.isEmpty()) {
                return "(state)";
            }
            StringBuilder sb = new StringBuilder();
            for (int i = chain.size() - 1; i >= 0; i--) {
                chain.get(i).append(sb, keys);
            }
            return sb.toString();
        }

        private void append(StringBuilder sb, Keys keys) {
            switch (step) {
                case ATTR -> sb.append(keys.attribute((PickleValue) what));
                case ITEM -> sb.append('[').append(keys.repr((PickleValue) what)).append(']');
                case INDEX -> sb.append('[').append(index).append(']');
                case ELEMENT -> sb.append("{#").append(index).append('}');
                case ARG -> sb.append("(arg ").append(index).append(')');
                case TEXT -> sb.append(sb.length() > 0 ? " " : "").append((String) what);
                default -> { }
            }
        }
    }

    // ------------------------------------------------------------------ keys

    /** Renders keys and attribute names the way Python 3's {@code repr} prints them, capped. */
    static final class Keys {
        private static final int MAX_NESTING = 20;
        private final List<Pids.Ref> refs;

        Keys(List<Pids.Ref> refs) {
            this.refs = refs;
        }

        /** The text of a str or a Python 2 str key (attribute names are one or the other), else null. */
        static String text(PickleValue v) {
            if (v instanceof Str s) {
                return s.text();
            }
            if (v instanceof Bytes b && b.py2str()) {
                return b.latin1();
            }
            return null;
        }

        /** {@code .name} for identifiers, {@code .'odd name'} for other names, {@code [key]} for non-strings. */
        String attribute(PickleValue key) {
            String name = text(key);
            if (name == null) {
                return "[" + repr(key) + "]";
            }
            boolean ascii = key instanceof Bytes;
            return "." + (isIdentifier(name, ascii) ? name : repr(key));
        }

        static boolean isIdentifier(String s, boolean asciiOnly) {
            if (s.isEmpty()) {
                return false;
            }
            for (int i = 0; i < s.length(); ) {
                int c = s.codePointAt(i);
                boolean ok = c == '_' || (c < 0x80 ? Character.isLetter(c) || (i > 0 && Character.isDigit(c))
                        : !asciiOnly && (i == 0 ? Character.isUnicodeIdentifierStart(c)
                                : Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c)));
                if (!ok) {
                    return false;
                }
                i += Character.charCount(c);
            }
            return true;
        }

        /** A key as Python 3 prints it, cut to {@value #KEY_CAP} characters with {@code ...}. */
        String repr(PickleValue v) {
            StringBuilder sb = new StringBuilder();
            append(sb, v, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
            if (sb.length() > KEY_CAP) {
                sb.setLength(KEY_CAP - 3);
                sb.append("...");
            }
            return sb.toString();
        }

        private void append(StringBuilder sb, PickleValue v, int nesting, Set<PickleValue> open) {
            if (sb.length() > KEY_CAP) {
                return; // cut anyway
            }
            if (v instanceof Str s) {
                sb.append(strRepr(s.text()));
            } else if (v instanceof Bytes b) {
                sb.append(b.py2str() ? "" : "b").append(bytesRepr(b.value()));
            } else if (v instanceof Num n) {
                sb.append(n.repr());
            } else if (v instanceof Const c) {
                sb.append(c.repr());
            } else if (v instanceof Global g) {
                sb.append(g.dotted());
            } else if (v instanceof Persistent p) {
                long oid = p.index() < refs.size() ? refs.get(p.index()).oid() : 0;
                sb.append("<persistent ").append(Pids.oidHex(oid)).append('>');
            } else if (v instanceof Other o) {
                sb.append('<').append(o.what()).append('>');
            } else if (v instanceof Call c) {
                sb.append('<').append(callClass(c)).append('>');
            } else if (v instanceof Dict d) {
                sb.append(d.entries().isEmpty() ? "{}" : "{...}");
            } else if (v instanceof Seq s) {
                sequence(sb, s, nesting, open);
            }
        }

        private void sequence(StringBuilder sb, Seq s, int nesting, Set<PickleValue> open) {
            List<PickleValue> items = s.items();
            if (nesting >= MAX_NESTING || !open.add(s)) {
                sb.append("...");
                return;
            }
            String[] brackets = switch (s.kind()) {
                case LIST -> new String[] {"[", "]"};
                case TUPLE -> new String[] {"(", items.size() == 1 ? ",)" : ")"};
                case SET -> items.isEmpty() ? new String[] {"set(", ")"} : new String[] {"{", "}"};
                case FROZENSET -> new String[] {"frozenset({", "})"};
            };
            sb.append(brackets[0]);
            for (int i = 0; i < items.size() && sb.length() <= KEY_CAP; i++) {
                sb.append(i > 0 ? ", " : "");
                append(sb, items.get(i), nesting + 1, open);
            }
            sb.append(brackets[1]);
            open.remove(s);
        }

        /** The class of an object built by a call; {@code copy_reg._reconstructor} names it in its arguments. */
        private static String callClass(Call c) {
            if (c.callable() instanceof Global g) {
                if (g.name().equals("_reconstructor") && c.args() instanceof Seq a && !a.items().isEmpty()
                        && a.items().get(0) instanceof Global cls) {
                    return cls.dotted();
                }
                return g.dotted();
            }
            return "object";
        }

        /** Python 3's {@code repr(str)}. */
        static String strRepr(String s) {
            char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
            StringBuilder sb = new StringBuilder().append(quote);
            for (int i = 0; i < s.length() && sb.length() <= KEY_CAP; ) {
                int c = s.codePointAt(i);
                i += Character.charCount(c);
                if (c == quote || c == '\\') {
                    sb.append('\\').appendCodePoint(c);
                } else if (c == '\t' || c == '\n' || c == '\r') {
                    sb.append(c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
                } else if (c >= 0x20 && c < 0x7f || c >= 0x7f && isPrintable(c)) {
                    sb.appendCodePoint(c);
                } else if (c <= 0xff) {
                    sb.append(String.format("\\x%02x", c));
                } else if (c <= 0xffff) {
                    sb.append(String.format("\\u%04x", c));
                } else {
                    sb.append(String.format("\\U%08x", c));
                }
            }
            return sb.append(quote).toString();
        }

        /** Python's {@code str.isprintable} for one code point above ASCII. */
        private static boolean isPrintable(int c) {
            return switch (Character.getType(c)) {
                case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                        Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                        Character.SPACE_SEPARATOR -> false;
                default -> true;
            };
        }

        /** Python's {@code repr(bytes)} without the {@code b}: also Python 2's {@code repr(str)}. */
        static String bytesRepr(byte[] b) {
            boolean single = false;
            boolean dbl = false;
            for (byte x : b) {
                single |= x == '\'';
                dbl |= x == '"';
            }
            char quote = single && !dbl ? '"' : '\'';
            StringBuilder sb = new StringBuilder().append(quote);
            for (int i = 0; i < b.length && sb.length() <= KEY_CAP; i++) {
                int c = b[i] & 0xff;
                if (c == quote || c == '\\') {
                    sb.append('\\').append((char) c);
                } else if (c == '\t' || c == '\n' || c == '\r') {
                    sb.append(c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
                } else if (c < 0x20 || c >= 0x7f) {
                    sb.append(String.format("\\x%02x", c));
                } else {
                    sb.append((char) c);
                }
            }
            return sb.append(quote).toString();
        }
    }
}
