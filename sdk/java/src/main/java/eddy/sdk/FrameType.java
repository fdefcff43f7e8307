package eddy.sdk;

/** The frame types of the executor ↔ SDK protocol (docs/protocol.md 11.3). */
final class FrameType {
    static final int SDK_HELLO = 0x40;
    static final int INIT = 0x41;
    static final int PROCESS = 0x42;
    static final int FIRE_TIMERS = 0x43;
    static final int TRANSACTION = 0x44;
    static final int SHUTDOWN = 0x45;
    static final int GOODBYE = 0x46;
    static final int ERROR = 0x47;

    /** {@code error} codes. */
    static final int ERROR_PROTOCOL = 1;
    static final int ERROR_UNSUPPORTED_VERSION = 2;
    static final int ERROR_INTERNAL = 3;

    static final int PROTOCOL_VERSION = 2;
    /** Bytes of a trace context (docs/protocol.md 6.3): trace id 16, span id 8, flags 1. */
    static final int TRACE_CONTEXT_SIZE = 25;

    /** Largest `length` field accepted or sent: 64 MiB. Executors send at most 16 MiB. */
    static final int MAX_FRAME_LENGTH = 64 << 20;

    private FrameType() {}

    /** The protocol's name of `type`, or its hex value when it is not an SDK frame type. */
    static String name(int type) {
        return switch (type) {
            case SDK_HELLO -> "sdk_hello";
            case INIT -> "init";
            case PROCESS -> "process";
            case FIRE_TIMERS -> "fire_timers";
            case TRANSACTION -> "transaction";
            case SHUTDOWN -> "shutdown";
            case GOODBYE -> "goodbye";
            case ERROR -> "error";
            default -> String.format("0x%02x", type);
        };
    }
}
