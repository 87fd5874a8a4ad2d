package org.zodbcheck.pickle;

/**
 * Reads a byte array eight bytes per load, for the ASCII loops over text: the C1 compiler the
 * launcher uses compiles a plain loop to one checked load per byte, and text is up to half of a
 * storage's bytes (docs/PERFORMANCE.md). It compiles
 * {@code Unsafe.getLong} to a single load, while it reaches the load behind a VarHandle or a
 * ByteBuffer through calls it does not inline (both were no faster than the byte loop).
 *
 * <p>The loads are not checked: every caller tests {@link #AVAILABLE} (a constant to the JIT) and
 * keeps {@code 0 <= i} and {@code i + 8 <= b.length}; each says where it checked that. Without
 * {@code sun.misc.Unsafe} the callers' byte loops do the same work, more slowly. x86-64 and
 * AArch64 load unaligned words.
 */
final class Words {
    private Words() {
    }

    private static final sun.misc.Unsafe UNSAFE = unsafe();
    /** Whether {@link #word} may be called. */
    static final boolean AVAILABLE = UNSAFE != null;
    private static final long BYTES = AVAILABLE ? UNSAFE.arrayBaseOffset(byte[].class) : 0;
    /** The top bit of each of eight bytes: a word of ASCII has none of them. */
    static final long HIGH_BITS = 0x8080_8080_8080_8080L;

    private static sun.misc.Unsafe unsafe() {
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
            return u.arrayIndexScale(byte[].class) == 1 ? u : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** The eight bytes of {@code b} from {@code i}, in the machine's byte order. Unchecked. */
    static long word(byte[] b, int i) {
        return UNSAFE.getLong(b, BYTES + i);
    }
}
