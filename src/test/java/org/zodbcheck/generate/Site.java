package org.zodbcheck.generate;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The plan of the generated Plone-like site, and its oid arithmetic. Fixed oids 0-11 hold the
 * root, the Zope application, the site, its folder registry, the intid utility and the catalog.
 * Content comes in <em>blocks</em>: a folder with its items, created in one transaction, with
 * consecutive oids:
 *
 * <pre>
 * base+0       Folder                  (plone.app.contenttypes.content.Folder)
 * base+1       its _tree OOBTree       (id -&gt; item)
 * base+2       its _count Length
 * base+3 ...   the _tree's buckets and interior nodes (none when the items fit one bucket)
 * then         n content items         (Document, News Item, Event, Link; type fixed by the seed)
 * then         one RawValueHolder per Document / News Item, in item order
 * </pre>
 *
 * Per block only its first oid, first item number, oid count and creation time are stored, plus
 * two bits (doomed: will be dropped; dropped: removed from the site, so garbage). Everything else
 * about an item (its oid, type, text holder) is computed from these.
 */
final class Site {
    static final long ROOT = 0;
    static final long APP = 1;
    static final long PLONE = 2;
    static final long SITE_TREE = 3;
    static final long SITE_COUNT = 4;
    static final long INTIDS = 5;
    static final long INTID_REFS = 6;
    static final long CATALOG_TOOL = 7;
    static final long CATALOG = 8;
    static final long UIDS = 9;
    static final long PATHS = 10;
    static final long CATALOG_LENGTH = 11;
    static final long FIRST_FREE_OID = 12;
    /** Oids of a block before its tree nodes: folder, _tree, _count. */
    static final int BLOCK_HEADER = 3;

    final long seed;
    final TreeShape folderShape;
    private final LongList base = new LongList();
    private final LongList firstItem = new LongList();
    private final LongList oidCount = new LongList();
    private final LongList created = new LongList(); // Double.doubleToLongBits of the creation time
    private final BitSet doomed = new BitSet();
    private final BitSet dropped = new BitSet();
    private long items;
    /** Blocks whose items are registered in the intid utility and the catalog (not doomed), by first entry. */
    private final LongList indexedFirst = new LongList();
    private final LongList indexedBlock = new LongList();
    private long indexed;
    /** Tree node counts of folders by item count, and the text-holder prefix of the last block asked about. */
    private int[] nodeCounts = new int[0];
    private int prefixBlock = -1;
    private int[] holderPrefix = new int[0];

    Site(long seed, TreeShape folderShape) {
        this.seed = seed;
        this.folderShape = folderShape;
    }

    // ------------------------------------------------------------------ blocks

    /** Oids a new block of {@code n} items starting at item number {@code first} occupies. */
    long blockOids(long first, int n) {
        return BLOCK_HEADER + treeNodes(n) + n + holdersBefore(first, first + n);
    }

    int addBlock(long baseOid, int n, double time, boolean doom) {
        int b = base.size();
        base.add(baseOid);
        firstItem.add(items);
        oidCount.add(blockOids(items, n));
        created.add(Double.doubleToLongBits(time));
        doomed.set(b, doom);
        if (!doom) {
            indexedFirst.add(indexed);
            indexedBlock.add(b);
            indexed += n;
        }
        items += n;
        return b;
    }

    int blocks() {
        return base.size();
    }

    long items() {
        return items;
    }

    long base(int b) {
        return base.get(b);
    }

    long oidCount(int b) {
        return oidCount.get(b);
    }

    long firstItem(int b) {
        return firstItem.get(b);
    }

    int size(int b) {
        return (int) ((b + 1 < blocks() ? firstItem.get(b + 1) : items) - firstItem.get(b));
    }

    double created(int b) {
        return Double.longBitsToDouble(created.get(b));
    }

    boolean doomed(int b) {
        return doomed.get(b);
    }

    boolean dropped(int b) {
        return dropped.get(b);
    }

    void drop(int b) {
        dropped.set(b);
    }

    int droppedCount() {
        return dropped.cardinality();
    }

    // ------------------------------------------------------------------ items

    /** Items registered in the intid utility and the catalog: those of folders that are never dropped. */
    long indexedItems() {
        return indexed;
    }

    /**
     * The item of entry {@code e} of the intid and catalog trees. A folder that will be dropped
     * never had its items registered (a private folder that was never published), so dropping
     * it only touches the folder registry and no catalog bucket ever empties.
     */
    long indexedItem(long e) {
        int i = indexedFirst.floorIndex(e);
        return firstItem((int) indexedBlock.get(i)) + (e - indexedFirst.get(i));
    }

    int blockOfItem(long item) {
        return firstItem.floorIndex(item);
    }

    ContentType type(long item) {
        return ContentType.of(seed, item);
    }

    long itemOid(long item) {
        int b = blockOfItem(item);
        return base(b) + BLOCK_HEADER + treeNodes(size(b)) + (item - firstItem(b));
    }

    /** The RawValueHolder of a Document or News Item (check {@link ContentType#hasText} first). */
    long holderOid(long item) {
        int b = blockOfItem(item);
        int n = size(b);
        if (prefixBlock != b) {
            prefixBlock = b;
            holderPrefix = holderPrefix.length > n ? holderPrefix : new int[n + 1];
            long first = firstItem(b);
            for (int i = 0; i < n; i++) {
                holderPrefix[i + 1] = holderPrefix[i] + (type(first + i).hasText ? 1 : 0);
            }
        }
        return base(b) + BLOCK_HEADER + treeNodes(n) + n + holderPrefix[(int) (item - firstItem(b))];
    }

    /** Persistent nodes of a folder's _tree besides its root (memoized: folders have few sizes). */
    int treeNodes(int n) {
        if (n >= nodeCounts.length) {
            int[] bigger = new int[Math.max(n + 1, nodeCounts.length * 2)];
            Arrays.fill(bigger, -1);
            System.arraycopy(nodeCounts, 0, bigger, 0, nodeCounts.length);
            nodeCounts = bigger;
        }
        if (nodeCounts[n] < 0) {
            nodeCounts[n] = folderShape.nodeCount(n);
        }
        return nodeCounts[n];
    }

    private int holdersBefore(long from, long to) {
        int h = 0;
        for (long k = from; k < to; k++) {
            h += type(k).hasText ? 1 : 0;
        }
        return h;
    }

    /** A stable intid: increasing with the item number (so the IOBTrees fill in order), with jitter. */
    long intid(long item) {
        return 100_000 + 16 * item + (Rng.mix(seed, item, 0x1d) & 15);
    }

    // ------------------------------------------------------------------ oids

    /** The block whose oid range holds {@code oid}, or -1 (a site-wide object). */
    int blockOfOid(long oid) {
        int b = base.floorIndex(oid);
        return b >= 0 && oid < base(b) + oidCount(b) ? b : -1;
    }

    /** Whether {@code oid} lies in a dropped folder, the only unreachable objects with data besides orphaned text holders. */
    boolean inDroppedBlock(long oid) {
        int b = blockOfOid(oid);
        return b >= 0 && dropped(b);
    }
}
