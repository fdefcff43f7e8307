package eddy.sdk;

import eddy.sdk.Frames.Decoded;
import eddy.sdk.Frames.Due;
import eddy.sdk.Frames.Entry;
import eddy.sdk.Frames.In;
import java.util.List;
import java.util.Map;

/** The whole conversation with ProbeComputation running as a real child process. */
final class ConversationTest {
    private static final String PROBE = ProbeComputation.class.getName();

    @Test
    public void helloCarriesVersionSdkAndMetadata() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            PayloadReader hello = new PayloadReader();
            byte[] payload = executor.hello();
            hello.reset(payload, 0, payload.length, "sdk_hello");
            Check.equal(2, hello.u16("version"), "version");
            Check.equal("java/1.0.0", hello.utf8("sdk"), "sdk");
            Check.equal("{\"name\":\"probe\",\"inputs\":[{\"stream\":\"words\",\"grouping\":\"key\"},"
                    + "{\"stream\":\"lines\",\"grouping\":\"shuffle\"}],"
                    + "\"outputs\":[\"out\",\"other \\\"quoted\\\"\"]}",
                    hello.utf8("metadata"), "metadata");
            hello.expectEnd();
            shutdown(executor);
        }
    }

    @Test
    public void initSeesConfigAndInstanceAndProducesAtTimeZero() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            Decoded init = executor.request(Frames.init(1, 3, 0, "{\"greeting\": \"h\u00e9llo\"}"));
            Check.equal(0L, init.batch(), "init answers batch 0");
            Check.equal(List.of("1|greeting=h\u00e9llo index=1 count=3"), init.logs(), "logs");
            Check.equal(List.of("out|init|produced in init|0"), init.produced(), "produced");
            Check.equal(List.of(), init.failures(), "failures");
            shutdown(executor);
        }
    }

    @Test
    public void stateIsSeededReadsSeeWritesAndTheNextRequestStartsFresh() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(0, 1, 0, "{}"));
            Decoded first = executor.request(Frames.process(7, 100,
                    new In("words", "a", "count", 10, List.of(new Entry("count", "5"))),
                    new In("words", "b", "count", 11),
                    new In("words", "a", "count", 12),
                    new In("words", "a", "erase", 13),
                    new In("words", "a", "count", 14)));
            Check.equal(7L, first.batch(), "batch echoed");
            Check.equal(List.of("out|a|6|10", "out|b|1|11", "out|a|7|12", "out|a|gone|13",
                    "out|a|1|14"), first.produced(), "read-your-writes within a request");
            Check.equal(List.of("put|a|count|6", "put|b|count|1", "put|a|count|7", "erase|a|count",
                    "put|a|count|1"), first.writes(), "writes in order");
            // The executor did not apply the writes: a fresh view sees only what it sends.
            Decoded second = executor.request(Frames.process(8, 100,
                    new In("words", "a", "count", 20, List.of(new Entry("count", "40"))),
                    new In("words", "b", "count", 21)));
            Check.equal(List.of("out|a|41|20", "out|b|1|21"), second.produced(), "fresh views");
            shutdown(executor);
        }
    }

    @Test
    public void produceWithAndWithoutTimeAndRequestInfo() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(2, 4, 0, "{}"));
            Decoded answer = executor.request(Frames.process(1, Long.MIN_VALUE,
                    new In("lines", "k", "at:-5", 3),
                    new In("lines", "k", "info", 4),
                    new In("lines", "k", "log", 5)));
            Check.equal(List.of("out|k|timed|-5", "out|k|watermark=" + Long.MIN_VALUE
                    + " index=2 count=4 clock=true stream=lines|4"), answer.produced(), "produced");
            Check.equal(List.of("2|warned about k"), answer.logs(), "logs");
            shutdown(executor);
        }
    }

    @Test
    public void timersAreSetAndFired() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(0, 1, 0, "{}"));
            Decoded set = executor.request(Frames.process(1, 0, new In("words", "w", "timer:500", 1)));
            Check.equal(List.of("w|t1|500|0", "w||99|1"), set.timers(), "timers set");
            Decoded fired = executor.request(Frames.fireTimers(2, 600,
                    new Due("w", "t1", 500, 0, List.of(new Entry("count", "3"))),
                    new Due("w", "", 99, 1, List.of())));
            Check.equal(2L, fired.batch(), "batch");
            Check.equal(List.of(
                    "out|w|fired tag=t1 domain=EVENT_TIME count=3 fired=t1|500",
                    "out|w|fired tag= domain=PROCESSING_TIME count=3 fired=|99"),
                    fired.produced(), "timers fired with their key's state, time inherited");
            Check.equal(List.of("put|w|fired|t1", "put|w|fired|"), fired.writes(), "writes");
            shutdown(executor);
        }
    }

    @Test
    public void failingCallbacksAreRetriedAndReported() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(0, 1, 2, "{}"));
            Decoded answer = executor.request(Frames.process(1, 0,
                    new In("words", "x", "fail:1", 1),
                    new In("words", "y", "fail-always", 2),
                    new In("words", "z", "fail:2", 3),
                    new In("words", "q", "count", 4)));
            Check.equal(List.of("out|x|ok after 1|1", "out|z|ok after 2|3", "out|q|1|4"),
                    answer.produced(), "the successful attempts' effects");
            Check.equal(List.of("0|1|attempt 1 failed", "1|3|never works", "2|2|attempt 2 failed"),
                    answer.failures(), "failures: index, attempts, last message");
            shutdown(executor);
        }
    }

    @Test
    public void aTracedInputsOutputsCarryItsContextAndOthersNone() throws Exception {
        String first = "4bf92f3577b34da6a3ce929d0e0e4736" + "00f067aa0ba902b7" + "01";
        String second = "01".repeat(FrameType.TRACE_CONTEXT_SIZE);
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(0, 1, 2, "{}"));
            Decoded answer = executor.request(Frames.process(1, 0,
                    new In("words", "a", "count", 1).traced(first),
                    new In("words", "b", "count", 2),
                    new In("words", "x", "fail:2", 3).traced(second),
                    new In("words", "w", "timer:500", 4).traced(first)));
            Check.equal(List.of("out|a|1|1|trace=" + first, "out|b|1|2",
                    "out|x|ok after 2|3|trace=" + second), answer.produced(),
                    "each output carries its input's context, through retries");
            Decoded fired = executor.request(Frames.fireTimers(2, 600,
                    new Due("w", "t1", 500, 0, List.of())));
            Check.equal(1, fired.produced().size(), "the timer produced");
            Check.isTrue(!fired.produced().get(0).contains("trace="),
                    "a timer set under a traced record fires untraced");
            Decoded next = executor.request(Frames.process(3, 0, new In("words", "c", "count", 5)));
            Check.equal(List.of("out|c|1|5"), next.produced(), "nothing carries over");
            shutdown(executor);
        }
    }

    @Test
    public void aFailingInitIsReportedAfterItsRetries() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            Decoded init = executor.request(Frames.init(0, 1, 1, "{\"init\":\"fail\"}"));
            Check.equal(List.of("0|2|init failed on purpose"), init.failures(), "init failure");
            Check.equal(2, init.produced().size(), "both attempts' effects stay");
            shutdown(executor);
        }
    }

    @Test
    public void stateCallsInInitFail() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            Decoded init = executor.request(Frames.init(0, 1, 0, "{\"init\":\"state\"}"));
            Check.equal(1, init.failures().size(), "one failure");
            Check.contains(init.failures().get(0), "0|1|state calls act on the current key",
                    "the failure says why");
            shutdown(executor);
        }
    }

    @Test
    public void closingTheConnectionWithoutShutdownExitsNonZero() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, PROBE)) {
            executor.hello();
            executor.request(Frames.init(0, 1, 0, "{}"));
            executor.closeConnection();
            Check.equal(Conversation.EXIT_CONNECTION, executor.exitStatus(), "exit status");
            Check.contains(executor.stderr(), "closed the connection without shutdown", "stderr");
        }
    }

    @Test
    public void withoutEddySocketItExitsWithStatus2() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(null, Map.of("EDDY_SOCKET", ""), PROBE)) {
            Check.equal(Conversation.EXIT_USAGE, executor.exitStatus(), "exit status");
            Check.contains(executor.stderr(), "EDDY_SOCKET is not set", "stderr");
        }
    }

    /** Sends shutdown and checks goodbye, the closed connection and exit status 0. */
    static void shutdown(FakeExecutor executor) throws Exception {
        executor.send(Frames.shutdown());
        Frames.Frame goodbye = executor.read();
        Check.equal(FrameType.GOODBYE, goodbye.type(), "goodbye");
        Check.equal(0, goodbye.payload().length, "goodbye is empty");
        Check.isTrue(executor.closedByProgram(), "the program closes the connection");
        Check.equal(Conversation.EXIT_OK, executor.exitStatus(), "exit status; stderr: " + executor.stderr());
    }
}
