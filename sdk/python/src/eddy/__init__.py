"""eddy's Python SDK: write a computation, call `eddy.run(computation)`.

    import eddy

    class WordCounter(eddy.Computation):
        def metadata(self):
            return eddy.Metadata("counter", inputs=[("words", eddy.Grouping.KEY)],
                                 outputs=["counts"])

        def process_record(self, ctx, record):
            n = int(ctx.get("count") or 0) + 1  # state of the current key (the word)
            ctx.put("count", str(n))
            ctx.produce("counts", record.key, str(n))

    if __name__ == "__main__":
        eddy.run(WordCounter())

The program runs beside an executor, which starts it with $EDDY_SOCKET set
(docs/protocol.md section 11); sdk/python/README.md has the details.
"""

from .context import Context, NoCurrentKeyError
from .loop import run, serve
from .types import (
    MAX_TIME,
    MIN_TIME,
    Computation,
    Grouping,
    LogLevel,
    Metadata,
    Record,
    Subscription,
    TimeDomain,
    Timer,
)

__version__ = "1.0.0"

__all__ = [
    "MAX_TIME",
    "MIN_TIME",
    "Computation",
    "Context",
    "Grouping",
    "LogLevel",
    "Metadata",
    "NoCurrentKeyError",
    "Record",
    "Subscription",
    "TimeDomain",
    "Timer",
    "run",
    "serve",
]
