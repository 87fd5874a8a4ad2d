package org.zodbcheck.generate;

import java.nio.charset.StandardCharsets;

/**
 * The pickled state of every kind of object of the {@link Site}, written as Zope/Plone would
 * store it: persistent objects as their attribute dict, non-persistent sub-objects
 * (RichTextValue, DateTime, intid key references) as instances rebuilt from a state, references
 * as {@code (oid, klass)}. Everything that identifies an object (its id, creator, tags,
 * references) comes from a generator seeded with the item number, so every revision refers to
 * the same objects; what an edit changes (titles, text, dates) is seeded with the tid.
 */
final class States {
    private static final byte[][] EDITORS = new byte[20][];
    private static final byte[] SITE_TITLE = "Intranet".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ZOPE = "Zope".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PLONE_SITE = "Plone Site".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PORTAL_CATALOG = "portal_catalog".getBytes(StandardCharsets.US_ASCII);

    static {
        for (int i = 0; i < EDITORS.length; i++) {
            EDITORS[i] = ("editor" + (i + 1)).getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final Site site;
    private final RefTracker tracker;
    private final Rng rev = new Rng(0);
    private final Rng stable = new Rng(0);
    private final ByteSink ids = new ByteSink(64);
    private final long[] targets = new long[4];

    States(Site site, RefTracker tracker) {
        this.site = site;
        this.tracker = tracker;
    }

    // ------------------------------------------------------------------ site-wide objects

    /** The root PersistentMapping: {@code {'data': {'Application': <app>}}} (empty before the app exists). */
    void root(FileStorageWriter w, boolean withApp) {
        PickleWriter p = w.beginData(Site.ROOT, Classes.PERSISTENT_MAPPING);
        p.emptyDict();
        p.name(Names.DATA);
        p.emptyDict();
        if (withApp) {
            p.name(Names.APPLICATION);
            p.ref(Site.APP, Classes.APPLICATION);
            p.setItemsEnd(1);
        }
        p.setItemsEnd(1);
        w.endData();
    }

    void application(FileStorageWriter w) {
        PickleWriter p = w.beginData(Site.APP, Classes.APPLICATION);
        p.emptyDict();
        p.itemsBegin(3);
        p.name(Names.OBJECTS);
        p.tupleBegin(1);
        p.emptyDict();
        p.itemsBegin(2);
        p.name(Names.ID);
        p.name(Names.PLONE);
        p.name(Names.META_TYPE);
        p.str(PLONE_SITE);
        p.setItemsEnd(2);
        p.tupleEnd(1, false);
        p.name(Names.TITLE);
        p.str(ZOPE);
        p.name(Names.PLONE);
        p.ref(Site.PLONE, Classes.PLONE_SITE);
        p.setItemsEnd(3);
        w.endData();
    }

    void plone(FileStorageWriter w, double now) {
        PickleWriter p = w.beginData(Site.PLONE, Classes.PLONE_SITE);
        p.emptyDict();
        p.itemsBegin(8);
        p.name(Names.ID);
        p.name(Names.PLONE);
        p.name(Names.TITLE);
        p.text(SITE_TITLE);
        p.name(Names.CREATION_DATE);
        dateTime(p, now);
        p.name(Names.MODIFICATION_DATE);
        dateTime(p, now);
        p.name(Names.TREE);
        p.ref(Site.SITE_TREE, Classes.OOBTREE);
        p.name(Names.COUNT);
        p.ref(Site.SITE_COUNT, Classes.LENGTH);
        p.name(Names.INTIDS);
        p.ref(Site.INTIDS, Classes.INTIDS);
        p.name(Names.PORTAL_CATALOG);
        p.ref(Site.CATALOG_TOOL, Classes.CATALOG_TOOL);
        p.setItemsEnd(8);
        w.endData();
    }

    void intids(FileStorageWriter w) {
        PickleWriter p = w.beginData(Site.INTIDS, Classes.INTIDS);
        p.emptyDict();
        p.name(Names.REFS);
        p.ref(Site.INTID_REFS, Classes.IOBTREE);
        p.setItemsEnd(1);
        w.endData();
    }

    void catalogTool(FileStorageWriter w) {
        PickleWriter p = w.beginData(Site.CATALOG_TOOL, Classes.CATALOG_TOOL);
        p.emptyDict();
        p.itemsBegin(2);
        p.name(Names.ID);
        p.str(PORTAL_CATALOG);
        p.name(Names.CATALOG);
        p.ref(Site.CATALOG, Classes.CATALOG);
        p.setItemsEnd(2);
        w.endData();
    }

    void catalog(FileStorageWriter w) {
        PickleWriter p = w.beginData(Site.CATALOG, Classes.CATALOG);
        p.emptyDict();
        p.itemsBegin(3);
        p.name(Names.UIDS);
        p.ref(Site.UIDS, Classes.OIBTREE);
        p.name(Names.PATHS);
        p.ref(Site.PATHS, Classes.IOBTREE);
        p.name(Names.LENGTH);
        p.ref(Site.CATALOG_LENGTH, Classes.LENGTH);
        p.setItemsEnd(3);
        w.endData();
    }

    /** BTrees.Length.Length: its state is the bare int. */
    void length(FileStorageWriter w, long oid, long value) {
        w.beginData(oid, Classes.LENGTH).integer(value);
        w.endData();
    }

    // ------------------------------------------------------------------ content

    void folder(FileStorageWriter w, int b, long tid, double now) {
        long base = site.base(b);
        rev.reseed(Rng.mix(site.seed, base, tid));
        stable.reseed(Rng.mix(site.seed, base, 0xf0));
        int editor = stable.nextInt(EDITORS.length);
        PickleWriter p = w.beginData(base, Classes.FOLDER);
        p.emptyDict();
        p.itemsBegin(9);
        p.name(Names.ID);
        folderId(p, b);
        p.name(Names.PORTAL_TYPE);
        p.name(Names.FOLDER);
        p.name(Names.TITLE);
        words(p, rev.between(1, 4));
        p.name(Names.CREATORS);
        creators(p, editor);
        p.name(Names.CREATION_DATE);
        dateTime(p, site.created(b));
        p.name(Names.MODIFICATION_DATE);
        dateTime(p, now);
        p.name(Names.TREE);
        p.ref(base + 1, Classes.OOBTREE);
        p.name(Names.COUNT);
        p.ref(base + 2, Classes.LENGTH);
        p.name(Names.LOCAL_ROLES);
        localRoles(p, editor);
        p.setItemsEnd(9);
        w.endData();
    }

    /** A content item; its references (text holder, related items, weak reference) are the same in every revision. */
    void item(FileStorageWriter w, long item, long tid, double now) {
        ContentType type = site.type(item);
        long oid = site.itemOid(item);
        int b = site.blockOfItem(item);
        rev.reseed(Rng.mix(site.seed, oid, tid));
        stable.reseed(Rng.mix(site.seed, item, 0x17e));
        int editor = stable.nextInt(EDITORS.length);
        PickleWriter p = w.beginData(oid, type.klass);
        p.emptyDict();
        p.itemsBegin(2);
        p.name(Names.ID);
        itemId(p, item);
        p.name(Names.PORTAL_TYPE);
        p.name(type.portalType);
        p.name(Names.TITLE);
        words(p, rev.between(2, 6));
        p.name(Names.DESCRIPTION);
        words(p, rev.between(3, 12));
        p.name(Names.CREATORS);
        creators(p, editor);
        subject(p);
        p.name(Names.CREATION_DATE);
        dateTime(p, site.created(b) + (item - site.firstItem(b)) * 0.01);
        p.name(Names.MODIFICATION_DATE);
        dateTime(p, now);
        typeFields(p, type, item, now);
        relatedItems(p, item, b);
        workingCopy(p, item, b);
        p.name(Names.LOCAL_ROLES);
        localRoles(p, editor);
        p.setItemsEnd(2);
        w.endData();
    }

    /** The RawValueHolder of a Document / News Item: {@code {'value': '<p>...'}}. */
    void holder(FileStorageWriter w, long item, long tid) {
        long oid = site.holderOid(item);
        rev.reseed(Rng.mix(site.seed, oid, tid));
        PickleWriter p = w.beginData(oid, Classes.RAW_VALUE_HOLDER);
        p.emptyDict();
        p.name(Names.VALUE);
        int t = p.textBegin();
        double d = rev.nextDouble();
        Words.html(p.sink(), rev, 60 + (int) (d * d * 1200));
        p.textEnd(t);
        p.setItemsEnd(1);
        w.endData();
    }

    private void typeFields(PickleWriter p, ContentType type, long item, double now) {
        switch (type) {
            case DOCUMENT, NEWS_ITEM -> {
                p.name(Names.TEXT);
                richText(p, site.holderOid(item));
                if (type == ContentType.NEWS_ITEM) {
                    p.name(Names.IMAGE_CAPTION);
                    words(p, rev.between(3, 10));
                }
            }
            case EVENT -> {
                double start = now + 86_400 * rev.between(1, 90);
                p.name(Names.START);
                dateTime(p, start);
                p.name(Names.END);
                dateTime(p, start + 3_600 * rev.between(1, 8));
                p.name(Names.LOCATION);
                words(p, rev.between(1, 3));
                p.name(Names.WHOLE_DAY);
                p.bool(rev.chance(0.2));
            }
            case LINK -> {
                p.name(Names.REMOTE_URL);
                ids.reset();
                ids.bytes("https://www.example.org/page/".getBytes(StandardCharsets.US_ASCII));
                ids.digits(rev.nextInt(1_000_000), 1);
                p.str(ids.array(), 0, ids.length());
            }
        }
    }

    /**
     * 30% of items refer to up to four other items, mostly recent ones. Never into another
     * folder that will be dropped: that would keep its items reachable and blur the garbage
     * count. Missing items are fair targets: that is how most dangling references arise.
     */
    private void relatedItems(PickleWriter p, long item, int b) {
        if (!stable.chance(0.3)) {
            return;
        }
        int want = stable.between(1, targets.length);
        int n = 0;
        for (int i = 0; i < want; i++) {
            int tb = stable.chance(0.6) ? Math.max(0, b - stable.nextInt(20)) : stable.nextInt(b + 1);
            long target = site.firstItem(tb) + stable.nextInt(site.size(tb));
            if (target != item && (tb == b || !site.doomed(tb)) && !contains(targets, n, target)) {
                targets[n++] = target;
            }
        }
        if (n == 0) {
            return;
        }
        p.name(Names.RELATED_ITEMS);
        p.emptyList();
        p.itemsBegin(n);
        for (int i = 0; i < n; i++) {
            p.ref(site.itemOid(targets[i]), site.type(targets[i]).klass);
        }
        p.appendsEnd(n);
    }

    /** 5% of items hold a weak reference ({@code ['w', (oid,)]}) to an existing earlier item. */
    private void workingCopy(PickleWriter p, long item, int b) {
        if (!stable.chance(0.05)) {
            return;
        }
        int tb = stable.nextInt(b + 1);
        long target = site.firstItem(tb) + stable.nextInt(site.size(tb));
        long oid = site.itemOid(target);
        if (target != item && !tracker.isMissing(oid)) {
            p.name(Names.WORKING_COPY);
            p.weakRef(oid);
        }
    }

    private void subject(PickleWriter p) {
        int tags = stable.nextInt(4);
        p.name(Names.SUBJECT);
        p.tupleBegin(tags);
        for (int i = 0; i < tags; i++) {
            p.text(Words.tag(stable));
        }
        p.tupleEnd(tags, false);
    }

    /** RichTextValue (non-persistent) holding the persistent RawValueHolder. */
    private void richText(PickleWriter p, long holder) {
        p.instanceBegin(Classes.RICH_TEXT);
        p.emptyDict();
        p.itemsBegin(4);
        p.name(Names.RAW_HOLDER);
        p.ref(holder, Classes.RAW_VALUE_HOLDER);
        p.name(Names.MIME_TYPE);
        p.name(Names.TEXT_HTML);
        p.name(Names.OUTPUT_MIME_TYPE);
        p.name(Names.TEXT_SAFE);
        p.name(Names.ENCODING);
        p.name(Names.UTF8);
        p.setItemsEnd(4);
        p.build();
    }

    /** DateTime 4: {@code __getstate__} is {@code (seconds since the epoch, timezone naive, tz)}. */
    private static void dateTime(PickleWriter p, double seconds) {
        p.instanceBegin(Classes.DATETIME);
        p.tupleBegin(3);
        p.float64(Math.floor(seconds * 1000) / 1000);
        p.bool(false);
        p.name(Names.UTC);
        p.tupleEnd(3, true);
        p.build();
    }

    private static void creators(PickleWriter p, int editor) {
        p.tupleBegin(1);
        p.str(EDITORS[editor]);
        p.tupleEnd(1, false);
    }

    /** {@code {'editorN': ['Owner']}}. */
    private static void localRoles(PickleWriter p, int editor) {
        p.emptyDict();
        p.str(EDITORS[editor]);
        p.emptyList();
        p.name(Names.OWNER);
        p.appendsEnd(1);
        p.setItemsEnd(1);
    }

    private void words(PickleWriter p, int count) {
        int t = p.textBegin();
        Words.words(p.sink(), rev, count);
        p.textEnd(t);
    }

    private static boolean contains(long[] a, int n, long v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ ids and BTree entries

    void folderId(PickleWriter p, int b) {
        ids.reset();
        appendFolderId(b);
        p.str(ids.array(), 0, ids.length());
    }

    void itemId(PickleWriter p, long item) {
        ids.reset();
        appendItemId(item);
        p.str(ids.array(), 0, ids.length());
    }

    /** {@code /Plone/folder-000012/doc-00000345}: keys of the catalog's uids, values of its paths. */
    void path(PickleWriter p, long item) {
        ids.reset();
        ids.bytes(PATH_PREFIX);
        appendFolderId(site.blockOfItem(item));
        ids.u8('/');
        appendItemId(item);
        p.str(ids.array(), 0, ids.length());
    }

    String path(long item) {
        ids.reset();
        ids.bytes(PATH_PREFIX);
        appendFolderId(site.blockOfItem(item));
        ids.u8('/');
        appendItemId(item);
        return new String(ids.array(), 0, ids.length(), StandardCharsets.US_ASCII);
    }

    private static final byte[] PATH_PREFIX = "/Plone/".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FOLDER_PREFIX = "folder-".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ITEM_PREFIX = "doc-".getBytes(StandardCharsets.US_ASCII);

    private void appendFolderId(int b) {
        ids.bytes(FOLDER_PREFIX);
        ids.digits(b, 6);
    }

    private void appendItemId(long item) {
        ids.bytes(ITEM_PREFIX);
        ids.digits(item, 8);
    }

    /** The site's folder registry: folder id → folder, one entry per block; dropped folders are gone. */
    BTreeModel.Entries siteTree() {
        return new BTreeModel.Entries() {
            @Override
            public boolean present(long e) {
                return !site.dropped((int) e);
            }

            @Override
            public void key(PickleWriter p, long e) {
                folderId(p, (int) e);
            }

            @Override
            public void value(PickleWriter p, long e) {
                p.ref(site.base((int) e), Classes.FOLDER);
            }
        };
    }

    /** five.intid's {@code refs}: intid → KeyReferenceToPersistent(object=item). */
    BTreeModel.Entries intidRefs() {
        return new ItemEntries() {
            @Override
            public void key(PickleWriter p, long e) {
                p.integer(site.intid(site.indexedItem(e)));
            }

            @Override
            public void value(PickleWriter p, long e) {
                long item = site.indexedItem(e);
                p.instanceBegin(Classes.KEY_REFERENCE);
                p.emptyDict();
                p.name(Names.OBJECT);
                p.ref(site.itemOid(item), site.type(item).klass);
                p.setItemsEnd(1);
                p.build();
            }
        };
    }

    /** The catalog's {@code uids}: path → record id (no references). */
    BTreeModel.Entries uids() {
        return new ItemEntries() {
            @Override
            public void key(PickleWriter p, long e) {
                path(p, site.indexedItem(e));
            }

            @Override
            public void value(PickleWriter p, long e) {
                p.integer(site.intid(site.indexedItem(e)));
            }
        };
    }

    /** The catalog's {@code paths}: record id → path (no references). */
    BTreeModel.Entries paths() {
        return new ItemEntries() {
            @Override
            public void key(PickleWriter p, long e) {
                p.integer(site.intid(site.indexedItem(e)));
            }

            @Override
            public void value(PickleWriter p, long e) {
                path(p, site.indexedItem(e));
            }
        };
    }

    /** A folder's {@code _tree}: item id → item, for every item including the missing ones. */
    BTreeModel.Entries folderTree(int b) {
        long first = site.firstItem(b);
        return new BTreeModel.Entries() {
            @Override
            public boolean present(long e) {
                return true;
            }

            @Override
            public void key(PickleWriter p, long e) {
                itemId(p, first + e);
            }

            @Override
            public void value(PickleWriter p, long e) {
                p.ref(site.itemOid(first + e), site.type(first + e).klass);
            }
        };
    }

    /** Entries numbered by registered item ({@link Site#indexedItem}); never removed. */
    private abstract static class ItemEntries implements BTreeModel.Entries {
        @Override
        public boolean present(long e) {
            return true;
        }
    }
}
