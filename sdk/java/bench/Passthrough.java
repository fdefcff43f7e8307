import eddy.sdk.Computation;
import eddy.sdk.Context;
import eddy.sdk.Eddy;
import eddy.sdk.Metadata;
import eddy.sdk.Record;
import eddy.sdk.Subscription;
import java.util.List;

/** Produces every record of "in" unchanged (key, value, time) to "out": the SDK's overhead. */
public final class Passthrough implements Computation {
    @Override
    public Metadata metadata() {
        return new Metadata("passthrough", List.of(Subscription.shuffle("in")), List.of("out"));
    }

    @Override
    public void processRecord(Context ctx, Record r) {
        ctx.produce("out", r.key(), r.value(), r.time());
    }

    public static void main(String[] args) {
        Eddy.run(new Passthrough());
    }
}
