package org.zodbcheck.pickle;

/**
 * The 68 opcodes of pickle protocols 0-5, as listed by Python 3.11's {@code pickletools}
 * (FORMAT.md §3.5): code, name, argument encoding and the protocol that introduced it.
 */
public enum Opcode {
    MARK('(', Arg.NONE, 0),
    STOP('.', Arg.NONE, 0),
    POP('0', Arg.NONE, 0),
    POP_MARK('1', Arg.NONE, 1),
    DUP('2', Arg.NONE, 0),
    FLOAT('F', Arg.FLOATNL, 0),
    BINFLOAT('G', Arg.FLOAT8, 1),
    INT('I', Arg.DECIMALNL_SHORT, 0),
    BININT('J', Arg.INT4, 1),
    BININT1('K', Arg.UINT1, 1),
    BININT2('M', Arg.UINT2, 1),
    LONG('L', Arg.DECIMALNL_LONG, 0),
    LONG1(0x8a, Arg.LONG1, 2),
    LONG4(0x8b, Arg.LONG4, 2),
    NONE('N', Arg.NONE, 0),
    NEWTRUE(0x88, Arg.NONE, 2),
    NEWFALSE(0x89, Arg.NONE, 2),
    STRING('S', Arg.STRINGNL, 0),
    BINSTRING('T', Arg.STRING4, 1),
    SHORT_BINSTRING('U', Arg.STRING1, 1),
    BINBYTES('B', Arg.BYTES4, 3),
    SHORT_BINBYTES('C', Arg.BYTES1, 3),
    BINBYTES8(0x8e, Arg.BYTES8, 4),
    BYTEARRAY8(0x96, Arg.BYTES8, 5),
    NEXT_BUFFER(0x97, Arg.NONE, 5),
    READONLY_BUFFER(0x98, Arg.NONE, 5),
    UNICODE('V', Arg.UNICODESTRINGNL, 0),
    BINUNICODE('X', Arg.UNICODESTRING4, 1),
    SHORT_BINUNICODE(0x8c, Arg.UNICODESTRING1, 4),
    BINUNICODE8(0x8d, Arg.UNICODESTRING8, 4),
    EMPTY_LIST(']', Arg.NONE, 1),
    APPEND('a', Arg.NONE, 0),
    APPENDS('e', Arg.NONE, 1),
    LIST('l', Arg.NONE, 0),
    EMPTY_TUPLE(')', Arg.NONE, 1),
    TUPLE('t', Arg.NONE, 0),
    TUPLE1(0x85, Arg.NONE, 2),
    TUPLE2(0x86, Arg.NONE, 2),
    TUPLE3(0x87, Arg.NONE, 2),
    EMPTY_DICT('}', Arg.NONE, 1),
    DICT('d', Arg.NONE, 0),
    SETITEM('s', Arg.NONE, 0),
    SETITEMS('u', Arg.NONE, 1),
    EMPTY_SET(0x8f, Arg.NONE, 4),
    ADDITEMS(0x90, Arg.NONE, 4),
    FROZENSET(0x91, Arg.NONE, 4),
    GET('g', Arg.DECIMALNL_SHORT, 0),
    BINGET('h', Arg.UINT1, 1),
    LONG_BINGET('j', Arg.UINT4, 1),
    PUT('p', Arg.DECIMALNL_SHORT, 0),
    BINPUT('q', Arg.UINT1, 1),
    LONG_BINPUT('r', Arg.UINT4, 1),
    MEMOIZE(0x94, Arg.NONE, 4),
    EXT1(0x82, Arg.UINT1, 2),
    EXT2(0x83, Arg.UINT2, 2),
    EXT4(0x84, Arg.INT4, 2),
    GLOBAL('c', Arg.STRINGNL_NOESCAPE_PAIR, 0),
    STACK_GLOBAL(0x93, Arg.NONE, 4),
    REDUCE('R', Arg.NONE, 0),
    BUILD('b', Arg.NONE, 0),
    INST('i', Arg.STRINGNL_NOESCAPE_PAIR, 0),
    OBJ('o', Arg.NONE, 1),
    NEWOBJ(0x81, Arg.NONE, 2),
    NEWOBJ_EX(0x92, Arg.NONE, 4),
    PROTO(0x80, Arg.UINT1, 2),
    FRAME(0x95, Arg.UINT8, 4),
    PERSID('P', Arg.STRINGNL_NOESCAPE, 0),
    BINPERSID('Q', Arg.NONE, 1);

    /** Argument encodings, with pickletools' names (FORMAT.md §3.5). */
    public enum Arg {
        NONE, UINT1, UINT2, INT4, UINT4, UINT8, DECIMALNL_SHORT, DECIMALNL_LONG, STRINGNL,
        STRINGNL_NOESCAPE, STRINGNL_NOESCAPE_PAIR, STRING1, STRING4, BYTES1, BYTES4, BYTES8,
        UNICODESTRINGNL, UNICODESTRING1, UNICODESTRING4, UNICODESTRING8, FLOATNL, FLOAT8, LONG1, LONG4
    }

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final Arg arg;
    private final int proto;

    Opcode(int code, Arg arg, int proto) {
        this.code = code;
        this.arg = arg;
        this.proto = proto;
    }

    public int code() {
        return code;
    }

    public Arg arg() {
        return arg;
    }

    /** The protocol that introduced this opcode. */
    public int proto() {
        return proto;
    }

    /** The opcode with this byte, or {@code null} ("invalid load key"). */
    public static Opcode of(int code) {
        return BY_CODE[code & 0xff];
    }
}
