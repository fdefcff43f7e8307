package eddy.sdk;

/**
 * The user logic of a computation: it subscribes to streams, publishes streams, and reacts to
 * records and timers through callbacks. eddy runs each instance in its own process; callbacks of
 * one instance are never called concurrently, so a computation needs no locks of its own.
 *
 * <pre>{@code
 * // Counts words: one count per word, kept in keyed state.
 * final class Counter implements Computation {
 *     public Metadata metadata() {
 *         return new Metadata("counter", List.of(Subscription.key("words")), List.of("counts"));
 *     }
 *     public void processRecord(Context ctx, Record r) {
 *         String count = ctx.getString("count");   // state of the current key (the word)
 *         long n = (count == null ? 0 : Long.parseLong(count)) + 1;
 *         ctx.put("count", Long.toString(n));
 *         ctx.produce("counts", r.key(), Long.toString(n));
 *     }
 *     public static void main(String[] args) { Eddy.run(new Counter()); }
 * }
 * }</pre>
 *
 * A callback that throws is retried up to the executor's {@code max_retries} times; the effects
 * of every attempt stay (at most once), and the failure is reported to the executor, which
 * dead-letters the input when the retries are exhausted.
 */
public interface Computation {
    /** What this computation is called, reads and writes. Called once, before {@code init}. */
    Metadata metadata();

    /**
     * Called once per instance before any record or timer; a source typically sets its first
     * timer here. There is no current key: state calls throw. Throwing fails the instance.
     */
    default void init(Context ctx) throws Exception {}

    /** One record from a subscribed stream. State calls act on {@code r.key()}. */
    void processRecord(Context ctx, Record r) throws Exception;

    /** A timer set with {@link Context#setTimer} is due. State calls act on {@code t.key()}. */
    default void processTimer(Context ctx, Timer t) throws Exception {}
}
