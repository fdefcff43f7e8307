package eddy.sdk;

import java.nio.charset.StandardCharsets;

/**
 * What a callback can do: produce records, set timers, read and write the state of the current
 * key, read the watermark, the configuration and log. A context is valid only during the
 * callback it is passed to. Everything a callback does is sent to the executor in one
 * transaction when the request it belongs to is done.
 *
 * <p>The byte-array methods are the primitives; the String overloads encode text as UTF-8.
 * Arrays passed in are copied before the call returns.
 */
public interface Context {
    /**
     * Sends a record on {@code stream}, which must be one of the computation's outputs, with
     * the event time of the record or timer being handled (0 in {@code init}).
     */
    void produce(String stream, byte[] key, byte[] value);

    /** Sends a record on {@code stream} with event time {@code time} (µs since the epoch). */
    void produce(String stream, byte[] key, byte[] value, long time);

    default void produce(String stream, String key, String value) {
        produce(stream, utf8(key), utf8(value));
    }

    default void produce(String stream, byte[] key, String value) {
        produce(stream, key, utf8(value));
    }

    default void produce(String stream, String key, String value, long time) {
        produce(stream, utf8(key), utf8(value), time);
    }

    /**
     * Asks for {@code processTimer} with {@code key} at {@code time}. A timer set again for the
     * same (key, tag, domain) replaces the earlier one. Processing-time timers use microseconds
     * since the epoch of the wall clock.
     */
    void setTimer(byte[] key, long time, TimeDomain domain, byte[] tag);

    default void setTimer(byte[] key, long time, TimeDomain domain) {
        setTimer(key, time, domain, new byte[0]);
    }

    default void setTimer(String key, long time, TimeDomain domain, String tag) {
        setTimer(utf8(key), time, domain, utf8(tag));
    }

    default void setTimer(String key, long time, TimeDomain domain) {
        setTimer(utf8(key), time, domain, new byte[0]);
    }

    /**
     * The value of state {@code name} of the current key (the record's or the timer's), or null
     * when it has none. Sees the writes of earlier callbacks of the same request. Do not modify
     * the returned array. Throws IllegalStateException in {@code init}.
     */
    byte[] get(String name);

    /** {@link #get} decoded as UTF-8, or null. */
    default String getString(String name) {
        byte[] value = get(name);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** Sets state {@code name} of the current key. Throws IllegalStateException in init. */
    void put(String name, byte[] value);

    default void put(String name, String value) {
        put(name, utf8(value));
    }

    /** Removes state {@code name} of the current key. Throws IllegalStateException in init. */
    void erase(String name);

    /** The instance's input low watermark: no record older than this will arrive. */
    long watermark();

    /** Wall-clock time now, microseconds since the epoch. */
    long processingTime();

    /** A configuration value from the manifest, or null when it is not set. */
    String config(String name);

    /** This instance's index, from 0. */
    int instanceIndex();

    /** How many instances the computation has. */
    int instanceCount();

    /** Writes a line to the instance's log, tagged with the computation and instance. */
    void log(LogLevel level, String message);

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
