package org.zodbcheck.check;

/** How bad a finding is; the names are what every output format prints. */
public enum Severity {
    ERROR("error"),
    WARNING("warning"),
    INFO("info");

    private final String label;

    Severity(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** True if this is at least as bad as {@code bar}. */
    public boolean atLeast(Severity bar) {
        return ordinal() <= bar.ordinal();
    }

    public static Severity ofLabel(String s) {
        for (Severity v : values()) {
            if (v.label.equals(s)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown severity '" + s + "' (error, warning, info)");
    }
}
