package org.zodbcheck.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A record that uses every opcode the scanner knows, and a way to run it through a scanner a
 * few thousand times before real work starts.
 *
 * <p>Why: the JIT compiles the scanner's dispatch loop from the profile of what it has seen so
 * far and leaves out the opcodes it has not seen. A storage whose first megabytes hold only
 * BTree buckets and whose later records use other opcodes then makes the JIT throw the compiled
 * loop away several times, and each time the loop runs slowly until it is compiled again
 * (measured on a 275 MB storage: four recompilations). Scanning this record first puts every
 * opcode in the profile.
 */
public final class PickleWarmup {
    private static final byte[] ALL = build(true);
    private static final byte[] COMMON = build(false);

    private PickleWarmup() {
    }

    /**
     * Two pickles, class then state, together using every opcode of protocols 0-5 but
     * NEXT_BUFFER (which no stored record can hold), with three persistent ids: {@code (oid 2,
     * mod.Klass)}, the text oid {@code "abcdefgh"} and {@code ['w', (oid 1,)]}.
     */
    public static byte[] record() {
        return ALL.clone();
    }

    /**
     * Scans a record with the opcodes ZODB writes {@code times} times. Opcodes ZODB never
     * writes are left out on purpose: they are handled out of the hot loop, and warming them
     * would only make the JIT compile code nobody runs.
     */
    public static void warm(PickleScanner scanner, int times) {
        for (int i = 0; i < times; i++) {
            if (!scanner.scan(COMMON, 0, COMMON.length, ReferenceSink.NONE)) {
                throw new IllegalStateException("warm-up record does not scan: " + scanner.error());
            }
        }
    }

    private static byte[] build(boolean rare) {
        Out o = new Out(rare);
        o.raw(0x80, 3).text("cmod\nKlass\n").raw('q', 0, '.');            // class: GLOBAL, memo 0
        o.raw(0x80, 2, '}', 'q', 1, '(');                                  // PROTO, dict (memo 1), MARK
        o.item().raw('X').u4(4).text("name");                              // BINUNICODE
        o.item().raw(0x8c, 2).text("ab");                                  // SHORT_BINUNICODE
        o.item().raw('U', 3).text("abc");                                  // SHORT_BINSTRING
        o.item().raw('T').u4(3).text("abc");                               // BINSTRING
        o.item().raw('C', 8).u8be(1);                                      // SHORT_BINBYTES
        o.item().raw('B').u4(2).text("xy");                                // BINBYTES
        o.item().raw('K', 1);                                              // BININT1
        o.item().raw('M', 1, 0);                                           // BININT2
        o.item().raw('J').u4(1);                                           // BININT
        o.item().text("I01\n");                                            // INT
        o.item().text("L1L\n");                                            // LONG
        o.item().raw(0x8a, 1, 1);                                          // LONG1
        o.item().text("F1.5\n");                                           // FLOAT
        o.item().raw('G').u8(0x3ff8000000000000L);                         // BINFLOAT
        o.item().raw('N');                                                 // NONE
        o.item().raw(0x88);                                                // NEWTRUE
        o.item().raw(0x89);                                                // NEWFALSE
        o.item().raw(']', 'q', 2, '(', 'K', 1, 'K', 2, 'e', 'K', 3, 'a');  // EMPTY_LIST (memo 2), APPENDS, APPEND
        o.item().raw('(', 'K', 1, 'l');                                    // LIST
        o.item().raw(')');                                                 // EMPTY_TUPLE
        o.item().raw('K', 1, 0x85);                                        // TUPLE1
        o.item().raw('K', 1, 'K', 2, 0x86);                                // TUPLE2
        o.item().raw('K', 1, 'K', 2, 'K', 3, 0x87);                        // TUPLE3
        o.item().raw('(', 'K', 1, 'K', 2, 'K', 3, 'K', 4, 't');            // TUPLE
        o.item().raw('(', 'K', 1, 'K', 2, 'd');                            // DICT
        o.item().raw('}', 'K', 1, 'K', 2, 's');                            // SETITEM
        o.item().raw(0x8f, '(', 'K', 1, 0x90);                             // EMPTY_SET, ADDITEMS
        o.item().raw('h', 2);                                              // BINGET
        o.item().raw('j').u4(2).raw('r').u4(6);                            // LONG_BINGET, LONG_BINPUT
        o.item().text("cmod\nKlass\n");                                    // GLOBAL
        o.item().raw('h', 0, ')', 'R');                                    // REDUCE
        o.item().raw('h', 0, ')', 0x81, '}', 'b');                         // NEWOBJ, BUILD
        o.item().raw('C', 8).u8be(2).raw('h', 0, 0x86, 'Q');               // BINPERSID (oid, klass)
        o.item().raw(']', '(', 0x8c, 1).text("w").raw('C', 8).u8be(1).raw(0x85, 'e', 'Q'); // ['w', (oid,)]
        // Opcodes ZODB does not write (protocol 0 text forms, protocols 4 and 5, ...):
        o.rare().raw(0x80, 5, 0x95).u8(0);                                 // PROTO 5, FRAME
        o.rare().item().raw(0x8d).u8(2).text("cd");                        // BINUNICODE8
        o.rare().item().text("Vv\\u00e9\n");                               // UNICODE
        o.rare().item().text("S'a\\x62c'\n");                              // STRING
        o.rare().item().raw(0x8e).u8(2).text("xy");                        // BINBYTES8
        o.rare().item().raw(0x96).u8(2).text("xy").raw(0x98);              // BYTEARRAY8, READONLY_BUFFER
        o.rare().item().raw(0x8b).u4(1).raw(1);                            // LONG4
        o.rare().item().raw(0x89, '2', '0');                               // DUP, POP
        o.rare().item().raw('(', 'K', 1, 0x91);                            // FROZENSET
        o.rare().item().text("g2\n").text("p3\n").raw(0x94);               // GET, PUT, MEMOIZE
        o.rare().item().raw(0x82, 1);                                      // EXT1
        o.rare().item().raw(0x83, 1, 0);                                   // EXT2
        o.rare().item().raw(0x84).u4(1);                                   // EXT4
        o.rare().item().raw(0x8c, 3).text("mod").raw(0x8c, 5).text("Klass").raw(0x93); // STACK_GLOBAL
        o.rare().item().raw('h', 0, ')', '}', 0x92);                       // NEWOBJ_EX
        o.rare().item().raw('(').text("imod\nKlass\n");                    // INST
        o.rare().item().raw('(', 'h', 0, 'o');                             // OBJ
        o.rare().item().text("Pabcdefgh\n");                               // PERSID
        o.rare().raw('(', 'K', 1, '1');                                    // POP_MARK
        o.common();
        if (o.items % 2 == 1) {
            o.item().raw('N');
        }
        o.raw('u', '.');                                                   // SETITEMS, STOP
        return o.bytes();
    }

    /**
     * A tiny pickle writer that counts the values pushed after the dict's mark. After
     * {@link #rare()}, the next chain of calls writes only when rare opcodes are wanted.
     */
    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();
        private final boolean withRare;
        private boolean skip;
        private int items;

        Out(boolean withRare) {
            this.withRare = withRare;
        }

        Out rare() {
            skip = !withRare;
            return this;
        }

        void common() {
            skip = false;
        }

        Out item() {
            if (!skip) {
                items++;
            }
            return this;
        }

        Out raw(int... xs) {
            for (int x : xs) {
                write(x);
            }
            return this;
        }

        Out text(String s) {
            for (byte x : s.getBytes(StandardCharsets.ISO_8859_1)) {
                write(x);
            }
            return this;
        }

        Out u4(int v) {
            for (int i = 0; i < 4; i++) {
                write(v >>> (8 * i));
            }
            return this;
        }

        Out u8(long v) {
            for (int i = 0; i < 8; i++) {
                write((int) (v >>> (8 * i)));
            }
            return this;
        }

        /** An oid: 8 bytes, big-endian. */
        Out u8be(long v) {
            for (int i = 7; i >= 0; i--) {
                write((int) (v >>> (8 * i)));
            }
            return this;
        }

        private void write(int x) {
            if (!skip) {
                b.write(x);
            }
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
