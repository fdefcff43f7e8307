package eddy.sdk;

import java.util.List;

/**
 * Malformed and unexpected frames: each makes the SDK (a real child process) send
 * {@code error protocol_error} naming the problem, close the connection and exit with 3.
 */
final class ProtocolViolationTest {
    private static final String PROBE = ProbeComputation.class.getName();

    @Test
    public void garbageBytes() throws Exception {
        // Length 0x6f6f6f6f is far above 64 MiB.
        expectProtocolError(false, "too large", "oooooooo garbage".getBytes());
    }

    @Test
    public void aZeroLength() throws Exception {
        expectProtocolError(false, "length 0", Check.hex("00 00 00 00 41"));
    }

    @Test
    public void anUnknownFrameType() throws Exception {
        expectProtocolError(false, "unknown frame type 0x02", Check.hex("01 00 00 00 02"));
    }

    @Test
    public void aFrameOnlyAnSdkSends() throws Exception {
        expectProtocolError(true, "unexpected transaction", Check.hex("01 00 00 00 44"));
    }

    @Test
    public void aTruncatedPayload() throws Exception {
        // A process frame that announces one record and ends after its stream.
        expectProtocolError(true, "truncated process", Check.hex(
                "16 00 00 00 42  01 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  01  03 61 62 63"));
    }

    @Test
    public void processBeforeInit() throws Exception {
        expectProtocolError(false, "unexpected process before init",
                Frames.process(1, 0, new Frames.In("words", "a", "count", 1)));
    }

    @Test
    public void aSecondInit() throws Exception {
        expectProtocolError(true, "init was already received", Frames.init(0, 1, 0, "{}"));
    }

    @Test
    public void anOversizedLength() throws Exception {
        // 64 MiB + 1: one byte over the maximum `length`, rejected before any payload arrives.
        expectProtocolError(true, "exceeds the maximum", Check.hex("01 00 00 04 42"));
    }

    @Test
    public void trailingBytesAfterAMessage() throws Exception {
        expectProtocolError(true, "trailing bytes", Check.hex("02 00 00 00 45 00"));
    }

    @Test
    public void aConfigThatIsNotAnObjectOfStrings() throws Exception {
        expectProtocolError(false, "config is not a JSON object", Frames.init(0, 1, 0, "{\"a\": 1}"));
    }

    @Test
    public void aBadTimeDomain() throws Exception {
        byte[] frame = Frames.fireTimers(1, 0, new Frames.Due("k", "", 1, 0, List.of()));
        frame[frame.length - 2] = 7;  // the domain byte, before m
        expectProtocolError(true, "time domain 7", frame);
    }

    /** Sends `bad` (after init when `initFirst`) and checks the error, the close and status 3. */
    private static void expectProtocolError(boolean initFirst, String named, byte[] bad)
            throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            if (initFirst) {
                executor.request(Frames.init(0, 1, 0, "{}"));
            }
            executor.send(bad);
            Frames.Frame error = executor.read();
            Check.equal(FrameType.ERROR, error.type(), "an error frame");
            PayloadReader in = new PayloadReader();
            in.reset(error.payload(), 0, error.payload().length, "error");
            Check.equal(FrameType.ERROR_PROTOCOL, in.u16("code"), "code protocol_error");
            Check.contains(in.utf8("message"), named, "the error names the problem");
            in.expectEnd();
            Check.isTrue(executor.closedByProgram(), "the program closes the connection");
            Check.equal(Conversation.EXIT_PROTOCOL, executor.exitStatus(), "exit status");
            String stderr = executor.stderr();
            Check.contains(stderr, named, "stderr names the problem");
            Check.equal(1L, stderr.lines().count(), "one line on stderr: " + stderr);
        }
    }
}
