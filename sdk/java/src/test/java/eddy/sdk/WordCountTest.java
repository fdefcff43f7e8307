package eddy.sdk;

import eddy.sdk.Frames.Decoded;
import eddy.sdk.Frames.In;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * examples/wordcount/java run as child processes, the way the executor runs them. The class
 * path of the example (with the SDK) comes from the system property eddy.wordcount.classpath.
 */
final class WordCountTest {
    private static String classPath() {
        String path = System.getProperty("eddy.wordcount.classpath");
        Check.isTrue(path != null, "-Deddy.wordcount.classpath is set to the example's class path");
        return path;
    }

    @Test
    public void theCounterAnswersTheWorkedExampleByteForByte() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(classPath(), "WordCount", "counter")) {
            PayloadReader hello = new PayloadReader();
            byte[] payload = executor.hello();
            hello.reset(payload, 0, payload.length, "sdk_hello");
            hello.u16("version");
            hello.utf8("sdk");
            Check.equal("{\"name\":\"counter\",\"inputs\":[{\"stream\":\"words\",\"grouping\":\"key\"}],"
                    + "\"outputs\":[\"counts\"]}", hello.utf8("metadata"), "metadata");
            executor.request(Frames.init(0, 1, 0, "{}"));
            executor.send(CodecTest.WORKED_PROCESS);
            Frames.Frame answer = executor.read();
            Check.bytes(CodecTest.WORKED_TRANSACTION, Frames.encoded(answer),
                    "the transaction of docs/protocol.md 11.5");
            ConversationTest.shutdown(executor);
        }
    }

    @Test
    public void theSplitterProducesOneRecordPerWord() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(classPath(), "WordCount", "splitter")) {
            executor.hello();
            executor.request(Frames.init(0, 1, 0, "{}"));
            Decoded answer = executor.request(Frames.process(1, 0,
                    new In("lines", "", "  the river  the\u00e9 ", 42),
                    new In("lines", "", "", 43),
                    new In("lines", "", "one", 44)));
            Check.equal(List.of("words|the|1|42", "words|river|1|42", "words|the\u00e9|1|42",
                    "words|one|1|44"), answer.produced(), "words, time inherited");
            ConversationTest.shutdown(executor);
        }
    }

    @Test
    public void theSinkWritesEveryRecordBeforeItsTransaction() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(classPath(), "WordCount", "sink")) {
            Path out = executor.directory().resolve("counts.txt");
            executor.hello();
            String config = "{\"path\": \"" + out.toString().replace("\\", "\\\\") + "\"}";
            Check.equal(List.of(), executor.request(Frames.init(0, 1, 0, config)).failures(), "init");
            executor.request(Frames.process(1, 0, new In("counts", "the", "1", 1),
                    new In("counts", "river", "1", 1)));
            Check.equal("the 1\nriver 1\n", Files.readString(out), "lines after the first request");
            executor.request(Frames.process(2, 0, new In("counts", "the", "2", 1)));
            Check.equal("the 1\nriver 1\nthe 2\n", Files.readString(out), "appended");
            ConversationTest.shutdown(executor);
        }
    }

    @Test
    public void theSinkWithoutPathFailsItsInit() throws Exception {
        try (FakeExecutor executor = FakeExecutor.start(classPath(), "WordCount", "sink")) {
            executor.hello();
            Decoded init = executor.request(Frames.init(0, 1, 1, "{}"));
            Check.equal(List.of("0|2|sink needs the config value \"path\""), init.failures(), "failure");
            ConversationTest.shutdown(executor);
        }
    }
}
