"""The public types a computation is written with: its metadata, the records
and timers it receives, and the `Computation` base class.

Names follow include/eddy/computation.hpp and include/eddy/context.hpp in
Python's conventions. Keys, values and timer tags are `bytes`; stream names
are `str` (UTF-8 on the wire).
"""

import abc
import enum

# Smallest and largest times (microseconds since the epoch); a watermark of
# MAX_TIME means "no more input".
MIN_TIME = -(1 << 63)
MAX_TIME = (1 << 63) - 1


class Grouping(str, enum.Enum):
    """How a subscribed stream's records are spread over the instances; the
    values are the names manifests use."""

    KEY = "key"  # hash(key) -> the one instance owning it; keyed state needs this
    SHUFFLE = "shuffle"  # round robin over the instances
    BROADCAST = "broadcast"  # every instance gets every record


class TimeDomain(enum.IntEnum):
    """The clock a timer follows; the values are the protocol's `domain` byte."""

    EVENT_TIME = 0  # fires when the input watermark passes the timer's time
    PROCESSING_TIME = 1  # fires when the wall clock passes the timer's time


class LogLevel(enum.IntEnum):
    """Severity of a `Context.log` line; the values are the protocol's `level` byte."""

    DEBUG = 0
    INFO = 1
    WARN = 2
    ERROR = 3


class Subscription:
    """One input: a stream and how it is grouped. `grouping` may be given as
    a `Grouping` or its name ("key", "shuffle", "broadcast")."""

    __slots__ = ("stream", "grouping")

    def __init__(self, stream, grouping=Grouping.SHUFFLE):
        self.stream = str(stream)
        self.grouping = Grouping(grouping)

    def __repr__(self):
        return f"Subscription({self.stream!r}, {self.grouping.value!r})"


class Metadata:
    """What a computation is called, reads and writes. `inputs` holds
    `Subscription`s or (stream, grouping) pairs; `outputs` stream names."""

    __slots__ = ("name", "inputs", "outputs")

    def __init__(self, name, inputs=(), outputs=()):
        self.name = str(name)
        self.inputs = [s if isinstance(s, Subscription) else Subscription(*s) for s in inputs]
        self.outputs = [str(s) for s in outputs]

    def to_json_object(self):
        """The shape `sdk_hello` carries (docs/protocol.md 11.3)."""
        return {
            "name": self.name,
            "inputs": [{"stream": s.stream, "grouping": s.grouping.value} for s in self.inputs],
            "outputs": list(self.outputs),
        }


class Record:
    """One record from a subscribed stream. State calls made while handling it
    act on `key`."""

    __slots__ = ("stream", "key", "value", "time")

    def __init__(self, stream, key, value, time):
        self.stream = stream  # str: the stream it arrived on
        self.key = key  # bytes
        self.value = value  # bytes
        self.time = time  # int: event time, microseconds since the epoch

    def __repr__(self):
        return f"Record({self.stream!r}, {self.key!r}, {self.value!r}, {self.time})"


class Timer:
    """A timer set with `Context.set_timer` that came due. State calls made
    while handling it act on `key`."""

    __slots__ = ("key", "tag", "time", "domain")

    def __init__(self, key, tag, time, domain):
        self.key = key  # bytes
        self.tag = tag  # bytes
        self.time = time  # int: the time it was set for, microseconds
        self.domain = domain  # TimeDomain

    def __repr__(self):
        return f"Timer({self.key!r}, {self.tag!r}, {self.time}, {self.domain!r})"


class Computation(abc.ABC):
    """Named user logic. Subclass it, then hand an instance to `eddy.run`.

    The SDK calls `metadata()` once before connecting, `init` once, then
    `process_record` and `process_timer` for each record and timer, never
    concurrently. A callback that raises is retried (the executor's
    `max_retries`), then its input is dead-lettered; the effects of every
    attempt stay.
    """

    @abc.abstractmethod
    def metadata(self):
        """A `Metadata`: name, inputs, outputs."""

    def init(self, ctx):
        """Called once before any record or timer; raising fails the instance.
        There is no current key: state calls raise here."""

    @abc.abstractmethod
    def process_record(self, ctx, record):
        """One `Record` from a subscribed stream."""

    def process_timer(self, ctx, timer):
        """A `Timer` came due."""
