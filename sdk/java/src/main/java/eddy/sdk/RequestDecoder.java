package eddy.sdk;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the executor's requests ({@code init}, {@code process}, {@code fire_timers}, and an
 * {@code error} it sends) from a PayloadReader, checking every field and that nothing trails
 * the message (docs/protocol.md 11.3). Records and timers are decoded completely before any
 * callback runs, so a malformed request has no effects. Owned by one conversation.
 */
final class RequestDecoder {
    /** What {@code init} says. */
    record Init(int index, int count, long maxRetries, Map<String, String> config) {}

    /** The header shared by {@code process} and {@code fire_timers}. */
    record Batch(long batch, long watermark) {}

    /** An {@code error} the executor sent. */
    record ExecutorError(int code, String message) {}

    // Smallest encodings: a record is stream, key, value (1 each), time (8), m (1); a timer is
    // key, tag (1 each), time (8), domain (1), m (1); a state entry is name, value (1 each).
    private static final int MIN_RECORD_SIZE = 12;
    private static final int MIN_TIMER_SIZE = 12;
    private static final int MIN_STATE_ENTRY_SIZE = 2;

    // Every record of a batch usually arrived on the same stream: reuse its String.
    private byte[] lastStreamBytes;
    private String lastStream;

    Init init(PayloadReader in) throws ProtocolException {
        long index = in.u32("index");
        long count = in.u32("count");
        long maxRetries = in.u32("max_retries");
        byte[] configBytes = in.bytes("config");
        in.expectEnd();
        Map<String, String> config;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(configBytes)).toString();
            // An empty config is read as "no configuration", the same as "{}".
            config = text.isBlank() ? Map.of() : Json.parseStringObject(text);
        } catch (CharacterCodingException e) {
            throw new ProtocolException("malformed init: config is not valid UTF-8");
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("malformed init: config is not a JSON object of strings: "
                    + e.getMessage());
        }
        return new Init((int) index, (int) count, maxRetries, config);
    }

    /**
     * Decodes a {@code process} payload into `records`, seeding `views` with its state and
     * putting the trace context of each traced record into `traces` by its index.
     */
    Batch process(PayloadReader in, List<Record> records, StateViews views,
            Map<Integer, byte[]> traces) throws ProtocolException {
        long batch = in.i64("batch");
        long watermark = in.i64("watermark");
        int n = in.count("record count", MIN_RECORD_SIZE);
        for (int i = 0; i < n; i++) {
            String stream = stream(in);
            byte[] key = in.bytes("record key");
            byte[] value = in.bytes("record value");
            long time = in.i64("record time");
            state(in, key, views);
            records.add(new Record(stream, key, value, time));
        }
        traces(in, n, traces);
        in.expectEnd();
        return new Batch(batch, watermark);
    }

    /** Decodes a {@code fire_timers} payload into `timers`, seeding `views` with its state. */
    Batch fireTimers(PayloadReader in, List<Timer> timers, StateViews views)
            throws ProtocolException {
        long batch = in.i64("batch");
        long watermark = in.i64("watermark");
        int n = in.count("timer count", MIN_TIMER_SIZE);
        for (int i = 0; i < n; i++) {
            byte[] key = in.bytes("timer key");
            byte[] tag = in.bytes("timer tag");
            long time = in.i64("timer time");
            int domainByte = in.u8("timer domain");
            TimeDomain domain = TimeDomain.fromWire(domainByte);
            if (domain == null) {
                throw new ProtocolException("malformed fire_timers: timer " + i
                        + " has time domain " + domainByte + " (0 or 1 expected)");
            }
            state(in, key, views);
            timers.add(new Timer(key, tag, time, domain));
        }
        in.expectEnd();
        return new Batch(batch, watermark);
    }

    ExecutorError error(PayloadReader in) throws ProtocolException {
        int code = in.u16("code");
        String message = in.utf8("message");
        in.expectEnd();
        return new ExecutorError(code, message);
    }

    /**
     * The trace section closing a {@code process}: (index, context) pairs, indices increasing
     * and below `items`.
     */
    private static void traces(PayloadReader in, int items, Map<Integer, byte[]> traces)
            throws ProtocolException {
        int n = in.count("traced count", 1 + FrameType.TRACE_CONTEXT_SIZE);
        long next = 0;
        for (int i = 0; i < n; i++) {
            long index = in.varint("traced index");
            if (index < next || index >= items) {
                throw new ProtocolException("malformed process: traced index "
                        + Long.toUnsignedString(index)
                        + " is not after the previous one and below the " + items + " records");
            }
            if (in.remaining() < FrameType.TRACE_CONTEXT_SIZE) {
                throw new ProtocolException("truncated process: the payload ends inside the "
                        + "trace context of record " + index);
            }
            traces.put((int) index, in.take(FrameType.TRACE_CONTEXT_SIZE));
            next = index + 1;
        }
    }

    /** The state entries of an input of `key`: they seed its view on its first input only. */
    private static void state(PayloadReader in, byte[] key, StateViews views)
            throws ProtocolException {
        int m = in.count("state entry count", MIN_STATE_ENTRY_SIZE);
        if (m == 0) {
            return;
        }
        HashMap<String, byte[]> view = views.seed(key);
        for (int j = 0; j < m; j++) {
            String name = in.utf8("state name");
            byte[] value = in.bytes("state value");
            if (view != null) {
                view.put(name, value);
            }
        }
    }

    private String stream(PayloadReader in) throws ProtocolException {
        int length = in.bytesLength("record stream");
        if (lastStream != null && in.nextEquals(length, lastStreamBytes)) {
            in.skip(length);
            return lastStream;
        }
        lastStreamBytes = in.take(length);
        lastStream = new String(lastStreamBytes, StandardCharsets.UTF_8);
        return lastStream;
    }
}
