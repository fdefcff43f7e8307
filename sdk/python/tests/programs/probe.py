"""A computation that exercises every context call, for the SDK's tests.

Each record's value is a command (see `process_record`); the tests drive it
through eddy.testing.FakeExecutor and check the transactions it answers.
"""

import json

import eddy


class Probe(eddy.Computation):
    def __init__(self):
        self._raised = {}  # key -> how many times "flaky" raised for it

    def metadata(self):
        return eddy.Metadata(
            "probe",
            inputs=[eddy.Subscription("in", eddy.Grouping.KEY), ("control", "broadcast")],
            outputs=["out"],
        )

    def init(self, ctx):
        if ctx.config("init_fails"):
            raise ValueError("init refused")
        if ctx.config("state_in_init"):
            ctx.get("count")
        ctx.log(eddy.LogLevel.INFO, f"init {ctx.config('greeting', 'nobody')}")
        ctx.produce("out", "init", b"hello")

    def process_record(self, ctx, record):
        command, _, argument = record.value.partition(b":")
        if command == b"count":
            n = int(ctx.get("count") or 0) + 1
            ctx.put("count", str(n))
            ctx.produce("out", record.key, str(n))
        elif command == b"read":
            ctx.produce("out", record.key, ctx.get("count") or b"none")
        elif command == b"erase":
            ctx.erase("count")
        elif command == b"at":
            ctx.produce("out", record.key, record.value, int(argument))
        elif command == b"timer":
            ctx.set_timer(record.key, int(argument), eddy.TimeDomain.EVENT_TIME, "tag")
        elif command == b"ptimer":
            ctx.set_timer(b"other", int(argument), eddy.TimeDomain.PROCESSING_TIME)
        elif command == b"log":
            ctx.log(eddy.LogLevel.WARN, b"saw " + record.key)
        elif command == b"flaky":
            raised = self._raised.get(record.key, 0)
            if raised < int(argument):
                self._raised[record.key] = raised + 1
                raise ValueError(f"flaky attempt {raised + 1}")
            ctx.produce("out", record.key, "recovered")
        elif command == b"fail":
            ctx.produce("out", record.key, "attempt")
            raise RuntimeError("always fails")
        elif command == b"info":
            info = {
                "stream": record.stream,
                "watermark": ctx.watermark(),
                "index": ctx.instance_index(),
                "count": ctx.instance_count(),
                "processing_time": ctx.processing_time(),
            }
            ctx.produce("out", record.key, json.dumps(info))
        else:
            raise ValueError(f"unknown command {record.value!r}")

    def process_timer(self, ctx, timer):
        n = int(ctx.get("count") or 0) + 1
        ctx.put("count", str(n))
        ctx.produce("out", timer.key, b"fired %s %d %d" % (timer.tag, timer.domain, n))


if __name__ == "__main__":
    eddy.run(Probe())
