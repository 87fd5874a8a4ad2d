package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MemoryOptionTest {
    @Test
    void sizes() {
        assertEquals(512L << 20, MemoryOption.parse("512m"));
        assertEquals(512L << 20, MemoryOption.parse("512MB"));
        assertEquals(4L << 30, MemoryOption.parse("4g"));
        assertEquals(4L << 30, MemoryOption.parse("4G"));
        assertEquals(2L << 40, MemoryOption.parse("2t"));
        assertEquals(65536L << 10, MemoryOption.parse("65536k"));
        assertEquals(4096L << 20, MemoryOption.parse("4096"), "no unit: megabytes");
        assertEquals(-1, MemoryOption.parse("4 g"));
        assertEquals(-1, MemoryOption.parse("0x10"));
        assertEquals(-1, MemoryOption.parse("-1g"));
        assertEquals(-1, MemoryOption.parse(""));
        assertEquals(-1, MemoryOption.parse("999999999999t"), "overflow");
    }
}
