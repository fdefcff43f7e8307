package eddy.sdk;

/** Which clock a timer waits for. The ordinal values are the protocol's domain bytes. */
public enum TimeDomain {
    /** Fires when the input watermark passes the timer's time. */
    EVENT_TIME,
    /** Fires when the wall clock passes the timer's time (µs since the epoch). */
    PROCESSING_TIME;

    /** The domain a protocol byte names: 0 event time, 1 processing time; null for others. */
    static TimeDomain fromWire(int value) {
        return switch (value) {
            case 0 -> EVENT_TIME;
            case 1 -> PROCESSING_TIME;
            default -> null;
        };
    }
}
