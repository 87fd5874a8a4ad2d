package org.zodbcheck.generate;

/** The classes of a Zope/Plone site, as GLOBALs (module, name). */
final class Classes {
    static final Global PERSISTENT_MAPPING = Global.of("persistent.mapping", "PersistentMapping");
    static final Global APPLICATION = Global.of("OFS.Application", "Application");
    static final Global PLONE_SITE = Global.of("Products.CMFPlone.Portal", "PloneSite");
    static final Global INTIDS = Global.of("five.intid.intid", "IntIds");
    static final Global KEY_REFERENCE = Global.of("five.intid.keyreference", "KeyReferenceToPersistent");
    static final Global CATALOG_TOOL = Global.of("Products.CMFPlone.CatalogTool", "CatalogTool");
    static final Global CATALOG = Global.of("Products.ZCatalog.Catalog", "Catalog");
    static final Global OOBTREE = Global.of("BTrees.OOBTree", "OOBTree");
    static final Global OOBUCKET = Global.of("BTrees.OOBTree", "OOBucket");
    static final Global IOBTREE = Global.of("BTrees.IOBTree", "IOBTree");
    static final Global IOBUCKET = Global.of("BTrees.IOBTree", "IOBucket");
    static final Global OIBTREE = Global.of("BTrees.OIBTree", "OIBTree");
    static final Global OIBUCKET = Global.of("BTrees.OIBTree", "OIBucket");
    static final Global LENGTH = Global.of("BTrees.Length", "Length");
    static final Global FOLDER = Global.of("plone.app.contenttypes.content", "Folder");
    static final Global RICH_TEXT = Global.of("plone.app.textfield.value", "RichTextValue");
    static final Global RAW_VALUE_HOLDER = Global.of("plone.app.textfield.value", "RawValueHolder");
    static final Global DATETIME = Global.of("DateTime.DateTime", "DateTime");

    private Classes() {
    }
}
