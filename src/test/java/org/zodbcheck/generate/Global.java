package org.zodbcheck.generate;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A class as the GLOBAL opcode writes it ({@code c<module>\n<name>\n}), memoized per record. */
final class Global {
    private static final AtomicInteger IDS = new AtomicInteger();

    final int id = IDS.getAndIncrement();
    final String dotted;
    final byte[] opcode;

    private Global(String module, String name) {
        dotted = module + "." + name;
        opcode = ("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    static Global of(String module, String name) {
        return new Global(module, name);
    }

    static int count() {
        return IDS.get();
    }
}
