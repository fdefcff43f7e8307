package eddy.sdk;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the callbacks of one request did, in the order they did it, already encoded:
 * one buffer and one count per section of the {@code transaction} frame (docs/protocol.md
 * 11.3). {@link #encodeFrame} joins them into the frame; {@link #clear} starts the next
 * request. Owned by one conversation.
 */
final class Transaction {
    private final PayloadWriter produced = new PayloadWriter(1 << 16);
    private final PayloadWriter writes = new PayloadWriter(1 << 12);
    private final PayloadWriter timers = new PayloadWriter(1 << 10);
    private final PayloadWriter logs = new PayloadWriter(1 << 10);
    private final PayloadWriter failures = new PayloadWriter(1 << 10);
    private final PayloadWriter traced = new PayloadWriter(1 << 8);
    private int producedCount;
    private int writeCount;
    private int timerCount;
    private int logCount;
    private int failureCount;
    private int tracedCount;
    // The current input's trace context, or null: every record produced meanwhile carries it.
    private byte[] trace;

    // Stream names repeat on every produce: keep the encoded `bytes` field of the first few.
    private static final int CACHED_STREAMS = 64;
    private final Map<String, byte[]> streamFields = new HashMap<>();
    private String lastStream;
    private byte[] lastStreamField;

    void clear() {
        produced.clear();
        writes.clear();
        timers.clear();
        logs.clear();
        failures.clear();
        traced.clear();
        producedCount = writeCount = timerCount = logCount = failureCount = tracedCount = 0;
        trace = null;
    }

    /** The trace context (25 bytes, or null) of the input the next callback handles. */
    void trace(byte[] context) {
        trace = context;
    }

    void produce(String stream, byte[] key, byte[] value, long time) {
        byte[] field = streamField(stream);
        produced.raw(field, 0, field.length);
        produced.bytes(key);
        produced.bytes(value);
        produced.i64(time);
        if (trace != null) {
            traced.varint(producedCount);
            traced.raw(trace, 0, trace.length);
            tracedCount++;
        }
        producedCount++;
    }

    void put(byte[] key, byte[] name, byte[] value) {
        writes.bytes(key);
        writes.bytes(name);
        writes.u8(0);
        writes.bytes(value);
        writeCount++;
    }

    void erase(byte[] key, byte[] name) {
        writes.bytes(key);
        writes.bytes(name);
        writes.u8(1);
        writes.varint(0);
        writeCount++;
    }

    void timer(byte[] key, byte[] tag, long time, TimeDomain domain) {
        timers.bytes(key);
        timers.bytes(tag);
        timers.i64(time);
        timers.u8(domain.ordinal());
        timerCount++;
    }

    void log(LogLevel level, String text) {
        logs.u8(level.ordinal());
        logs.utf8(text);
        logCount++;
    }

    void failure(int index, int attempts, String message) {
        failures.u32(index);
        failures.u32(attempts);
        failures.utf8(message);
        failureCount++;
    }

    /** Replaces `frame`'s contents with the whole transaction frame for request `batch`. */
    void encodeFrame(long batch, PayloadWriter frame) {
        frame.clear();
        frame.u32(0);
        frame.u8(FrameType.TRANSACTION);
        frame.i64(batch);
        section(frame, producedCount, produced);
        section(frame, writeCount, writes);
        section(frame, timerCount, timers);
        section(frame, logCount, logs);
        section(frame, failureCount, failures);
        section(frame, tracedCount, traced);
        frame.u32At(0, frame.size() - 4);
    }

    private static void section(PayloadWriter frame, int count, PayloadWriter items) {
        frame.varint(count);
        frame.raw(items);
    }

    private byte[] streamField(String stream) {
        if (stream != lastStream) {
            byte[] field = streamFields.get(stream);
            if (field == null) {
                PayloadWriter encoded = new PayloadWriter(stream.length() + 10);
                encoded.bytes(stream.getBytes(StandardCharsets.UTF_8));
                field = Arrays.copyOf(encoded.array(), encoded.size());
                if (streamFields.size() < CACHED_STREAMS) {
                    streamFields.put(stream, field);
                }
            }
            lastStream = stream;
            lastStreamField = field;
        }
        return lastStreamField;
    }
}
