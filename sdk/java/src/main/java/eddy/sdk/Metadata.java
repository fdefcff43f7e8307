package eddy.sdk;

import java.util.List;
import java.util.Objects;

/**
 * What a computation is called, reads and writes. Sent to the executor in {@code sdk_hello};
 * the manifest stays authoritative, the executor only warns about differences.
 *
 * @param name unique in a topology; [a-zA-Z0-9_.-]+
 * @param inputs subscribed streams; none for a source driven by timers
 * @param outputs streams this computation may produce to
 */
public record Metadata(String name, List<Subscription> inputs, List<String> outputs) {
    public Metadata {
        Objects.requireNonNull(name, "name");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
