package org.zodbcheck.generate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Writes a large, realistic synthetic FileStorage: a Plone-like site (see {@link Site}) grown
 * folder by folder, edited, undone, with some folders dropped and some oids made missing, plus
 * the ground truth a reference checker must reproduce (see {@link GeneratorResult}).
 *
 * <p>Transactions, in the order the main random sequence picks them:
 * <ul>
 *   <li><b>create</b>: a new folder with 20-120 items (one block), its entry in the site's
 *       folder registry and its items' in the intid utility and the catalog (rewriting the last
 *       buckets of those trees), plus a few edits when edits are due;</li>
 *   <li><b>edit</b>: about {@code txnSize} items (and their text holders, sometimes folders)
 *       get a new revision; edits are due while records &lt; revisions × oids;</li>
 *   <li><b>undo</b> of the preceding edit transaction: backpointers to the data before it
 *       (FORMAT.md §1.8); sometimes followed by a <b>redo</b> (backpointers to the edit);</li>
 *   <li><b>drop</b> of a doomed folder (decided at its creation, dropped 1-50 transactions
 *       later): removed from the registry, so its whole block is garbage. Doomed folders never
 *       had their items registered in intids or the catalog, so no bucket there ever empties
 *       (BTrees would unlink an empty bucket, which this model does not do);</li>
 *   <li><b>deleteObject</b> of the missing oids of kind "deleted" (1-30 transactions after their
 *       creation): a record with plen 0 and back 0, as zc.zodbdgc's gc writes.</li>
 * </ul>
 * Missing oids are content items chosen when their folder is created: those meant to be
 * referenced from garbage only go into doomed folders (no live object ever refers into a doomed
 * folder), the others into live ones, where later items may refer to them too. Who refers to
 * them is tracked record by record ({@link RefTracker}).
 *
 * <p>Memory: a few numbers per folder, two file positions per oid, one long per node of the
 * site-wide BTrees; the file itself is streamed in chunks of a few MB.
 */
public final class StorageGenerator {
    private static final int EDIT_DELAY = 30;
    private static final int DROP_DELAY = 50;

    private enum TxnKind { EDIT, UNDO, OTHER }

    /** Something scheduled for a later transaction: a folder drop or a deletion. */
    private record Due(long txn, long seq, int block, MissingOid missing) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            return txn != o.txn ? Long.compare(txn, o.txn) : Long.compare(seq, o.seq);
        }
    }

    private final GeneratorParams params;
    private final Dialect dialect;
    private final Rng rng;
    private final Clock clock = new Clock();
    private final RefTracker tracker = new RefTracker();
    private final Site site;
    private final States states;
    private final TreeShape siteShape;
    private FileStorageWriter w;
    private BTreeModel siteTree;
    private BTreeModel intidRefs;
    private BTreeModel uids;
    private BTreeModel paths;
    private long nextOid = Site.FIRST_FREE_OID;

    private final Deque<MissingOid.Kind> reachableQueue = new ArrayDeque<>();
    private final Deque<MissingOid.Kind> garbageQueue = new ArrayDeque<>();
    private final List<MissingOid> missing = new ArrayList<>();
    private final LongSet neverWritten = new LongSet();
    private final PriorityQueue<Due> drops = new PriorityQueue<>();
    private final PriorityQueue<Due> deletions = new PriorityQueue<>();
    private long dueSeq;
    private boolean finishing;

    /** The last edit transaction: oid, its edit record, its data before the edit. */
    private final LongList journalOid = new LongList();
    private final LongList journalEdit = new LongList();
    private final LongList journalBefore = new LongList();
    private TxnKind lastKind = TxnKind.OTHER;
    /** The last edit transaction found nothing to edit: create a folder before trying again. */
    private boolean editsStalled;
    private final LongSet inTxn = new LongSet();
    private long undoTxns;
    private long deletedRecords;

    public StorageGenerator(GeneratorParams params) {
        this.params = params;
        this.dialect = params.dialect();
        this.rng = new Rng(Rng.mix(params.seed(), 0x6e6));
        boolean small = params.smallTrees();
        this.siteShape = small ? new TreeShape(4, 3) : new TreeShape(24, 125);
        this.site = new Site(params.seed(), small ? new TreeShape(3, 3) : new TreeShape(24, 125));
        this.states = new States(site, tracker);
        planMissing();
    }

    /** Writes the storage to {@code out} (replacing it) and returns what it holds. */
    public GeneratorResult run(Path out) throws IOException {
        long start = System.nanoTime();
        try (FileStorageWriter writer = new FileStorageWriter(out, dialect, tracker)) {
            w = writer;
            initialTxn();
            siteTxn();
            while (!targetReached()) {
                step();
            }
            finish();
        }
        return result(out, (System.nanoTime() - start) / 1e9);
    }

    // ------------------------------------------------------------------ plan

    /** Kinds alternate (half deleted, half never written) in both placements. */
    private void planMissing() {
        int garbageOnly = params.garbage() > 0 ? (int) Math.round(params.missing() * params.missingGarbageShare()) : 0;
        for (int i = 0; i < params.missing(); i++) {
            MissingOid.Kind kind = i % 2 == 0 ? MissingOid.Kind.DELETED : MissingOid.Kind.NEVER_WRITTEN;
            (i < garbageOnly ? garbageQueue : reachableQueue).add(kind);
        }
    }

    private boolean targetReached() {
        return params.objects() > 0 ? nextOid >= params.objects() : w.size() >= params.bytes();
    }

    /** About how many more folders will be created (at least 1: this one). */
    private double blocksLeft() {
        if (finishing) {
            return 1;
        }
        int blocks = Math.max(1, site.blocks());
        double perBlock;
        double remaining;
        if (params.objects() > 0) {
            perBlock = site.blocks() == 0 ? 120 : (double) (nextOid - Site.FIRST_FREE_OID) / blocks;
            remaining = params.objects() - nextOid;
        } else {
            perBlock = site.blocks() == 0 ? 80_000 : (double) w.size() / blocks;
            remaining = params.bytes() - w.size();
        }
        return Math.max(1, Math.ceil(remaining / perBlock));
    }

    // ------------------------------------------------------------------ transactions

    private void step() throws IOException {
        long txn = w.transactions();
        if (!drops.isEmpty() && drops.peek().txn() <= txn) {
            dropTxn(drops.poll().block());
        } else if (!deletions.isEmpty() && deletions.peek().txn() <= txn) {
            deleteTxn(txn);
        } else if (lastKind == TxnKind.EDIT && undoTxns + rng.nextDouble() < params.undo() * (txn + 1)) {
            undoTxn(false);
        } else if (lastKind == TxnKind.UNDO && rng.chance(0.25)) {
            undoTxn(true);
        } else if (editDebt() >= params.txnSize() && !editsStalled && site.blocks() > 0) {
            editTxn();
        } else {
            createTxn();
        }
    }

    /** Then what is still pending: missing oids not placed yet, folder drops, deletions. */
    private void finish() throws IOException {
        finishing = true;
        while (!reachableQueue.isEmpty() || !garbageQueue.isEmpty()) {
            createTxn();
        }
        while (!drops.isEmpty()) {
            dropTxn(drops.poll().block());
        }
        if (!deletions.isEmpty()) {
            deleteTxn(Long.MAX_VALUE);
        }
    }

    private long editDebt() {
        return (long) (params.revisions() * nextOid) - w.records();
    }

    /** "initial database creation": the empty root, as ZODB writes it when it creates a storage. */
    private void initialTxn() throws IOException {
        begin("", "initial database creation", new byte[0]);
        states.root(w, false);
        w.endTxn();
    }

    /** The Zope application and the Plone site with its empty registry, intids and catalog. */
    private void siteTxn() throws IOException {
        double now = begin("/ admin", "/manage_addProduct/CMFPlone/addPloneSite", new byte[0]);
        states.root(w, true);
        states.application(w);
        states.plone(w, now);
        states.intids(w);
        states.catalogTool(w);
        states.catalog(w);
        siteTree = new BTreeModel(Site.SITE_TREE, Classes.OOBTREE, Classes.OOBUCKET, siteShape, states.siteTree());
        TreeShape items = params.smallTrees() ? new TreeShape(5, 3) : new TreeShape(45, 250);
        intidRefs = new BTreeModel(Site.INTID_REFS, Classes.IOBTREE, Classes.IOBUCKET, items, states.intidRefs());
        uids = new BTreeModel(Site.UIDS, Classes.OIBTREE, Classes.OIBUCKET, items, states.uids());
        paths = new BTreeModel(Site.PATHS, Classes.IOBTREE, Classes.IOBUCKET, items, states.paths());
        for (BTreeModel t : List.of(siteTree, intidRefs, uids, paths)) {
            t.append(0, this::allocate);
            t.write(w);
        }
        states.length(w, Site.SITE_COUNT, 0);
        states.length(w, Site.CATALOG_LENGTH, 0);
        w.endTxn();
    }

    /** A new folder with its items, registered everywhere; plus due edits. */
    private void createTxn() throws IOException {
        int b = site.blocks();
        int n = itemCount();
        boolean doom = decideDoom(b);
        long tid = clock.next(rng);
        double now = clock.now();
        long base = nextOid;
        nextOid += site.blockOids(site.items(), n);
        site.addBlock(base, n, now, doom);
        placeMissing(b, n, doom);
        String folder = "/Plone/folder-" + String.format("%06d", b);
        begin(tid, editor(), folder + "/createObject?type_name=Folder",
                w.extension(Names.REQUEST, (folder + "/folder_contents").getBytes(StandardCharsets.US_ASCII)));
        edits((int) Math.max(0, Math.min(editDebt(), params.txnSize() / 2)), b, tid, now);
        siteTree.append(1, this::allocate);
        siteTree.write(w);
        states.length(w, Site.SITE_COUNT, site.blocks() - site.droppedCount());
        writeBlock(b, tid, now);
        if (!doom) {
            for (BTreeModel t : List.of(intidRefs, uids, paths)) {
                t.append(n, this::allocate);
                t.write(w);
            }
            states.length(w, Site.CATALOG_LENGTH, site.indexedItems());
        }
        w.endTxn();
        if (doom) {
            drops.add(new Due(w.transactions() + rng.between(1, DROP_DELAY), dueSeq++, b, null));
        }
        editsStalled = false;
        lastKind = TxnKind.OTHER;
    }

    private void editTxn() throws IOException {
        long tid = clock.next(rng);
        double now = clock.now();
        begin(tid, editor(), "/Plone/@@edit", new byte[0]);
        int count = rng.between(params.txnSize() / 2, params.txnSize() * 3 / 2);
        edits(count, site.blocks(), tid, now);
        w.endTxn();
        editsStalled = journalOid.size() == 0;
        lastKind = editsStalled ? TxnKind.OTHER : TxnKind.EDIT;
    }

    /**
     * Undo of the last edit transaction: each of its oids gets a backpointer to its data before
     * the edit. A redo (undo of that undo) points back at the edit records.
     */
    private void undoTxn(boolean redo) throws IOException {
        long tid = clock.next(rng);
        begin(tid, "/ admin", redo ? "/manage_undo_transactions (redo)" : "/manage_undo_transactions", new byte[0]);
        for (int i = 0; i < journalOid.size(); i++) {
            w.backpointer(journalOid.get(i), redo ? journalEdit.get(i) : journalBefore.get(i));
        }
        w.endTxn();
        undoTxns++;
        lastKind = redo ? TxnKind.OTHER : TxnKind.UNDO;
    }

    /** The folder leaves the site's registry: its whole block becomes garbage. */
    private void dropTxn(int b) throws IOException {
        begin(clock.next(rng), editor(), "/Plone/folder_delete", new byte[0]);
        site.drop(b);
        siteTree.touch(b, b + 1);
        siteTree.write(w);
        states.length(w, Site.SITE_COUNT, site.blocks() - site.droppedCount());
        w.endTxn();
        lastKind = TxnKind.OTHER;
    }

    /** deleteObject of every deletion due by {@code txn}, in one transaction without user or description. */
    private void deleteTxn(long txn) throws IOException {
        long tid = clock.next(rng);
        begin(tid, "", "", new byte[0]);
        while (!deletions.isEmpty() && deletions.peek().txn() <= txn) {
            MissingOid m = deletions.poll().missing();
            w.delete(m.oid);
            m.deletedTid = tid;
            deletedRecords++;
        }
        w.endTxn();
        lastKind = TxnKind.OTHER;
    }

    // ------------------------------------------------------------------ pieces

    private double begin(String user, String description, byte[] extension) {
        begin(clock.next(rng), user, description, extension);
        return clock.now();
    }

    private void begin(long tid, String user, String description, byte[] extension) {
        w.beginTxn(tid, user.getBytes(StandardCharsets.UTF_8), description.getBytes(StandardCharsets.UTF_8),
                extension);
    }

    /** Zope's transaction user: the path of the user folder, a space, the user id. */
    private String editor() {
        return "/Plone editor" + rng.between(1, 20);
    }

    private int itemCount() {
        int n = rng.between(20, 120);
        if (params.objects() > 0 && !finishing) {
            // about 1.7 oids per item (text holders) and a few per folder: stop near the target
            long room = (params.objects() - nextOid - 6) * 10 / 17;
            n = (int) Math.max(5, Math.min(n, room));
        }
        return n;
    }

    /**
     * Whether this folder will be dropped. Never the first folder of a registry bucket, so that
     * no bucket ever becomes empty (BTrees would remove it; this model keeps buckets fixed).
     */
    private boolean decideDoom(int b) {
        if (params.garbage() <= 0 || b % siteShape.cap() == 0) {
            return false;
        }
        double p = Math.min(1, params.garbage() * siteShape.cap() / (siteShape.cap() - 1));
        if (finishing) {
            return reachableQueue.isEmpty() && !garbageQueue.isEmpty();
        }
        if (!garbageQueue.isEmpty() && blocksLeft() * p <= garbageQueue.size()) {
            return true;
        }
        return rng.chance(p);
    }

    /** Makes some items of the new block missing, paced so that all are placed by the end. */
    private void placeMissing(int b, int n, boolean doomed) {
        Deque<MissingOid.Kind> queue = doomed ? garbageQueue : reachableQueue;
        if (queue.isEmpty()) {
            return;
        }
        double left = doomed ? Math.max(1, blocksLeft() * params.garbage()) : blocksLeft();
        int count = left <= queue.size() ? (int) Math.ceil(queue.size() / left) : rng.chance(queue.size() / left) ? 1 : 0;
        count = Math.min(count, n / 2);
        long first = site.firstItem(b);
        for (int placed = 0; placed < count; ) {
            long item = first + rng.nextInt(n);
            long oid = site.itemOid(item);
            if (tracker.isMissing(oid)) {
                continue;
            }
            MissingOid m = new MissingOid(oid, item, b, queue.poll(), doomed, site.type(item).hasText);
            tracker.addMissing(oid);
            missing.add(m);
            if (m.kind == MissingOid.Kind.NEVER_WRITTEN) {
                neverWritten.add(oid);
            } else {
                deletions.add(new Due(w.transactions() + 1 + rng.between(1, EDIT_DELAY), dueSeq++, -1, m));
            }
            placed++;
        }
    }

    /** The folder, its _tree (buckets from base+3 on), its _count, its items and their text holders. */
    private void writeBlock(int b, long tid, double now) {
        long base = site.base(b);
        int n = site.size(b);
        states.folder(w, b, tid, now);
        long[] next = {base + Site.BLOCK_HEADER};
        BTreeModel tree = new BTreeModel(base + 1, Classes.OOBTREE, Classes.OOBUCKET, site.folderShape,
                states.folderTree(b));
        tree.append(n, () -> next[0]++);
        tree.write(w);
        states.length(w, base + 2, n);
        long first = site.firstItem(b);
        for (long item = first; item < first + n; item++) {
            if (neverWritten.contains(site.itemOid(item))) {
                continue; // neither the item nor its text holder ever reach the file
            }
            states.item(w, item, tid, now);
            if (site.type(item).hasText) {
                states.holder(w, item, tid);
            }
        }
    }

    /**
     * About {@code count} edits of items (with their text holder 60% of the time) and folders
     * in blocks before {@code limit}, half of them among the 20 newest folders; each oid once.
     */
    private void edits(int count, int limit, long tid, double now) {
        inTxn.clear();
        journalOid.clear();
        journalEdit.clear();
        journalBefore.clear();
        for (int attempts = 0; inTxn.size() < count && attempts < count * 10 && limit > 0; attempts++) {
            int b = rng.chance(0.5) ? limit - 1 - rng.nextInt(Math.min(limit, 20)) : rng.nextInt(limit);
            if (site.dropped(b)) {
                continue;
            }
            if (rng.chance(0.1)) {
                long oid = site.base(b);
                if (inTxn.add(oid)) {
                    journal(oid, () -> states.folder(w, b, tid, now));
                }
                continue;
            }
            long item = site.firstItem(b) + rng.nextInt(site.size(b));
            long oid = site.itemOid(item);
            if (tracker.isMissing(oid) || !inTxn.add(oid)) {
                continue;
            }
            journal(oid, () -> states.item(w, item, tid, now));
            if (site.type(item).hasText && rng.chance(0.6)) {
                long holder = site.holderOid(item);
                inTxn.add(holder);
                journal(holder, () -> states.holder(w, item, tid));
            }
        }
    }

    private void journal(long oid, Runnable write) {
        long before = w.dataPos(oid);
        write.run();
        journalOid.add(oid);
        journalEdit.add(w.lastRecordPos());
        journalBefore.add(before);
    }

    private long allocate() {
        return nextOid++;
    }

    // ------------------------------------------------------------------ result

    private GeneratorResult result(Path out, double seconds) {
        List<GeneratorResult.Missing> ms = new ArrayList<>();
        List<GeneratorResult.ExpectedFinding> findings = new ArrayList<>();
        for (MissingOid m : missing) {
            List<GeneratorResult.Referrer> refs = new ArrayList<>();
            for (long r : tracker.referrersOf(m.oid)) {
                boolean reachable = !site.inDroppedBlock(r);
                refs.add(new GeneratorResult.Referrer(r, tracker.classOf(r), reachable));
                findings.add(new GeneratorResult.ExpectedFinding(reachable ? "poskeyerror" : "dangling", "main",
                        GeneratorResult.repr(m.oid), GeneratorResult.repr(r)));
            }
            ms.add(new GeneratorResult.Missing(m.oid, m.kind.label, m.garbageOnly, site.type(m.item).klass.dotted,
                    states.path(m.item), m.deletedTid, refs));
        }
        ms.sort((a, b) -> Long.compare(a.oid(), b.oid()));
        findings.sort((a, b) -> a.oid().equals(b.oid()) ? a.referrer().compareTo(b.referrer()) : a.oid().compareTo(b.oid()));
        return new GeneratorResult(params, out, dialect.magic, w.size(), w.transactions(), w.records(), nextOid,
                w.writtenOids() - deletedRecords, garbage(), site.blocks(), site.droppedCount(), site.items(),
                undoTxns, deletedRecords, ms, findings, seconds);
    }

    /**
     * Objects with data that the root does not reach: every object of a dropped folder, and the
     * text holder of a deleted item elsewhere (nothing else refers to it).
     */
    private long garbage() {
        long g = 0;
        for (int b = 0; b < site.blocks(); b++) {
            g += site.dropped(b) ? site.oidCount(b) : 0;
        }
        for (MissingOid m : missing) {
            boolean holderWritten = m.hasHolder && m.kind == MissingOid.Kind.DELETED;
            if (site.dropped(m.block)) {
                g -= 1 + (m.hasHolder && !holderWritten ? 1 : 0); // the item has no data, nor a never-written holder
            } else if (holderWritten) {
                g += 1;
            }
        }
        return g;
    }
}
