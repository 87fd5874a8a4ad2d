package org.zodbcheck.generate;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A string Python interns (an attribute name, a portal type, the weak-reference tag {@code 'w'}):
 * the same object every time it is pickled, so after the first use in a record the pickler
 * writes a memo GET instead of the string. Each name has a small id that indexes the writer's
 * per-record memo table.
 */
final class Name {
    private static final AtomicInteger IDS = new AtomicInteger();

    final int id = IDS.getAndIncrement();
    final byte[] utf8;

    private Name(String s) {
        utf8 = s.getBytes(StandardCharsets.UTF_8);
    }

    static Name of(String s) {
        return new Name(s);
    }

    static int count() {
        return IDS.get();
    }
}
