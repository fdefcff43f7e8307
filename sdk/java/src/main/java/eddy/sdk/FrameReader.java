package eddy.sdk;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads frames (docs/protocol.md section 2) from a channel into one reused buffer, in reads as
 * large as the buffer allows. A frame is read in two steps so that a bad length or type is
 * reported as soon as its header arrives, before anything is buffered for the payload:
 * {@link #nextHeader()} then {@link #readPayload()}. Owned by one conversation.
 */
final class FrameReader {
    private static final int HEADER_SIZE = 5;

    private final ReadableByteChannel channel;
    private byte[] buffer = new byte[1 << 20];
    private ByteBuffer view = ByteBuffer.wrap(buffer);
    private int start;   // first byte not yet consumed
    private int filled;  // end of the bytes read from the channel
    private int payloadLength;

    FrameReader(ReadableByteChannel channel) {
        this.channel = channel;
    }

    /**
     * Reads the next frame's length and type and returns the type, or -1 when the channel ends
     * cleanly between frames. Throws ProtocolException for a length of 0 or above the maximum,
     * EOFException when the channel ends inside the header.
     */
    int nextHeader() throws IOException, ProtocolException {
        if (!fill(HEADER_SIZE, filled == start)) {
            return -1;
        }
        long length = (buffer[start] & 0xffL) | (buffer[start + 1] & 0xffL) << 8
                | (buffer[start + 2] & 0xffL) << 16 | (buffer[start + 3] & 0xffL) << 24;
        if (length == 0) {
            throw new ProtocolException("malformed frame: length 0 (a frame has at least its type)");
        }
        if (length > FrameType.MAX_FRAME_LENGTH) {
            throw new ProtocolException("frame too large: length " + length
                    + " exceeds the maximum of " + FrameType.MAX_FRAME_LENGTH + " (64 MiB)");
        }
        int type = buffer[start + 4] & 0xff;
        payloadLength = (int) length - 1;
        start += HEADER_SIZE;
        return type;
    }

    /** Reads the payload of the frame whose header was just read; see payloadStart/End. */
    void readPayload() throws IOException {
        fill(payloadLength, false);
        start += payloadLength;
    }

    byte[] buffer() {
        return buffer;
    }

    /** Offset of the current payload in {@link #buffer()}, valid until the next call. */
    int payloadStart() {
        return start - payloadLength;
    }

    int payloadEnd() {
        return start;
    }

    /**
     * Makes `size` bytes available from `start`. Returns false only when the channel ends
     * before any of them arrived and `endAllowed`; otherwise an early end is an EOFException.
     */
    private boolean fill(int size, boolean endAllowed) throws IOException {
        if (filled - start >= size) {
            return true;
        }
        if (buffer.length - start < size) {
            makeRoom(size);
        }
        while (filled - start < size) {
            view.limit(buffer.length).position(filled);
            int read = channel.read(view);
            if (read < 0) {
                if (endAllowed && filled == start) {
                    return false;
                }
                throw new EOFException("the connection closed inside a frame ("
                        + (filled - start) + " of " + size + " byte(s) arrived)");
            }
            filled += read;
        }
        return true;
    }

    /** Moves the unconsumed bytes to the front, growing the buffer when `size` needs it. */
    private void makeRoom(int size) {
        int pending = filled - start;
        if (buffer.length < size) {
            byte[] larger = new byte[Math.max(size, buffer.length * 2)];
            System.arraycopy(buffer, start, larger, 0, pending);
            buffer = larger;
            view = ByteBuffer.wrap(buffer);
        } else {
            System.arraycopy(buffer, start, buffer, 0, pending);
        }
        start = 0;
        filled = pending;
    }
}
