package org.zodbcheck.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.zodbcheck.fuzz.FsLayout.Rec;
import org.zodbcheck.fuzz.FsLayout.Txn;

/**
 * Damages a well-formed Data.fs the way disks, crashes and bugs do, aimed at the places a reader
 * trusts: truncation at and between boundaries, bit flips and byte replacements in transaction
 * headers, data record headers, redundant lengths and pickles, length fields set to huge or
 * negative values, position fields (prev, tloc, back) pointing backwards, forwards, at
 * themselves or past the end, pickle opcodes and their length prefixes and memo indexes, spliced
 * or duplicated transactions, garbage tails, and a {@code Data.fs.index} of random bytes.
 *
 * <p>Everything is a function of the {@link Random} passed in, so a case is replayed from its
 * seed; {@link Mutation#description()} says exactly what was done.
 */
final class Mutator {
    /** The damaged file, what was done to it, and files to put beside it (e.g. {@code Data.fs.index}). */
    record Mutation(String description, byte[] data, Map<String, byte[]> siblings) {
        Mutation(String description, byte[] data) {
            this(description, data, Map.of());
        }
    }

    private final FsLayout fs;
    private final Random r;
    private final List<Rec> dataRecords;
    private final List<Rec> backpointers;

    Mutator(FsLayout fs, Random r) {
        this.fs = fs;
        this.r = r;
        this.dataRecords = fs.dataRecords();
        this.backpointers = fs.backpointerRecords();
    }

    /** One random mutation, sometimes two or three stacked. */
    Mutation random() {
        Mutation m = one(fs.bytes.clone());
        int more = r.nextInt(10) == 0 ? 1 + r.nextInt(2) : 0;
        for (int i = 0; i < more && m.data().length > 0; i++) {
            Mutation n = one(m.data().clone(), true);
            Map<String, byte[]> sib = new LinkedHashMap<>(m.siblings());
            sib.putAll(n.siblings());
            m = new Mutation(m.description() + "; then " + n.description(), n.data(), sib);
        }
        return m;
    }

    private Mutation one(byte[] b) {
        return one(b, false);
    }

    /**
     * One mutation of {@code b}. Positions come from the pristine layout; when stacking
     * ({@code stacked}), only mutations that stay inside the (possibly shorter) file are used.
     */
    private Mutation one(byte[] b, boolean stacked) {
        int kind = r.nextInt(100);
        if (stacked) {
            return inPlace(b, "flip", r.nextInt(b.length), 1);
        }
        if (kind < 10) {
            return truncateRandom(b);
        } else if (kind < 18) {
            return truncateAtTxn(b);
        } else if (kind < 24) {
            return truncateAtRecord(b);
        } else if (kind < 36) {
            return bitFlip(b);
        } else if (kind < 44) {
            return replaceBytes(b);
        } else if (kind < 56) {
            return lengthField(b);
        } else if (kind < 66) {
            return positionField(b);
        } else if (kind < 70) {
            return idField(b);
        } else if (kind < 73) {
            return status(b);
        } else if (kind < 88) {
            return pickle(b);
        } else if (kind < 96) {
            return splice(b);
        } else {
            return index(b);
        }
    }

    // ------------------------------------------------------------------ truncation

    private Mutation truncateRandom(byte[] b) {
        int n = r.nextInt(b.length);
        return new Mutation("truncate to " + n + " bytes (random)", Arrays.copyOf(b, n));
    }

    private Mutation truncateAtTxn(byte[] b) {
        Txn t = pick(fs.txns);
        long[] at = {0, 1, 8, 16, 17, 19, 21, 22, 23, t.hlen(), t.tlen() - 1, t.tlen(), t.tlen() + 4, t.tlen() + 7};
        long n = Math.min(b.length, t.pos() + at[r.nextInt(at.length)]);
        return new Mutation("truncate to " + n + " bytes (transaction at " + t.pos() + " + " + (n - t.pos()) + ")",
                Arrays.copyOf(b, (int) n));
    }

    private Mutation truncateAtRecord(byte[] b) {
        Rec c = pick(fs.records);
        long[] at = {0, 1, 8, 16, 24, 32, 34, 41, 42, 43, c.length() / 2, c.length() - 1, c.length()};
        long n = Math.min(b.length, c.pos() + at[r.nextInt(at.length)]);
        return new Mutation("truncate to " + n + " bytes (record at " + c.pos() + " + " + (n - c.pos()) + ")",
                Arrays.copyOf(b, (int) n));
    }

    // ------------------------------------------------------------------ bytes

    /** A region to aim at: {@code [from, from + len)} and its name. */
    private record Region(String name, long from, long len) {
    }

    private Region region() {
        Txn t = pick(fs.txns);
        switch (r.nextInt(7)) {
            case 0:
                return new Region("header of the transaction at " + t.pos(), t.pos(), FsLayout.TXN_HEADER);
            case 1:
                if (t.hlen() > FsLayout.TXN_HEADER) {
                    return new Region("metadata of the transaction at " + t.pos(), t.pos() + FsLayout.TXN_HEADER,
                            t.hlen() - FsLayout.TXN_HEADER);
                }
                return new Region("redundant length of the transaction at " + t.pos(), t.end(), 8);
            case 2:
                return new Region("redundant length of the transaction at " + t.pos(), t.end(), 8);
            case 3, 4: {
                Rec c = pick(fs.records);
                return new Region("header of the record at " + c.pos(), c.pos(), FsLayout.DATA_HEADER);
            }
            case 5: {
                if (!dataRecords.isEmpty()) {
                    Rec c = pick(dataRecords);
                    return new Region("pickle of the record at " + c.pos(), c.dataPos(), c.plen());
                }
                return new Region("file", 0, fs.bytes.length);
            }
            default:
                return new Region("file", 0, fs.bytes.length);
        }
    }

    private Mutation bitFlip(byte[] b) {
        Region g = region();
        int flips = 1 + (r.nextInt(4) == 0 ? r.nextInt(4) : 0);
        StringBuilder d = new StringBuilder("flip");
        for (int i = 0; i < flips; i++) {
            long at = g.from() + (long) (r.nextDouble() * g.len());
            int bit = r.nextInt(8);
            b[(int) at] ^= (byte) (1 << bit);
            d.append(i == 0 ? " " : ", ").append("bit ").append(bit).append(" of byte ").append(at);
        }
        return new Mutation(d + " (" + g.name() + ")", b);
    }

    private static final int[] INTERESTING_BYTES = {0x00, 0xff, 0x7f, 0x80, 0x01, '.', '(', 'c', 'u', 'p', ' ', '\n',
        'Q', 'h', 'q', 'j', 'r', 0x95, 0x8e};

    private Mutation replaceBytes(byte[] b) {
        Region g = region();
        int n = 1 + r.nextInt(r.nextBoolean() ? 1 : 8);
        long at = g.from() + (long) (r.nextDouble() * g.len());
        n = (int) Math.min(n, b.length - at);
        int[] vals = new int[n];
        for (int i = 0; i < n; i++) {
            vals[i] = r.nextBoolean() ? INTERESTING_BYTES[r.nextInt(INTERESTING_BYTES.length)] : r.nextInt(256);
            b[(int) at + i] = (byte) vals[i];
        }
        return new Mutation("replace " + n + " byte(s) at " + at + " by " + hexBytes(vals) + " (" + g.name() + ")", b);
    }

    private Mutation inPlace(byte[] b, String what, int at, int n) {
        int bit = r.nextInt(8);
        b[at] ^= (byte) (1 << bit);
        return new Mutation(what + " bit " + bit + " of byte " + at, b);
    }

    // ------------------------------------------------------------------ fields

    /** Values that break length arithmetic: tiny, header sizes, off by one, sign bits, the file size. */
    private long interestingLength(long orig, long pos) {
        long size = fs.bytes.length;
        long[] v = {0, 1, 7, 8, 22, 23, 24, 41, 42, 43, orig - 1, orig + 1, orig - 8, orig + 8, orig * 2, orig / 2,
            size, size - pos, size - pos + 1, size - pos - 8, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
            0x1_0000_0000L, 1L << 48, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -8L, -orig, r.nextLong(),
            r.nextInt(1 << 20)};
        return v[r.nextInt(v.length)];
    }

    private Mutation lengthField(byte[] b) {
        if (r.nextInt(3) > 0 || dataRecords.isEmpty()) {
            Txn t = pick(fs.txns);
            switch (r.nextInt(5)) {
                case 0: {
                    long v = interestingLength(t.tlen(), t.pos());
                    FsLayout.putU64(b, t.pos() + 8, v);
                    return new Mutation("tlen of the transaction at " + t.pos() + " := " + u(v) + " (was " + t.tlen() + ")", b);
                }
                case 1: {
                    long v = interestingLength(t.tlen(), t.pos());
                    FsLayout.putU64(b, t.end(), v);
                    return new Mutation("redundant tlen of the transaction at " + t.pos() + " (at " + t.end() + ") := "
                            + u(v) + " (was " + t.tlen() + ")", b);
                }
                case 2: {
                    long v = interestingLength(t.tlen(), t.pos());
                    FsLayout.putU64(b, t.pos() + 8, v);
                    FsLayout.putU64(b, t.end(), v);
                    return new Mutation("tlen and redundant tlen of the transaction at " + t.pos() + " := " + u(v)
                            + " (was " + t.tlen() + ")", b);
                }
                default: {
                    String[] names = {"ulen", "dlen", "elen"};
                    int f = r.nextInt(3);
                    int[] orig = {t.ulen(), t.dlen(), t.elen()};
                    int v = switch (r.nextInt(5)) {
                        case 0 -> 0xffff;
                        case 1 -> orig[f] + 1;
                        case 2 -> (int) Math.min(0xffff, t.tlen());
                        case 3 -> (int) Math.min(0xffff, t.tlen() - FsLayout.TXN_HEADER + 1);
                        default -> r.nextInt(0x10000);
                    };
                    FsLayout.putU16(b, t.pos() + 17 + 2L * f, v);
                    return new Mutation(names[f] + " of the transaction at " + t.pos() + " := " + v + " (was " + orig[f] + ")", b);
                }
            }
        }
        Rec c = pick(fs.records);
        if (r.nextInt(4) == 0) {
            int v = switch (r.nextInt(4)) {
                case 0 -> 0xffff;
                case 1 -> 1;
                case 2 -> 8;
                default -> r.nextInt(0x10000);
            };
            FsLayout.putU16(b, c.pos() + 32, v);
            return new Mutation("vlen of the record at " + c.pos() + " := " + v + " (was " + c.vlen() + ")", b);
        }
        long v = interestingLength(c.plen(), c.pos());
        FsLayout.putU64(b, c.pos() + 34, v);
        return new Mutation("plen of the record at " + c.pos() + " := " + u(v) + " (was " + c.plen() + ")", b);
    }

    /** Positions: self, before, after, the middle of something, past the end, huge. */
    private long interestingPosition(Rec c) {
        long size = fs.bytes.length;
        Rec other = pick(fs.records);
        Txn t = pick(fs.txns);
        Rec sameOid = fs.records.stream().filter(x -> x.oid() == c.oid() && x.pos() != c.pos())
                .reduce((a, x) -> r.nextBoolean() ? a : x).orElse(other);
        long[] v = {0, 4, c.pos(), c.pos() + 1, c.pos() + 42, c.txnPos(), other.pos(), other.pos() + 3, sameOid.pos(),
            t.pos(), t.pos() + 23, t.end(), size, size - 1, size - 8, size + 100, Long.MAX_VALUE, -1L, -8L,
            1L << 40, r.nextLong(), r.nextInt((int) size)};
        return v[r.nextInt(v.length)];
    }

    private Mutation positionField(byte[] b) {
        boolean back = !backpointers.isEmpty() && r.nextInt(3) == 0;
        Rec c = back ? pick(backpointers) : pick(fs.records);
        long v = interestingPosition(c);
        if (back) {
            FsLayout.putU64(b, c.dataPos(), v);
            return new Mutation("back of the record at " + c.pos() + " (at " + c.dataPos() + ") := " + u(v) + " (was "
                    + c.back() + ")", b);
        }
        boolean prev = r.nextBoolean();
        FsLayout.putU64(b, c.pos() + (prev ? 16 : 24), v);
        return new Mutation((prev ? "prev" : "tloc") + " of the record at " + c.pos() + " := " + u(v) + " (was "
                + (prev ? c.prev() : c.tloc()) + ")", b);
    }

    private Mutation idField(byte[] b) {
        if (r.nextBoolean()) {
            Txn t = pick(fs.txns);
            int i = fs.txns.indexOf(t);
            long v = switch (r.nextInt(4)) {
                case 0 -> i > 0 ? fs.txns.get(i - 1).tid() : 0;
                case 1 -> t.tid() - 1;
                case 2 -> -1L;
                default -> r.nextLong();
            };
            FsLayout.putU64(b, t.pos(), v);
            return new Mutation("tid of the transaction at " + t.pos() + " := " + hex(v), b);
        }
        Rec c = pick(fs.records);
        boolean oid = r.nextBoolean();
        long v = switch (r.nextInt(4)) {
            case 0 -> pick(fs.records).oid();
            case 1 -> 0;
            case 2 -> -1L;
            default -> r.nextLong();
        };
        FsLayout.putU64(b, c.pos() + (oid ? 0 : 8), v);
        return new Mutation((oid ? "oid" : "tid") + " of the record at " + c.pos() + " := " + hex(v), b);
    }

    private Mutation status(byte[] b) {
        Txn t = pick(fs.txns);
        int[] v = {'c', 'u', 'p', ' ', 0, 0xff, 'C', r.nextInt(256)};
        int s = v[r.nextInt(v.length)];
        b[(int) t.pos() + 16] = (byte) s;
        return new Mutation("status of the transaction at " + t.pos() + " := " + hexBytes(new int[] {s}), b);
    }

    // ------------------------------------------------------------------ pickles

    private Mutation pickle(byte[] b) {
        if (dataRecords.isEmpty()) {
            return bitFlip(b);
        }
        Rec c = pick(dataRecords);
        List<PickleOps.Op> ops = PickleOps.walk(b, (int) c.dataPos(), (int) c.plen());
        if (ops.isEmpty()) { // e.g. a compressed record
            long at = c.dataPos() + (long) (r.nextDouble() * c.plen());
            int v = r.nextInt(256);
            b[(int) at] = (byte) v;
            return new Mutation("replace byte " + at + " by " + hexBytes(new int[] {v}) + " (data of the record at "
                    + c.pos() + ", not a plain pickle)", b);
        }
        String where = " (pickle of the record at " + c.pos() + ", oid " + hex(c.oid()) + ")";
        PickleOps.Op op = pick(ops);
        int kind = r.nextInt(10);
        if (kind < 2) {
            int v = r.nextInt(4) == 0 ? r.nextInt(256) : PickleOps.ALL[r.nextInt(PickleOps.ALL.length)] & 0xff;
            b[op.pos()] = (byte) v;
            return new Mutation("opcode at " + op.pos() + " " + hexBytes(new int[] {op.op()}) + " := "
                    + hexBytes(new int[] {v}) + where, b);
        }
        if (kind < 4) {
            // a length prefix or a memo index
            List<PickleOps.Op> withArg = ops.stream().filter(o -> o.arg() == PickleOps.Arg.LEN1
                    || o.arg() == PickleOps.Arg.LEN4 || o.arg() == PickleOps.Arg.LEN8
                    || o.op() == 'h' || o.op() == 'q' || o.op() == 'j' || o.op() == 'r').toList();
            if (!withArg.isEmpty()) {
                op = pick(withArg);
                int n = switch (op.arg()) {
                    case LEN1, FIXED -> op.op() == 'j' || op.op() == 'r' ? 4 : 1;
                    case LEN4 -> 4;
                    default -> 8;
                };
                long[] vals = {0, 1, 0xff, 0x7f, 0x80, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, Long.MAX_VALUE, -1L,
                    r.nextLong()};
                long v = vals[r.nextInt(vals.length)];
                for (int i = 0; i < n; i++) {
                    b[op.argPos() + i] = (byte) (v >>> (8 * i)); // little-endian
                }
                return new Mutation("argument of " + opName(op.op()) + " at " + op.pos() + " := " + u(v) + " ("
                        + n + " bytes LE)" + where, b);
            }
        }
        if (kind < 6) {
            // memo: a PUT turned into a GET of the same (not yet stored) slot, or a GET of an unknown slot
            List<PickleOps.Op> memo = ops.stream().filter(o -> o.op() == 'h' || o.op() == 'q').toList();
            if (!memo.isEmpty()) {
                op = pick(memo);
                if (op.op() == 'q' && r.nextBoolean()) {
                    b[op.pos()] = 'h';
                    return new Mutation("BINPUT at " + op.pos() + " := BINGET (a slot not stored yet)" + where, b);
                }
                b[op.pos()] = 'h';
                b[op.argPos()] = (byte) (0xf0 + r.nextInt(16));
                return new Mutation("BINGET of unknown slot " + (b[op.argPos()] & 0xff) + " at " + op.pos() + where, b);
            }
        }
        if (kind < 7) {
            List<PickleOps.Op> stops = ops.stream().filter(o -> o.op() == '.' || o.op() == 0x80).toList();
            if (!stops.isEmpty()) {
                op = pick(stops);
                int v = op.op() == 0x80 ? (r.nextBoolean() ? 6 : r.nextInt(256)) : PickleOps.ALL[r.nextInt(PickleOps.ALL.length)];
                int at = op.op() == 0x80 ? op.argPos() : op.pos();
                b[at] = (byte) v;
                return new Mutation((op.op() == 0x80 ? "PROTO argument" : "STOP") + " at " + at + " := "
                        + hexBytes(new int[] {v & 0xff}) + where, b);
            }
        }
        if (kind < 8) {
            // an early STOP, or a MARK where something else was
            int v = r.nextBoolean() ? '.' : '(';
            b[op.pos()] = (byte) v;
            return new Mutation("opcode at " + op.pos() + " := " + hexBytes(new int[] {v}) + where, b);
        }
        // random bytes inside the pickle
        long at = c.dataPos() + (long) (r.nextDouble() * c.plen());
        int n = (int) Math.min(1 + r.nextInt(6), c.dataPos() + c.plen() - at);
        int[] vals = new int[n];
        for (int i = 0; i < n; i++) {
            vals[i] = r.nextInt(256);
            b[(int) at + i] = (byte) vals[i];
        }
        return new Mutation("replace " + n + " byte(s) at " + at + " by " + hexBytes(vals) + where, b);
    }

    // ------------------------------------------------------------------ splices

    private Mutation splice(byte[] b) {
        int i = r.nextInt(fs.txns.size());
        Txn t = fs.txns.get(i);
        byte[] txn = Arrays.copyOfRange(b, (int) t.pos(), (int) t.next());
        switch (r.nextInt(8)) {
            case 0:
                return new Mutation("transaction at " + t.pos() + " duplicated after itself", insert(b, t.next(), txn));
            case 1:
                return new Mutation("transaction at " + t.pos() + " removed", remove(b, t.pos(), t.next()));
            case 2: {
                if (i + 1 < fs.txns.size()) {
                    Txn u = fs.txns.get(i + 1);
                    byte[] second = Arrays.copyOfRange(b, (int) u.pos(), (int) u.next());
                    byte[] out = b.clone();
                    System.arraycopy(second, 0, out, (int) t.pos(), second.length);
                    System.arraycopy(txn, 0, out, (int) t.pos() + second.length, txn.length);
                    return new Mutation("transactions at " + t.pos() + " and " + u.pos() + " swapped", out);
                }
                return new Mutation("transaction at " + t.pos() + " appended again", insert(b, b.length, txn));
            }
            case 3: {
                byte[] junk = new byte[1 + r.nextInt(64)];
                r.nextBytes(junk);
                return new Mutation(junk.length + " random bytes inserted at " + t.pos() + " (before a transaction)",
                        insert(b, t.pos(), junk));
            }
            case 4: {
                byte[] tail = new byte[1 + r.nextInt(r.nextBoolean() ? 64 : 5000)];
                boolean zeros = r.nextBoolean();
                if (!zeros) {
                    r.nextBytes(tail);
                }
                return new Mutation(tail.length + (zeros ? " zero" : " random") + " bytes appended", insert(b, b.length, tail));
            }
            case 5: {
                long from = t.pos() + r.nextInt((int) (t.next() - t.pos()));
                byte[] out = b.clone();
                Arrays.fill(out, (int) from, out.length, (byte) 0);
                return new Mutation("bytes from " + from + " to the end zeroed", out);
            }
            case 6: {
                Rec c = pick(fs.records);
                return new Mutation("record at " + c.pos() + " cut out (lengths unchanged)",
                        remove(b, c.pos(), c.pos() + c.length()));
            }
            default: {
                Rec c = pick(fs.records);
                long at = c.pos() + r.nextInt((int) c.length());
                byte[] junk = new byte[1 + r.nextInt(16)];
                r.nextBytes(junk);
                return new Mutation(junk.length + " random bytes inserted at " + at + " (inside the record at " + c.pos()
                        + ", lengths unchanged)", insert(b, at, junk));
            }
        }
    }

    // ------------------------------------------------------------------ Data.fs.index

    private Mutation index(byte[] b) {
        byte[] idx;
        String what;
        if (r.nextInt(3) > 0) {
            return damagedIndex(b);
        }
        switch (r.nextInt(4)) {
            case 0 -> {
                idx = new byte[r.nextInt(4096)];
                r.nextBytes(idx);
                what = idx.length + " random bytes";
            }
            case 1 -> {
                // a valid first pickle (a position), then random bytes
                byte[] tail = new byte[r.nextInt(512)];
                r.nextBytes(tail);
                idx = concat(new byte[] {(byte) 0x80, 3, 'J', (byte) b.length, (byte) (b.length >> 8),
                    (byte) (b.length >> 16), 0, '.'}, tail);
                what = "a position pickle then " + tail.length + " random bytes";
            }
            case 2 -> {
                // a position past the end and a bucket with a huge length
                idx = new byte[] {(byte) 0x80, 3, 'J', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, '.', (byte) 0x80, 3, 'C',
                    6, 0, 0, 0, 0, 0, 0, 'B', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x86, '.'};
                what = "a position past the end and a bucket of length 0xffffffff";
            }
            default -> {
                idx = new byte[0];
                what = "an empty file";
            }
        }
        return new Mutation("Data.fs.index beside it: " + what, b, Map.of("Data.fs.index", idx));
    }

    /**
     * A {@code Data.fs.index} as ZODB writes it (FORMAT.md §2.1: the position pickle, one
     * {@code (prefix, bucket)} pickle per 6-byte oid prefix, {@code None}), for the pristine
     * file, then damaged: bytes flipped, cut, the position or one entry changed, a bucket
     * length made huge. Sometimes left intact.
     */
    private Mutation damagedIndex(byte[] b) {
        Index ix = Index.of(fs, r.nextBoolean());
        byte[] idx = ix.bytes;
        String what;
        switch (r.nextInt(6)) {
            case 0 -> what = "intact";
            case 1 -> {
                int at = r.nextInt(idx.length);
                int v = r.nextInt(256);
                idx[at] = (byte) v;
                what = "byte " + at + " := " + hexBytes(new int[] {v});
            }
            case 2 -> {
                int n = r.nextInt(idx.length);
                idx = Arrays.copyOf(idx, n);
                what = "cut to " + n + " bytes";
            }
            case 3 -> {
                long[] v = {0, 4, 99, 100, b.length - 1, b.length + 1, 1L << 31, 0xffff_ffffL, fs.txns.get(0).next()};
                long pos = v[r.nextInt(v.length)];
                for (int i = 0; i < 4; i++) {
                    idx[ix.posAt + i] = (byte) (pos >>> (8 * i));
                }
                what = "position := " + pos;
            }
            case 4 -> {
                if (ix.entryAt.isEmpty()) {
                    what = "intact (no entries)";
                    break;
                }
                int e = r.nextInt(ix.entryAt.size());
                long pos = interestingPosition(pick(fs.records));
                for (int i = 0; i < 6; i++) {
                    idx[ix.entryAt.get(e) + i] = (byte) (pos >>> (40 - 8 * i));
                }
                what = "entry " + e + " := position " + u(pos & 0xffff_ffff_ffffL);
            }
            default -> {
                if (ix.bucketLengthAt.isEmpty()) {
                    what = "intact (no bucket)";
                    break;
                }
                int at = ix.bucketLengthAt.get(r.nextInt(ix.bucketLengthAt.size()));
                long[] v = {0xffff_ffffL, 0x7fff_ffffL, 0x8000_0000L, 7, 9};
                long n = v[r.nextInt(v.length)];
                for (int i = 0; i < 4; i++) {
                    idx[at + i] = (byte) (n >>> (8 * i));
                }
                what = "a bucket length := " + n;
            }
        }
        return new Mutation("Data.fs.index beside it (" + (ix.py2 ? "Python 2 style" : "Python 3") + "): " + what,
                b, Map.of("Data.fs.index", idx));
    }

    /** A valid index and where its fields are. */
    static final class Index {
        byte[] bytes;
        boolean py2;
        int posAt;
        final List<Integer> entryAt = new ArrayList<>();
        final List<Integer> bucketLengthAt = new ArrayList<>();

        /** The index of the pristine file: oid -> position of its last record. */
        static Index of(FsLayout fs, boolean py2) {
            TreeMap<Long, Long> current = new TreeMap<>(Long::compareUnsigned);
            for (Rec c : fs.records) {
                current.put(c.oid(), c.pos());
            }
            Index ix = new Index();
            ix.py2 = py2;
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            o.writeBytes(new byte[] {(byte) 0x80, 3, 'J'});
            ix.posAt = o.size();
            long end = fs.bytes.length;
            o.writeBytes(new byte[] {(byte) end, (byte) (end >> 8), (byte) (end >> 16), (byte) (end >> 24), '.'});
            Map<Long, List<long[]>> groups = new TreeMap<>(Long::compareUnsigned);
            for (Map.Entry<Long, Long> e : current.entrySet()) {
                groups.computeIfAbsent(e.getKey() >>> 16, k -> new ArrayList<>()).add(new long[] {e.getKey(), e.getValue()});
            }
            byte str = (byte) (py2 ? 'U' : 'C');
            byte longStr = (byte) (py2 ? 'T' : 'B');
            for (Map.Entry<Long, List<long[]>> g : groups.entrySet()) {
                o.writeBytes(new byte[] {(byte) 0x80, 3, str, 6});
                for (int i = 0; i < 6; i++) {
                    o.write((int) (g.getKey() >>> (40 - 8 * i)));
                }
                o.writeBytes(new byte[] {'q', 0});
                int n = g.getValue().size();
                int len = 8 * n;
                if (len < 256 && n % 2 == 0) {
                    o.writeBytes(new byte[] {str, (byte) len});
                } else {
                    o.write(longStr);
                    ix.bucketLengthAt.add(o.size());
                    o.writeBytes(new byte[] {(byte) len, (byte) (len >> 8), (byte) (len >> 16), (byte) (len >> 24)});
                }
                for (long[] e : g.getValue()) {
                    o.write((int) (e[0] >>> 8));
                    o.write((int) e[0]);
                }
                for (long[] e : g.getValue()) {
                    ix.entryAt.add(o.size());
                    for (int i = 0; i < 6; i++) {
                        o.write((int) (e[1] >>> (40 - 8 * i)));
                    }
                }
                o.writeBytes(new byte[] {'q', 1, (byte) 0x86, 'q', 2, '.'});
            }
            o.writeBytes(new byte[] {(byte) 0x80, 3, 'N', '.'});
            ix.bytes = o.toByteArray();
            return ix;
        }
    }

    // ------------------------------------------------------------------ helpers

    private <T> T pick(List<T> list) {
        return list.get(r.nextInt(list.size()));
    }

    static byte[] insert(byte[] b, long at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, (int) at);
        System.arraycopy(what, 0, out, (int) at, what.length);
        System.arraycopy(b, (int) at, out, (int) at + what.length, b.length - (int) at);
        return out;
    }

    static byte[] remove(byte[] b, long from, long to) {
        byte[] out = new byte[b.length - (int) (to - from)];
        System.arraycopy(b, 0, out, 0, (int) from);
        System.arraycopy(b, (int) to, out, (int) from, b.length - (int) to);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String u(long v) {
        return v < 0 ? Long.toUnsignedString(v) + " (0x" + Long.toHexString(v) + ")" : Long.toString(v);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String hexBytes(int[] v) {
        StringBuilder s = new StringBuilder();
        for (int x : v) {
            s.append(String.format("\\x%02x", x & 0xff));
        }
        return s.toString();
    }

    static String opName(int op) {
        return String.format("opcode \\x%02x", op) + (op >= 0x20 && op < 0x7f ? " '" + (char) op + "'" : "");
    }

    /** Every transaction and record boundary of the file, and what sits there (for the systematic truncations). */
    static List<long[]> boundaries(FsLayout fs) {
        List<long[]> out = new ArrayList<>();
        for (Txn t : fs.txns) {
            out.add(new long[] {t.pos(), 0});
            out.add(new long[] {t.pos() + FsLayout.TXN_HEADER, 1});
            out.add(new long[] {t.end(), 2});
            for (Rec c : t.records()) {
                out.add(new long[] {c.pos(), 3});
                out.add(new long[] {c.pos() + FsLayout.DATA_HEADER, 4});
            }
        }
        return out;
    }
}
