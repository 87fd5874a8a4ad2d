package org.zodbcheck.report;

/** Builds one JSON object on one line, keys in the order they are added. */
public final class JsonLine {
    private final StringBuilder sb = new StringBuilder(128).append('{');

    private JsonLine key(String key) {
        if (sb.length() > 1) {
            sb.append(", ");
        }
        sb.append('"').append(key).append("\": ");
        return this;
    }

    public JsonLine str(String key, String value) {
        key(key).sb.append(value == null ? "null" : Values.quote(value));
        return this;
    }

    public JsonLine num(String key, Long value) {
        key(key).sb.append(value == null ? "null" : value.toString());
        return this;
    }

    public JsonLine bool(String key, boolean value) {
        key(key).sb.append(value);
        return this;
    }

    /** A value that is already JSON (an array or object). */
    public JsonLine raw(String key, String json) {
        key(key).sb.append(json);
        return this;
    }

    @Override
    public String toString() {
        return sb.toString() + "}";
    }
}
