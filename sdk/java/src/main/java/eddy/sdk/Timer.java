package eddy.sdk;

import java.nio.charset.StandardCharsets;

/**
 * A timer set with {@link Context#setTimer} that came due. Its key scopes the state calls made
 * while handling it. The arrays belong to the timer; do not modify them.
 */
public final class Timer {
    private final byte[] key;
    private final byte[] tag;
    private final long time;
    private final TimeDomain domain;

    public Timer(byte[] key, byte[] tag, long time, TimeDomain domain) {
        this.key = key;
        this.tag = tag;
        this.time = time;
        this.domain = domain;
    }

    public byte[] key() {
        return key;
    }

    /** The tag it was set with; empty when none was given. */
    public byte[] tag() {
        return tag;
    }

    /** The time it was set for, µs. */
    public long time() {
        return time;
    }

    public TimeDomain domain() {
        return domain;
    }

    public String keyString() {
        return new String(key, StandardCharsets.UTF_8);
    }

    public String tagString() {
        return new String(tag, StandardCharsets.UTF_8);
    }
}
