import eddy.sdk.Computation;
import eddy.sdk.Context;
import eddy.sdk.Eddy;
import eddy.sdk.Metadata;
import eddy.sdk.Record;
import eddy.sdk.Subscription;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The word count's computations in Java, one per role: {@code WordCount splitter|counter|sink}.
 * They produce exactly what the C++ ones in examples/wordcount produce.
 */
public final class WordCount {
    private WordCount() {}

    public static void main(String[] args) {
        Computation computation = args.length == 1 ? forRole(args[0]) : null;
        if (computation == null) {
            System.err.println("usage: wordcount splitter|counter|sink");
            System.exit(2);
        }
        Eddy.run(computation);
    }

    static Computation forRole(String role) {
        return switch (role) {
            case "splitter" -> new Splitter();
            case "counter" -> new Counter();
            case "sink" -> new Sink();
            default -> null;
        };
    }

    /** Splits each line on the space byte into words, one record per word keyed by the word. */
    static final class Splitter implements Computation {
        private static final byte[] ONE = {'1'};

        @Override
        public Metadata metadata() {
            return new Metadata("splitter", List.of(Subscription.shuffle("lines")), List.of("words"));
        }

        @Override
        public void processRecord(Context ctx, Record r) {
            byte[] line = r.value();
            int start = 0;
            for (int i = 0; i <= line.length; i++) {
                if (i == line.length || line[i] == ' ') {
                    if (i > start) {
                        ctx.produce("words", Arrays.copyOfRange(line, start, i), ONE);
                    }
                    start = i + 1;
                }
            }
        }
    }

    /** Counts words: one count per word, kept in keyed state; produces every running count. */
    static final class Counter implements Computation {
        @Override
        public Metadata metadata() {
            return new Metadata("counter", List.of(Subscription.key("words")), List.of("counts"));
        }

        @Override
        public void processRecord(Context ctx, Record r) {
            String count = ctx.getString("count");  // state of the current key (the word)
            long n = (count == null ? 0 : Long.parseLong(count)) + 1;
            ctx.put("count", Long.toString(n));
            ctx.produce("counts", r.key(), Long.toString(n));
        }
    }

    /**
     * Appends "KEY VALUE\n" per record to the file named by config "path". Each line is written
     * to the file before the callback returns (no user-space buffer), so the file holds every
     * record before the executor is told the request was processed.
     */
    static final class Sink implements Computation {
        private FileOutputStream file;

        @Override
        public Metadata metadata() {
            return new Metadata("sink", List.of(Subscription.shuffle("counts")), List.of());
        }

        @Override
        public void init(Context ctx) throws IOException {
            String path = ctx.config("path");
            if (path == null) {
                throw new IllegalArgumentException("sink needs the config value \"path\"");
            }
            if (file == null) {
                file = new FileOutputStream(path, true);
            }
        }

        @Override
        public void processRecord(Context ctx, Record r) throws IOException {
            byte[] key = r.key();
            byte[] value = r.value();
            byte[] line = new byte[key.length + value.length + 2];
            System.arraycopy(key, 0, line, 0, key.length);
            line[key.length] = ' ';
            System.arraycopy(value, 0, line, key.length + 1, value.length);
            line[line.length - 1] = '\n';
            file.write(line);
        }
    }
}
