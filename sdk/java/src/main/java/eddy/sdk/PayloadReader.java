package eddy.sdk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes the fields of one frame's payload (docs/protocol.md sections 1 and 3) from a slice of
 * a byte array it does not own. Every read checks the bounds and throws ProtocolException
 * naming the frame and field: `truncated` when the payload ends early, `bad_varint` for an
 * overlong or over-64-bit varint. Reused for every frame; not thread-safe.
 */
final class PayloadReader {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] buffer = new byte[0];
    private int position;
    private int end;
    private String frame = "";

    /** Reads `buffer[from, to)`, the payload of a frame called `frame` in error messages. */
    void reset(byte[] buffer, int from, int to, String frame) {
        this.buffer = buffer;
        this.position = from;
        this.end = to;
        this.frame = frame;
    }

    int remaining() {
        return end - position;
    }

    /** Throws `trailing_bytes` unless the whole payload was consumed. */
    void expectEnd() throws ProtocolException {
        if (position != end) {
            throw new ProtocolException("trailing bytes: " + remaining() + " byte(s) after the "
                    + frame + " message");
        }
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return buffer[position++] & 0xff;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        int value = (buffer[position] & 0xff) | (buffer[position + 1] & 0xff) << 8;
        position += 2;
        return value;
    }

    /** A u32 as a non-negative long. */
    long u32(String field) throws ProtocolException {
        need(4, field);
        long value = (buffer[position] & 0xffL) | (buffer[position + 1] & 0xffL) << 8
                | (buffer[position + 2] & 0xffL) << 16 | (buffer[position + 3] & 0xffL) << 24;
        position += 4;
        return value;
    }

    /** An i64, or a u64 as its two's-complement bits. */
    long i64(String field) throws ProtocolException {
        need(8, field);
        long value = (long) LONG_LE.get(buffer, position);
        position += 8;
        return value;
    }

    /** An unsigned LEB128 varint as the bits of a u64 (values above 2^63 - 1 come out negative). */
    long varint(String field) throws ProtocolException {
        if (position < end && buffer[position] >= 0) {
            return buffer[position++];
        }
        long value = 0;
        for (int index = 0, shift = 0; ; index++, shift += 7) {
            if (position >= end) {
                throw truncated(field);
            }
            int b = buffer[position++] & 0xff;
            if (index == 9) {
                if (b == 0) {
                    throw badVarint(field, "overlong");
                }
                if (b > 1) {
                    throw badVarint(field, "larger than 2^64 - 1");
                }
                return value | (long) b << 63;
            }
            value |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                if (b == 0 && index > 0) {
                    throw badVarint(field, "overlong");
                }
                return value;
            }
        }
    }

    /** A varint count that must fit an int; each counted item needs at least `minItemSize`. */
    int count(String field, int minItemSize) throws ProtocolException {
        long n = varint(field);
        if (n < 0 || n > remaining() / minItemSize) {
            throw new ProtocolException("truncated " + frame + ": " + field + " says "
                    + Long.toUnsignedString(n) + " but only " + remaining() + " byte(s) follow");
        }
        return (int) n;
    }

    /** The length of a `bytes` field, checked against the payload; moves past the prefix. */
    int bytesLength(String field) throws ProtocolException {
        long length = varint(field);
        if (length < 0 || length > remaining()) {
            throw new ProtocolException("truncated " + frame + ": " + field + " of "
                    + Long.toUnsignedString(length) + " byte(s) but only " + remaining()
                    + " left");
        }
        return (int) length;
    }

    /** A `bytes` field, copied. */
    byte[] bytes(String field) throws ProtocolException {
        return take(bytesLength(field));
    }

    /** A copy of the next `length` bytes, which the caller has checked are there. */
    byte[] take(int length) {
        byte[] value = Arrays.copyOfRange(buffer, position, position + length);
        position += length;
        return value;
    }

    /** A `bytes` field decoded as UTF-8 (malformed sequences become U+FFFD). */
    String utf8(String field) throws ProtocolException {
        int length = bytesLength(field);
        String value = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    /** True when the next `length` bytes equal `expected`; does not move. */
    boolean nextEquals(int length, byte[] expected) {
        return Arrays.equals(buffer, position, position + length, expected, 0, expected.length);
    }

    /** Moves past `length` bytes the caller has checked are there. */
    void skip(int length) {
        position += length;
    }

    private void need(int size, String field) throws ProtocolException {
        if (end - position < size) {
            throw truncated(field);
        }
    }

    private ProtocolException truncated(String field) {
        return new ProtocolException("truncated " + frame + ": the payload ends inside " + field);
    }

    private ProtocolException badVarint(String field, String why) {
        return new ProtocolException("bad varint in " + frame + " " + field + ": " + why);
    }
}
