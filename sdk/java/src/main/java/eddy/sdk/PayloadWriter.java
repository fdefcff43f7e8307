package eddy.sdk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that encodes the protocol's field types (docs/protocol.md sections 1
 * and 3). Reused across frames with {@link #clear()}; not thread-safe.
 */
final class PayloadWriter {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] buffer;
    private int size;

    PayloadWriter(int initialCapacity) {
        buffer = new byte[initialCapacity];
    }

    void clear() {
        size = 0;
    }

    int size() {
        return size;
    }

    /** The backing array; bytes [0, size()) are the encoded ones. */
    byte[] array() {
        return buffer;
    }

    void u8(int value) {
        ensure(1);
        buffer[size++] = (byte) value;
    }

    void u16(int value) {
        ensure(2);
        buffer[size] = (byte) value;
        buffer[size + 1] = (byte) (value >>> 8);
        size += 2;
    }

    void u32(int value) {
        ensure(4);
        INT_LE.set(buffer, size, value);
        size += 4;
    }

    /** Overwrites the u32 at `offset`, e.g. a frame length known only at the end. */
    void u32At(int offset, int value) {
        INT_LE.set(buffer, offset, value);
    }

    /** An i64, or a u64 given as its two's-complement bits. */
    void i64(long value) {
        ensure(8);
        LONG_LE.set(buffer, size, value);
        size += 8;
    }

    /** An unsigned LEB128 varint of the u64 whose bits `value` holds. */
    void varint(long value) {
        ensure(10);
        while ((value & ~0x7fL) != 0) {
            buffer[size++] = (byte) ((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        buffer[size++] = (byte) value;
    }

    /** A `bytes` field: varint length, then the bytes. */
    void bytes(byte[] value) {
        bytes(value, 0, value.length);
    }

    void bytes(byte[] value, int from, int length) {
        varint(length);
        raw(value, from, length);
    }

    void utf8(String text) {
        bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes as they are, without a length. */
    void raw(byte[] value, int from, int length) {
        ensure(length);
        System.arraycopy(value, from, buffer, size, length);
        size += length;
    }

    void raw(PayloadWriter other) {
        raw(other.buffer, 0, other.size);
    }

    private void ensure(int extra) {
        if (buffer.length - size < extra) {
            long wanted = Math.max((long) buffer.length * 2, (long) size + extra);
            buffer = Arrays.copyOf(buffer, (int) Math.min(wanted, Integer.MAX_VALUE - 8));
        }
    }
}
