package eddy.sdk;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The executor's end of the SDK protocol for tests: listens on a Unix socket in a fresh temp
 * directory, starts a Java program as a child process with EDDY_SOCKET etc. set, and exchanges
 * frames with it. Every wait has a deadline; close() kills the child if it still runs and
 * removes the directory.
 */
final class FakeExecutor implements AutoCloseable {
    static final long DEADLINE_MILLIS = 20_000;

    private final Path directory;
    private final ServerSocketChannel server;
    private final Process process;
    private final Path stderr;
    private SocketChannel connection;
    private Selector selector;

    private FakeExecutor(Path directory, ServerSocketChannel server, Process process, Path stderr) {
        this.directory = directory;
        this.server = server;
        this.process = process;
        this.stderr = stderr;
    }

    /** Starts `mainClass args...` on this JVM's class path (or `classPath` when not null). */
    static FakeExecutor start(String classPath, String mainClass, String... args) throws IOException {
        return start(classPath, Map.of(), mainClass, args);
    }

    static FakeExecutor start(String classPath, Map<String, String> extraEnvironment,
            String mainClass, String... args) throws IOException {
        Path directory = Files.createTempDirectory("eddy-java-sdk-test");
        Path socket = directory.resolve("sdk.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                classPath != null ? classPath : System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        environment.remove("EDDY_SOCKET");
        environment.put("EDDY_SOCKET", socket.toString());
        environment.put("EDDY_COMPUTATION", "probe");
        environment.put("EDDY_INSTANCE_INDEX", "1");
        environment.put("EDDY_INSTANCE_COUNT", "3");
        environment.putAll(extraEnvironment);
        environment.entrySet().removeIf(e -> e.getValue().isEmpty());
        Path stderr = directory.resolve("stderr.txt");
        builder.redirectError(stderr.toFile());
        builder.redirectOutput(directory.resolve("stdout.txt").toFile());
        return new FakeExecutor(directory, server, builder.start(), stderr);
    }

    Path directory() {
        return directory;
    }

    /** Waits for the program to connect. */
    void accept() throws IOException {
        server.configureBlocking(false);
        try (Selector accepting = Selector.open()) {
            server.register(accepting, SelectionKey.OP_ACCEPT);
            long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
            while (connection == null) {
                long left = deadline - System.currentTimeMillis();
                Check.isTrue(left > 0, "the program connected within the deadline; stderr: " + stderr());
                accepting.select(left);
                connection = server.accept();
            }
        }
        connection.configureBlocking(false);
        selector = Selector.open();
        connection.register(selector, SelectionKey.OP_READ);
    }

    /** Accepts the connection and returns the sdk_hello payload. */
    byte[] hello() throws IOException {
        accept();
        Frames.Frame hello = read();
        Check.equal(FrameType.SDK_HELLO, hello.type(), "first frame type");
        return hello.payload();
    }

    void send(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            connection.write(buffer);
        }
    }

    /** The next frame from the program; fails at the deadline or when the connection ends. */
    Frames.Frame read() throws IOException {
        ByteBuffer header = readExactly(5);
        int length = header.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        ByteBuffer payload = readExactly(length - 1);
        return new Frames.Frame(header.get(4) & 0xff, payload.array());
    }

    /** Sends a request and decodes the transaction answering it. */
    Frames.Decoded request(byte[] frame) throws Exception {
        send(frame);
        Frames.Frame answer = read();
        Check.equal(FrameType.TRANSACTION, answer.type(), "answer frame type");
        return Frames.transaction(answer.payload());
    }

    /** True when the program closes the connection (reads EOF) within the deadline. */
    boolean closedByProgram() throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            selector.select(Math.max(1, deadline - System.currentTimeMillis()));
            selector.selectedKeys().clear();
            one.clear();
            int read;
            try {
                read = connection.read(one);
            } catch (IOException reset) {
                return true;
            }
            if (read < 0) {
                return true;
            }
            if (read > 0) {
                return false;
            }
        }
        return false;
    }

    void closeConnection() throws IOException {
        connection.close();
    }

    /** The program's exit status; fails if it has not exited within the deadline. */
    int exitStatus() throws InterruptedException {
        boolean exited = process.waitFor(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        Check.isTrue(exited, "the program exited within the deadline");
        return process.exitValue();
    }

    String stderr() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }

    private ByteBuffer readExactly(int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
        while (buffer.hasRemaining()) {
            long left = deadline - System.currentTimeMillis();
            Check.isTrue(left > 0, "a frame arrived within the deadline; stderr: " + stderr());
            selector.select(left);
            selector.selectedKeys().clear();
            if (connection.read(buffer) < 0) {
                throw new AssertionError("the program closed the connection after "
                        + buffer.position() + " of " + size + " bytes; stderr: " + stderr());
            }
        }
        return buffer;
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (selector != null) {
            selector.close();
        }
        if (connection != null) {
            connection.close();
        }
        server.close();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
