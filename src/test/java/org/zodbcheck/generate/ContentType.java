package org.zodbcheck.generate;

/**
 * Content item types. Documents and news items keep their body in a separate persistent
 * {@code RawValueHolder} (as plone.app.textfield does), referenced from a non-persistent
 * {@code RichTextValue} inside the item's state.
 */
enum ContentType {
    DOCUMENT("Document", 55, true),
    NEWS_ITEM("NewsItem", 15, true),
    EVENT("Event", 18, false),
    LINK("Link", 12, false);

    final Global klass;
    final Name portalType;
    /** Percent of items of this type. */
    final int share;
    /** Has a RawValueHolder sub-object. */
    final boolean hasText;

    ContentType(String name, int share, boolean hasText) {
        this.klass = Global.of("plone.app.contenttypes.content", name);
        this.portalType = Name.of(name.equals("NewsItem") ? "News Item" : name);
        this.share = share;
        this.hasText = hasText;
    }

    private static final ContentType[] BY_PERCENT = new ContentType[100];

    static {
        int p = 0;
        for (ContentType t : values()) {
            for (int i = 0; i < t.share; i++) {
                BY_PERCENT[p++] = t;
            }
        }
    }

    /** The type of content item number {@code item}: fixed by the seed, so never stored. */
    static ContentType of(long seed, long item) {
        return BY_PERCENT[(int) ((Rng.mix(seed, item, 0x7e) >>> 1) % 100)];
    }
}
