package eddy.sdk;

/**
 * The executor sent something this SDK cannot decode or does not expect now. The conversation
 * answers it with {@code error protocol_error} carrying {@link #getMessage()} and ends.
 */
final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
        super(message);
    }
}
