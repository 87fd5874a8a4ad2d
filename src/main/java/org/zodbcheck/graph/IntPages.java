package org.zodbcheck.graph;

import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * An {@code int} table indexed by {@code int}, in pages of {@value Pages#SIZE} entries that are
 * heap arrays while the run's {@link Memory} budget allows and spill pages after that. Growing
 * never copies more than the first page (which starts small, so that a small storage does not
 * pay for a full page), so a table of a hundred million entries needs no second copy of itself.
 * New entries are zero.
 *
 * <p>Reads are safe from many threads once no thread writes.
 */
public final class IntPages {
    private static final int BYTES = Integer.BYTES;
    private final Memory memory;
    private int[][] heap = new int[1][];
    private IntBuffer[] spilled = new IntBuffer[1];
    private int capacity;

    public IntPages(Memory memory, int initial) {
        this.memory = memory;
        ensure(Math.max(16, initial));
    }

    // get and set stay below 35 bytes of bytecode, so that C1 inlines them; spill pages are the slow path.
    public int get(int i) {
        int[] p = heap[i >>> Pages.SHIFT];
        return p != null ? p[i & Pages.MASK] : spilledGet(i);
    }

    public void set(int i, int v) {
        int[] p = heap[i >>> Pages.SHIFT];
        if (p != null) {
            p[i & Pages.MASK] = v;
        } else {
            spilledSet(i, v);
        }
    }

    private int spilledGet(int i) {
        return spilled[i >>> Pages.SHIFT].get(i & Pages.MASK);
    }

    private void spilledSet(int i, int v) {
        spilled[i >>> Pages.SHIFT].put(i & Pages.MASK, v);
    }

    /** Entries that can be read and written. */
    public int capacity() {
        return capacity;
    }

    /** Makes room for entries {@code 0..n-1}. */
    public void ensure(int n) {
        if (n <= capacity) {
            return;
        }
        if (capacity < Pages.SIZE) {
            resizeFirst(Pages.firstLength(capacity, n));
        }
        while (capacity < n) {
            addPage();
        }
    }

    /** Drops the room past {@code n} entries, where that gives memory back (the first page only). */
    public void trim(int n) {
        int[] first = heap[0];
        if (capacity < Pages.SIZE && first != null && first.length > Math.max(16, n) + 16) {
            int len = Math.max(16, n);
            heap[0] = Arrays.copyOf(first, len);
            memory.give((long) (first.length - len) * BYTES);
            capacity = len;
        }
    }

    /** Gives the heap pages back to the budget; the table is empty and unusable afterwards. */
    public void release() {
        for (int[] p : heap) {
            if (p != null) {
                memory.give((long) p.length * BYTES);
            }
        }
        heap = new int[1][];
        spilled = new IntBuffer[1];
        capacity = 0;
    }

    private void resizeFirst(int len) {
        int[] old = heap[0];
        int oldLen = old == null ? 0 : old.length;
        if (memory.take((long) len * BYTES)) {
            heap[0] = old == null ? new int[len] : Arrays.copyOf(old, len);
            capacity = len;
        } else {
            IntBuffer b = memory.spill((long) Pages.SIZE * BYTES).asIntBuffer();
            if (old != null) {
                b.put(0, old);
            }
            spilled[0] = b;
            heap[0] = null;
            capacity = Pages.SIZE;
        }
        memory.give((long) oldLen * BYTES);
    }

    private void addPage() {
        int p = Pages.nextPage(capacity);
        if (p == heap.length) {
            heap = Arrays.copyOf(heap, p * 2);
            spilled = Arrays.copyOf(spilled, p * 2);
        }
        if (memory.take((long) Pages.SIZE * BYTES)) {
            heap[p] = new int[Pages.SIZE];
        } else {
            spilled[p] = memory.spill((long) Pages.SIZE * BYTES).asIntBuffer();
        }
        capacity += Pages.SIZE;
    }
}
