package eddy.sdk;

import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK side of the executor ↔ SDK protocol (docs/protocol.md 11) over an already-connected
 * pair of channels: sends {@code sdk_hello}, then answers each request with one
 * {@code transaction} written in one piece, until {@code shutdown}. {@link Eddy#run} runs it
 * over the executor's Unix socket; tests run it over any channels.
 *
 * <p>The conversation never throws: it ends with an exit status and, unless the status is
 * {@link #EXIT_OK}, one line on `diagnostics` saying why. It does not close the channels.
 */
public final class Conversation {
    /** {@code shutdown} arrived and {@code goodbye} was sent. */
    public static final int EXIT_OK = 0;
    /** The executor closed the connection unasked, sent an error, or the connection failed. */
    public static final int EXIT_CONNECTION = 1;
    /** The program was not started the way eddy starts it (no EDDY_SOCKET). */
    public static final int EXIT_USAGE = 2;
    /** The executor sent something malformed or unexpected, or the SDK itself failed. */
    public static final int EXIT_PROTOCOL = 3;

    static final String SDK_NAME = "java/1.0.0";
    private static final String PREFIX = "eddy java sdk: ";

    private final Computation computation;
    private final WritableByteChannel output;
    private final PrintStream diagnostics;
    private final FrameReader frames;
    private final PayloadReader payload = new PayloadReader();
    private final RequestDecoder decoder = new RequestDecoder();
    private final PayloadWriter frame = new PayloadWriter(1 << 16);
    private final Transaction transaction = new Transaction();
    private final StateViews views = new StateViews();
    private final RequestContext context = new RequestContext(transaction, views);
    private final List<Record> records = new ArrayList<>();
    private final Map<Integer, byte[]> traces = new HashMap<>();
    private final List<Timer> timers = new ArrayList<>();
    private boolean initialized;
    private long maxRetries;

    private Conversation(Computation computation, ReadableByteChannel input,
            WritableByteChannel output, PrintStream diagnostics) {
        this.computation = computation;
        this.output = output;
        this.diagnostics = diagnostics;
        this.frames = new FrameReader(input);
    }

    /** Runs the whole conversation for `computation`; returns the exit status (EXIT_*). */
    public static int serve(Computation computation, ReadableByteChannel input,
            WritableByteChannel output, PrintStream diagnostics) {
        return new Conversation(computation, input, output, diagnostics).serve();
    }

    private int serve() {
        try {
            sendHello();
            while (true) {
                int type = frames.nextHeader();
                if (type < 0) {
                    return fail(EXIT_CONNECTION,
                            "the executor closed the connection without shutdown");
                }
                expect(type);
                frames.readPayload();
                payload.reset(frames.buffer(), frames.payloadStart(), frames.payloadEnd(),
                        FrameType.name(type));
                switch (type) {
                    case FrameType.INIT -> init();
                    case FrameType.PROCESS -> process();
                    case FrameType.FIRE_TIMERS -> fireTimers();
                    case FrameType.ERROR -> {
                        RequestDecoder.ExecutorError error = decoder.error(payload);
                        return fail(EXIT_CONNECTION, "the executor sent error code "
                                + error.code() + ": " + error.message());
                    }
                    default -> {  // SHUTDOWN: `expect` let nothing else through
                        payload.expectEnd();
                        frame.clear();
                        frame.u32(1);
                        frame.u8(FrameType.GOODBYE);
                        send();
                        return EXIT_OK;
                    }
                }
            }
        } catch (ProtocolException e) {
            sendError(FrameType.ERROR_PROTOCOL, e.getMessage());
            return fail(EXIT_PROTOCOL, "protocol error: " + e.getMessage());
        } catch (InternalFailure e) {
            sendError(FrameType.ERROR_INTERNAL, e.getMessage());
            return fail(EXIT_PROTOCOL, "internal error: " + e.getMessage());
        } catch (EOFException e) {
            return fail(EXIT_CONNECTION, e.getMessage());
        } catch (IOException e) {
            return fail(EXIT_CONNECTION, "connection to the executor failed: " + e);
        } catch (RuntimeException | Error e) {
            // A bug of the SDK, or an Error a callback let out (OutOfMemoryError, ...): the
            // conversation cannot go on, but the executor still learns why.
            sendError(FrameType.ERROR_INTERNAL, e.toString());
            return fail(EXIT_PROTOCOL, "internal error: " + e);
        }
    }

    /** Throws unless a frame of `type` may arrive now. */
    private void expect(int type) throws ProtocolException {
        switch (type) {
            case FrameType.INIT -> {
                if (initialized) {
                    throw new ProtocolException("unexpected init: init was already received");
                }
            }
            case FrameType.PROCESS, FrameType.FIRE_TIMERS -> {
                if (!initialized) {
                    throw new ProtocolException(
                            "unexpected " + FrameType.name(type) + " before init");
                }
            }
            case FrameType.SHUTDOWN, FrameType.ERROR -> {}
            case FrameType.SDK_HELLO, FrameType.TRANSACTION, FrameType.GOODBYE ->
                    throw new ProtocolException("unexpected " + FrameType.name(type)
                            + ": only an SDK sends it");
            default -> throw new ProtocolException(
                    "unknown frame type " + FrameType.name(type));
        }
    }

    private void sendHello() throws IOException, InternalFailure {
        String metadata;
        try {
            metadata = Json.metadata(computation.metadata());
        } catch (RuntimeException e) {
            throw new InternalFailure("metadata() failed: " + describe(e));
        }
        frame.clear();
        frame.u32(0);
        frame.u8(FrameType.SDK_HELLO);
        frame.u16(FrameType.PROTOCOL_VERSION);
        frame.utf8(SDK_NAME);
        frame.utf8(metadata);
        frame.u32At(0, frame.size() - 4);
        send();
    }

    private void init() throws ProtocolException, IOException, InternalFailure {
        RequestDecoder.Init init = decoder.init(payload);
        initialized = true;
        maxRetries = init.maxRetries();
        context.configure(init.index(), init.count(), init.config());
        transaction.clear();
        context.beginRequest(Long.MIN_VALUE);
        context.beginInput(null, 0);
        deliver(0, null, null);
        answer(0);
    }

    private void process() throws ProtocolException, IOException, InternalFailure {
        records.clear();
        views.clear();
        traces.clear();
        RequestDecoder.Batch batch = decoder.process(payload, records, views, traces);
        transaction.clear();
        context.beginRequest(batch.watermark());
        boolean traced = !traces.isEmpty();
        for (int i = 0, n = records.size(); i < n; i++) {
            Record record = records.get(i);
            context.beginInput(record.key(), record.time());
            if (traced) {
                transaction.trace(traces.get(i));
            }
            deliver(i, record, null);
        }
        transaction.trace(null);
        records.clear();
        answer(batch.batch());
    }

    private void fireTimers() throws ProtocolException, IOException, InternalFailure {
        timers.clear();
        views.clear();
        RequestDecoder.Batch batch = decoder.fireTimers(payload, timers, views);
        transaction.clear();
        context.beginRequest(batch.watermark());
        for (int i = 0, n = timers.size(); i < n; i++) {
            Timer timer = timers.get(i);
            context.beginInput(timer.key(), timer.time());
            deliver(i, null, timer);
        }
        timers.clear();
        answer(batch.batch());
    }

    /**
     * Calls the callback for the request's input `index` (init when both are null), retrying
     * up to max_retries times while it throws, and reports the failure if it threw at all.
     * The effects of every attempt stay, as in the C++ runtime.
     */
    private void deliver(int index, Record record, Timer timer) {
        long attempts = 0;
        String lastError = null;
        while (true) {
            try {
                if (record != null) {
                    computation.processRecord(context, record);
                } else if (timer != null) {
                    computation.processTimer(context, timer);
                } else {
                    computation.init(context);
                }
                break;
            } catch (Exception | AssertionError e) {
                attempts++;
                lastError = describe(e);
                if (attempts > maxRetries) {
                    break;
                }
            }
        }
        if (attempts > 0) {
            transaction.failure(index, (int) attempts, lastError);
        }
    }

    private void answer(long batch) throws IOException, InternalFailure {
        transaction.encodeFrame(batch, frame);
        if (frame.size() - 4 > FrameType.MAX_FRAME_LENGTH) {
            throw new InternalFailure("the transaction of batch " + Long.toUnsignedString(batch)
                    + " is " + (frame.size() - 4) + " bytes, above the executor's 64 MiB maximum");
        }
        send();
    }

    private void send() throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(frame.array(), 0, frame.size());
        while (bytes.hasRemaining()) {
            output.write(bytes);
        }
    }

    /**
     * Tells the executor why the conversation ends. Best effort: the connection may be the
     * thing that failed, and the exit status and diagnostics line report the cause anyway.
     */
    private void sendError(int code, String message) {
        frame.clear();
        frame.u32(0);
        frame.u8(FrameType.ERROR);
        frame.u16(code);
        frame.utf8(message);
        frame.u32At(0, frame.size() - 4);
        try {
            send();
        } catch (IOException e) {
            diagnostics.println(PREFIX + "could not send the error to the executor: " + e);
        }
    }

    private int fail(int status, String message) {
        diagnostics.println(PREFIX + message);
        diagnostics.flush();
        return status;
    }

    /** A failure's message: the exception's own, or its class name when it has none. */
    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isEmpty() ? e.getClass().getName() : message;
    }

    /** The SDK itself cannot go on (not a callback's failure): reported as code internal. */
    private static final class InternalFailure extends Exception {
        private static final long serialVersionUID = 1L;

        InternalFailure(String message) {
            super(message);
        }
    }
}
