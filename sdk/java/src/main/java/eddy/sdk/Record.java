package eddy.sdk;

import java.nio.charset.StandardCharsets;

/**
 * A record that arrived on a subscribed stream: a key and a value (arbitrary bytes) and an
 * event time in microseconds since the Unix epoch. The arrays belong to the record; do not
 * modify them.
 *
 * <p>Import it by name ({@code import eddy.sdk.Record;}): with {@code import eddy.sdk.*} the
 * name clashes with {@code java.lang.Record}.
 */
public final class Record {
    private final String stream;
    private final byte[] key;
    private final byte[] value;
    private final long time;

    public Record(String stream, byte[] key, byte[] value, long time) {
        this.stream = stream;
        this.key = key;
        this.value = value;
        this.time = time;
    }

    /** The stream it arrived on. */
    public String stream() {
        return stream;
    }

    /** The key; decides the instance under key grouping and scopes the state calls. */
    public byte[] key() {
        return key;
    }

    public byte[] value() {
        return value;
    }

    /** Event time, µs since the epoch. */
    public long time() {
        return time;
    }

    /** The key decoded as UTF-8. */
    public String keyString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value decoded as UTF-8. */
    public String valueString() {
        return new String(value, StandardCharsets.UTF_8);
    }
}
