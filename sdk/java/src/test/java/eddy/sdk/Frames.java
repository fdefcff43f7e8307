package eddy.sdk;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The executor's side of the codec, for tests: builds the frames an executor sends and
 * decodes the ones an SDK sends into strings that are easy to compare.
 */
final class Frames {
    private Frames() {}

    /** A state entry or a (name, value) pair. */
    record Entry(String name, String value) {}

    /** One record of a process request; `trace` is its trace context in hex, or null. */
    record In(String stream, String key, String value, long time, List<Entry> state,
            String trace) {
        In(String stream, String key, String value, long time) {
            this(stream, key, value, time, List.of(), null);
        }

        In(String stream, String key, String value, long time, List<Entry> state) {
            this(stream, key, value, time, state, null);
        }

        /** This record carrying the trace context `hex`. */
        In traced(String hex) {
            return new In(stream, key, value, time, state, hex);
        }
    }

    /** One timer of a fire_timers request. */
    record Due(String key, String tag, long time, int domain, List<Entry> state) {}

    /** A decoded SDK frame: its type and payload. */
    record Frame(int type, byte[] payload) {}

    /**
     * A decoded transaction; each item rendered as "field|field|...", a produced record that
     * carries a trace context with "|trace=<hex>" after its time.
     */
    record Decoded(long batch, List<String> produced, List<String> writes, List<String> timers,
            List<String> logs, List<String> failures) {}

    static byte[] frame(int type, PayloadWriter payload) {
        PayloadWriter out = new PayloadWriter(payload.size() + 5);
        out.u32(payload.size() + 1);
        out.u8(type);
        out.raw(payload);
        return Arrays.copyOf(out.array(), out.size());
    }

    /** `frame` encoded again: length, type, payload. */
    static byte[] encoded(Frame frame) {
        PayloadWriter payload = new PayloadWriter(frame.payload().length);
        payload.raw(frame.payload(), 0, frame.payload().length);
        return frame(frame.type(), payload);
    }

    static byte[] init(int index, int count, int maxRetries, String config) {
        PayloadWriter p = new PayloadWriter(64);
        p.u32(index);
        p.u32(count);
        p.u32(maxRetries);
        p.utf8(config);
        return frame(FrameType.INIT, p);
    }

    static byte[] process(long batch, long watermark, In... records) {
        PayloadWriter p = new PayloadWriter(256);
        p.i64(batch);
        p.i64(watermark);
        p.varint(records.length);
        for (In r : records) {
            p.utf8(r.stream());
            p.utf8(r.key());
            p.utf8(r.value());
            p.i64(r.time());
            entries(p, r.state());
        }
        int traced = 0;
        for (In r : records) {
            traced += r.trace() == null ? 0 : 1;
        }
        p.varint(traced);
        for (int i = 0; i < records.length; i++) {
            if (records[i].trace() != null) {
                p.varint(i);
                byte[] trace = Check.hex(records[i].trace());
                p.raw(trace, 0, trace.length);
            }
        }
        return frame(FrameType.PROCESS, p);
    }

    static byte[] fireTimers(long batch, long watermark, Due... due) {
        PayloadWriter p = new PayloadWriter(256);
        p.i64(batch);
        p.i64(watermark);
        p.varint(due.length);
        for (Due t : due) {
            p.utf8(t.key());
            p.utf8(t.tag());
            p.i64(t.time());
            p.u8(t.domain());
            entries(p, t.state());
        }
        return frame(FrameType.FIRE_TIMERS, p);
    }

    static byte[] shutdown() {
        return frame(FrameType.SHUTDOWN, new PayloadWriter(1));
    }

    private static void entries(PayloadWriter p, List<Entry> state) {
        p.varint(state.size());
        for (Entry e : state) {
            p.utf8(e.name());
            p.utf8(e.value());
        }
    }

    /** Splits `bytes` into frames; fails on a partial frame at the end. */
    static List<Frame> split(byte[] bytes) {
        List<Frame> frames = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            Check.isTrue(bytes.length - at >= 5, "a frame header at offset " + at);
            int length = (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8
                    | (bytes[at + 2] & 0xff) << 16 | (bytes[at + 3] & 0xff) << 24;
            Check.isTrue(at + 4 + length <= bytes.length, "a whole frame at offset " + at);
            frames.add(new Frame(bytes[at + 4] & 0xff,
                    Arrays.copyOfRange(bytes, at + 5, at + 4 + length)));
            at += 4 + length;
        }
        return frames;
    }

    /** Decodes a transaction payload, checking that it is consumed exactly. */
    static Decoded transaction(byte[] payload) throws ProtocolException {
        PayloadReader in = new PayloadReader();
        in.reset(payload, 0, payload.length, "transaction");
        long batch = in.i64("batch");
        List<String> produced = new ArrayList<>();
        for (long n = in.varint("produced"); n > 0; n--) {
            produced.add(in.utf8("stream") + "|" + in.utf8("key") + "|" + in.utf8("value") + "|"
                    + in.i64("time"));
        }
        List<String> writes = new ArrayList<>();
        for (long n = in.varint("writes"); n > 0; n--) {
            String key = in.utf8("key");
            String name = in.utf8("name");
            int op = in.u8("op");
            String value = in.utf8("value");
            writes.add(op == 0 ? "put|" + key + "|" + name + "|" + value
                    : "erase|" + key + "|" + name + (value.isEmpty() ? "" : "|" + value));
        }
        List<String> timers = new ArrayList<>();
        for (long n = in.varint("timers"); n > 0; n--) {
            timers.add(in.utf8("key") + "|" + in.utf8("tag") + "|" + in.i64("time") + "|"
                    + in.u8("domain"));
        }
        List<String> logs = new ArrayList<>();
        for (long n = in.varint("logs"); n > 0; n--) {
            logs.add(in.u8("level") + "|" + in.utf8("text"));
        }
        List<String> failures = new ArrayList<>();
        for (long n = in.varint("failures"); n > 0; n--) {
            failures.add(in.u32("index") + "|" + in.u32("attempts") + "|" + in.utf8("message"));
        }
        long next = 0;
        for (long n = in.varint("traced"); n > 0; n--) {
            long index = in.varint("traced index");
            Check.isTrue(index >= next && index < produced.size(),
                    "traced index " + index + " after " + next + " and below " + produced.size());
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < FrameType.TRACE_CONTEXT_SIZE; i++) {
                hex.append(String.format("%02x", in.u8("trace context")));
            }
            produced.set((int) index, produced.get((int) index) + "|trace=" + hex);
            next = index + 1;
        }
        in.expectEnd();
        return new Decoded(batch, produced, writes, timers, logs, failures);
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
