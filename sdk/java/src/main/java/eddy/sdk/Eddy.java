package eddy.sdk;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * The entry point of a computation's program: {@code Eddy.run(new Counter())} from main.
 *
 * <p>Connects to the executor at {@code $EDDY_SOCKET}, runs the conversation (see
 * {@link Conversation}) and exits the process: 0 after {@code shutdown}; 1 when the executor
 * closed the connection unasked or it failed; 2 when EDDY_SOCKET is not set; 3 after a
 * protocol error, which is also sent to the executor as {@code error}. Every non-zero exit
 * prints one line on standard error saying why.
 */
public final class Eddy {
    private Eddy() {}

    public static void run(Computation computation) {
        System.exit(serve(computation));
    }

    private static int serve(Computation computation) {
        String path = System.getenv("EDDY_SOCKET");
        if (path == null || path.isEmpty()) {
            System.err.println("eddy java sdk: EDDY_SOCKET is not set: this program is a"
                    + " computation that the eddy executor starts (or, with attach: true in the"
                    + " manifest, that you start with EDDY_SOCKET set to the socket it logs)");
            return Conversation.EXIT_USAGE;
        }
        try (SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return Conversation.serve(computation, socket, socket, System.err);
        } catch (IOException e) {
            System.err.println("eddy java sdk: cannot connect to the executor at " + path + ": "
                    + e.getMessage());
            return Conversation.EXIT_CONNECTION;
        }
    }
}
