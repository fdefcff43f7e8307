import eddy.sdk.Conversation;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Measures the SDK's own cost per record: Passthrough served over in-memory channels that
 * replay one `process` frame of 512 records with 100-byte values many times, so the figure is
 * decode → callback → encode of the transaction, without a socket or an executor.
 *
 * Usage: PassthroughBench [frames] (default 20000, i.e. 10 240 000 records).
 */
public final class PassthroughBench {
    private static final int RECORDS_PER_FRAME = 512;
    private static final int VALUE_SIZE = 100;

    public static void main(String[] args) {
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        byte[] init = frame(0x41, initPayload());
        byte[] process = frame(0x42, processPayload());
        byte[] shutdown = frame(0x45, new byte[0]);
        run(init, process, shutdown, frames / 4);  // warm-up: lets the JIT compile the hot path
        long started = System.nanoTime();
        long written = run(init, process, shutdown, frames);
        double seconds = (System.nanoTime() - started) / 1e9;
        long records = (long) frames * RECORDS_PER_FRAME;
        System.out.printf("%d records in %.3f s: %.0f records/s (%d bytes written)%n",
                records, seconds, records / seconds, written);
    }

    private static long run(byte[] init, byte[] process, byte[] shutdown, int frames) {
        Replay input = new Replay(init, process, shutdown, frames);
        Discard output = new Discard();
        int status = Conversation.serve(new Passthrough(), input, output, new PrintStream(System.err));
        if (status != 0) {
            throw new IllegalStateException("the conversation ended with status " + status);
        }
        return output.bytes;
    }

    private static byte[] initPayload() {
        ByteBuffer p = ByteBuffer.allocate(15).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt(0).putInt(1).putInt(0).put((byte) 2).put((byte) '{').put((byte) '}');
        return java.util.Arrays.copyOf(p.array(), p.position());
    }

    private static byte[] processPayload() {
        ByteBuffer p = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        p.putLong(1).putLong(0);
        p.put((byte) 0x80).put((byte) 0x04);  // varint 512
        byte[] value = new byte[VALUE_SIZE];
        java.util.Arrays.fill(value, (byte) 'v');
        for (int i = 0; i < RECORDS_PER_FRAME; i++) {
            byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            p.put((byte) 2).put((byte) 'i').put((byte) 'n');
            p.put((byte) key.length).put(key);
            p.put((byte) VALUE_SIZE).put(value);
            p.putLong(1_700_000_000_000_000L + i);
            p.put((byte) 0);
        }
        p.put((byte) 0);  // no traced records
        return java.util.Arrays.copyOf(p.array(), p.position());
    }

    private static byte[] frame(int type, byte[] payload) {
        ByteBuffer f = ByteBuffer.allocate(5 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        f.putInt(payload.length + 1).put((byte) type).put(payload);
        return f.array();
    }

    /** init, `count` copies of the process frame, shutdown; in reads of up to 1 MiB. */
    private static final class Replay implements ReadableByteChannel {
        private final byte[] init;
        private final byte[] process;
        private final byte[] shutdown;
        private int left;
        private ByteBuffer current;

        Replay(byte[] init, byte[] process, byte[] shutdown, int count) {
            this.init = init;
            this.process = process;
            this.shutdown = shutdown;
            this.left = count;
            this.current = ByteBuffer.wrap(init);
        }

        @Override
        public int read(ByteBuffer destination) {
            int read = 0;
            while (destination.hasRemaining()) {
                if (!current.hasRemaining()) {
                    if (current.array() == shutdown) {
                        break;
                    }
                    current = ByteBuffer.wrap(left-- > 0 ? process : shutdown);
                }
                int n = Math.min(current.remaining(), destination.remaining());
                destination.put(destination.position(), current, current.position(), n);
                destination.position(destination.position() + n);
                current.position(current.position() + n);
                read += n;
            }
            return read == 0 ? -1 : read;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    private static final class Discard implements WritableByteChannel {
        long bytes;

        @Override
        public int write(ByteBuffer source) {
            int n = source.remaining();
            source.position(source.limit());
            bytes += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
