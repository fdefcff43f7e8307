package eddy.sdk;

import java.util.Objects;

/** One input of a computation: a stream and how its records are spread over the instances. */
public record Subscription(String stream, Grouping grouping) {
    public Subscription {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(grouping, "grouping");
    }

    /** {@code stream} grouped by key: each key goes to the one instance owning it. */
    public static Subscription key(String stream) {
        return new Subscription(stream, Grouping.KEY);
    }

    /** {@code stream} spread round robin over the instances. */
    public static Subscription shuffle(String stream) {
        return new Subscription(stream, Grouping.SHUFFLE);
    }

    /** {@code stream} delivered to every instance. */
    public static Subscription broadcast(String stream) {
        return new Subscription(stream, Grouping.BROADCAST);
    }
}
