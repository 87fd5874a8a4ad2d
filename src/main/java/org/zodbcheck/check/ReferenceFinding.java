package org.zodbcheck.check;

import java.util.List;
import org.zodbcheck.pickle.RefForm;

/**
 * A reference whose target cannot be loaded: {@code poskeyerror}, {@code dangling},
 * {@code weak-dangling}, {@code bad-db}, {@code bad-xref}, and {@code history-dangling}, whose
 * referrer is an older revision ({@link Referrer#tid()} and {@link Referrer#pos()} are that
 * revision's).
 *
 * @param db the target's database
 * @param oid the target
 * @param cause why the target cannot be loaded ({@code null} for bad-db/bad-xref)
 * @param referrer the object holding the reference; {@code null} for a missing root
 * @param reachable whether the referrer is reachable from a root
 * @param form how the reference is pickled ({@code null} for a missing root)
 * @param targetClass the class stored in the reference, if the pickle carries one
 * @param deletedTid for {@link Cause#NO_DATA}, the tid of the record that removed the data
 * @param occurrences positions of this reference among the referrer's persistent ids (0-based)
 */
public record ReferenceFinding(Kind kind, String db, long oid, Cause cause, Referrer referrer,
                               boolean reachable, RefForm form, String targetClass, Long deletedTid,
                               List<Integer> occurrences) implements Finding {
    @Override
    public Severity severity() {
        return kind.severity();
    }


    /** {@code strong} or {@code weak}; {@code strong} for a missing root. */
    public String ref() {
        return form == null || form.strong() ? "strong" : "weak";
    }

    @Override
    public String message() {
        String target = db + ":" + org.zodbcheck.filestorage.Oid.repr(oid);
        String why = switch (kind) {
            case BAD_DB -> "is in database '" + db + "', which is not configured";
            case BAD_XREF -> "is in another database, and " + (referrer == null ? "" : referrer.db())
                    + " does not allow implicit cross-database references";
            default -> "cannot be loaded (" + describeCause() + ")";
        };
        if (referrer == null) {
            return "the root object " + target + " " + why;
        }
        String from = referrer.db() + ":" + org.zodbcheck.filestorage.Oid.repr(referrer.oid())
                + (referrer.className() != null ? " (" + referrer.className() + ")" : "");
        String history = kind == Kind.HISTORY_DANGLING ? " in its older revision "
                + org.zodbcheck.filestorage.Tid.repr(referrer.tid()) + " (record at " + referrer.pos() + "): undoing back"
                + " to that revision would bring a POSKeyError back" : "";
        return target + " " + why + "; " + ref() + " reference from " + from + history
                + (reachable ? ", which is reachable" : ", which is garbage");
    }

    private String describeCause() {
        if (cause == null) {
            return "unknown";
        }
        return switch (cause) {
            case NO_RECORD -> "no record: never written, or packed away";
            case NO_DATA -> "no data: deleted or its creation undone"
                    + (deletedTid != null ? " in transaction " + org.zodbcheck.filestorage.Tid.repr(deletedTid) : "");
            case UNLOADABLE -> "its backpointer chain is broken";
        };
    }
}
