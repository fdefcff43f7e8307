package eddy.sdk;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The computation the conversation tests run as a child process. Each record's value is a
 * command that exercises one part of the Context API:
 *
 * <ul>
 *   <li>{@code count}: n = state "count" + 1, put, produce n (time inherited)
 *   <li>{@code at:T}: produce "timed" at time T
 *   <li>{@code erase}: erase "count", produce whether a read still sees it
 *   <li>{@code timer:T}: set an event-time timer at T with tag "t1", and a processing-time one
 *   <li>{@code fail:K}: throw on the first K attempts, then produce "ok"
 *   <li>{@code fail-always}: always throw
 *   <li>{@code info}: produce watermark, instance index/count, whether processing time is sane
 *   <li>{@code log}: log a warning
 * </ul>
 *
 * Init logs the config value "greeting"; config "init" = "fail" makes init throw, "state"
 * makes it call get() (which must throw).
 */
final class ProbeComputation implements Computation {
    private final Map<String, Integer> attempts = new HashMap<>();

    public static void main(String[] args) {
        Eddy.run(new ProbeComputation());
    }

    @Override
    public Metadata metadata() {
        return new Metadata("probe",
                List.of(Subscription.key("words"), Subscription.shuffle("lines")),
                List.of("out", "other \"quoted\""));
    }

    @Override
    public void init(Context ctx) {
        ctx.log(LogLevel.INFO, "greeting=" + ctx.config("greeting") + " index="
                + ctx.instanceIndex() + " count=" + ctx.instanceCount());
        ctx.produce("out", "init", "produced in init");
        String mode = ctx.config("init");
        if ("fail".equals(mode)) {
            throw new IllegalStateException("init failed on purpose");
        }
        if ("state".equals(mode)) {
            ctx.get("anything");
        }
    }

    @Override
    public void processRecord(Context ctx, Record r) {
        String command = r.valueString();
        String argument = command.contains(":") ? command.substring(command.indexOf(':') + 1) : "";
        switch (command.contains(":") ? command.substring(0, command.indexOf(':')) : command) {
            case "count" -> {
                String count = ctx.getString("count");
                long n = (count == null ? 0 : Long.parseLong(count)) + 1;
                ctx.put("count", Long.toString(n));
                ctx.produce("out", r.key(), Long.toString(n));
            }
            case "at" -> ctx.produce("out", r.keyString(), "timed", Long.parseLong(argument));
            case "erase" -> {
                ctx.erase("count");
                ctx.produce("out", r.key(), ctx.get("count") == null ? "gone" : "still there");
            }
            case "timer" -> {
                ctx.setTimer(r.key(), Long.parseLong(argument), TimeDomain.EVENT_TIME, "t1".getBytes());
                ctx.setTimer(r.keyString(), 99, TimeDomain.PROCESSING_TIME);
            }
            case "fail" -> {
                int attempt = attempts.merge(r.keyString() + command, 1, Integer::sum);
                if (attempt <= Integer.parseInt(argument)) {
                    throw new RuntimeException("attempt " + attempt + " failed");
                }
                ctx.produce("out", r.key(), "ok after " + (attempt - 1));
            }
            case "fail-always" -> throw new IllegalArgumentException("never works");
            case "info" -> {
                long now = System.currentTimeMillis() * 1000;
                boolean sane = Math.abs(ctx.processingTime() - now) < 60_000_000L;
                ctx.produce("out", r.key(), "watermark=" + ctx.watermark() + " index="
                        + ctx.instanceIndex() + " count=" + ctx.instanceCount() + " clock=" + sane
                        + " stream=" + r.stream());
            }
            case "log" -> ctx.log(LogLevel.WARN, "warned about " + r.keyString());
            default -> throw new IllegalArgumentException("unknown command " + command);
        }
    }

    @Override
    public void processTimer(Context ctx, Timer t) {
        String count = ctx.getString("count");
        ctx.put("fired", t.tagString());
        ctx.produce("out", t.key(), "fired tag=" + t.tagString() + " domain=" + t.domain()
                + " count=" + count + " fired=" + ctx.getString("fired"));
    }
}
