package org.zodbcheck.generate;

/** Attribute names and other interned strings of the site's objects. */
final class Names {
    static final Name DATA = Name.of("data");
    static final Name APPLICATION = Name.of("Application");
    static final Name PLONE = Name.of("Plone");
    static final Name ID = Name.of("id");
    static final Name TITLE = Name.of("title");
    static final Name DESCRIPTION = Name.of("description");
    static final Name PORTAL_TYPE = Name.of("portal_type");
    static final Name CREATORS = Name.of("creators");
    static final Name SUBJECT = Name.of("subject");
    static final Name CREATION_DATE = Name.of("creation_date");
    static final Name MODIFICATION_DATE = Name.of("modification_date");
    static final Name TEXT = Name.of("text");
    static final Name RAW_HOLDER = Name.of("_raw_holder");
    static final Name MIME_TYPE = Name.of("_mimeType");
    static final Name OUTPUT_MIME_TYPE = Name.of("_outputMimeType");
    static final Name ENCODING = Name.of("_encoding");
    static final Name TEXT_HTML = Name.of("text/html");
    static final Name TEXT_SAFE = Name.of("text/x-html-safe");
    static final Name UTF8 = Name.of("utf-8");
    static final Name IMAGE_CAPTION = Name.of("image_caption");
    static final Name START = Name.of("start");
    static final Name END = Name.of("end");
    static final Name LOCATION = Name.of("location");
    static final Name WHOLE_DAY = Name.of("whole_day");
    static final Name REMOTE_URL = Name.of("remoteUrl");
    static final Name RELATED_ITEMS = Name.of("relatedItems");
    static final Name WORKING_COPY = Name.of("_working_copy_of");
    static final Name TREE = Name.of("_tree");
    static final Name COUNT = Name.of("_count");
    static final Name LOCAL_ROLES = Name.of("__ac_local_roles__");
    static final Name OWNER = Name.of("Owner");
    static final Name VALUE = Name.of("value");
    static final Name OBJECT = Name.of("object");
    static final Name OBJECTS = Name.of("_objects");
    static final Name META_TYPE = Name.of("meta_type");
    static final Name REFS = Name.of("refs");
    static final Name INTIDS = Name.of("intids");
    static final Name PORTAL_CATALOG = Name.of("portal_catalog");
    static final Name CATALOG = Name.of("_catalog");
    static final Name UIDS = Name.of("uids");
    static final Name PATHS = Name.of("paths");
    static final Name LENGTH = Name.of("_length");
    static final Name UTC = Name.of("UTC");
    static final Name FOLDER = Name.of("Folder");
    static final Name REQUEST = Name.of("request");

    private Names() {
    }
}
