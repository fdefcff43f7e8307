"""What a callback can do: the `Context` passed to `init`, `process_record`
and `process_timer`.

One context lives for the whole conversation; the conversation points it
at each request's transaction and state views, and at each record's or
timer's key and time before calling back. Everything a callback does is
appended to the current `TransactionBuffer`, in order.
"""

import time as _time

from .codec import I64, encode_varint
from .types import LogLevel, TimeDomain



def as_bytes(data, what):
    """`data` as bytes: bytes unchanged, str as UTF-8, other buffers copied."""
    cls = data.__class__
    if cls is bytes:
        return data
    if cls is str:
        return data.encode("utf-8")
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or str, not {cls.__name__}")


class NoCurrentKeyError(RuntimeError):
    """A state call where there is no current key (in `init`)."""


class Context:
    """The callbacks' handle on eddy. Valid only during a callback; never
    shared between threads."""

    __slots__ = (
        "_tx",
        "_views",
        "_key",
        "_time",
        "_watermark",
        "_index",
        "_count",
        "_config",
        "_stream_fields",
        "_trace",
    )

    def __init__(self, index, count, config):
        self._tx = None
        self._views = {}
        self._key = None  # bytes of the current record's or timer's key; None in init
        self._time = 0  # event time `produce` defaults to
        self._watermark = -(1 << 63)
        self._index = index
        self._count = count
        self._config = config
        self._stream_fields = {}  # stream name -> its encoded `bytes` field
        # The current input record's trace context (25 bytes) or None: every
        # record produced meanwhile carries it unchanged.
        self._trace = None

    def produce(self, stream, key, value, time=None):
        """Sends a record on `stream` (one of the computation's outputs).
        Without `time` it keeps the event time of the record or timer being
        handled (0 in init)."""
        prefix = self._stream_fields.get(stream)
        if prefix is None:
            prefix = self._stream_field(stream)
        if key.__class__ is not bytes:
            key = as_bytes(key, "key")
        if value.__class__ is not bytes:
            value = as_bytes(value, "value")
        packed_time = I64.pack(self._time if time is None else time)
        tx = self._tx
        out = tx.produced
        out += prefix
        length = len(key)
        if length < 0x80:
            out.append(length)
        else:
            out += encode_varint(length)
        out += key
        length = len(value)
        if length < 0x80:
            out.append(length)
        else:
            out += encode_varint(length)
        out += value
        out += packed_time
        if self._trace is not None:
            tx.add_trace(tx.n_produced, self._trace)
        tx.n_produced += 1

    def _stream_field(self, stream):
        field = as_bytes(stream, "stream")
        field = encode_varint(len(field)) + field
        self._stream_fields[stream] = field
        return field

    def set_timer(self, key, time, domain, tag=b""):
        """Asks for `process_timer` with `key` at `time` in `domain` (a
        `TimeDomain`). Setting one again for the same (key, tag, domain)
        replaces it."""
        key = as_bytes(key, "key")
        tag = as_bytes(tag, "tag")
        domain = TimeDomain(domain)
        I64.pack(time)  # rejects a time outside int64 before anything is recorded
        self._tx.add_timer(key, tag, time, domain)

    def get(self, name):
        """The current key's state `name` as bytes, or None."""
        view = self._views.get(self._current_key())
        if view is None:
            return None
        return view.get(as_bytes(name, "state name"))

    def put(self, name, value):
        """Sets the current key's state `name` to `value`."""
        key = self._current_key()
        name = as_bytes(name, "state name")
        value = as_bytes(value, "state value")
        self._view(key)[name] = value
        self._tx.add_write(key, name, 0, value)

    def erase(self, name):
        """Removes the current key's state `name`."""
        key = self._current_key()
        name = as_bytes(name, "state name")
        self._view(key).pop(name, None)
        self._tx.add_write(key, name, 1, b"")

    def watermark(self):
        """The request's input watermark (MIN_TIME in init)."""
        return self._watermark

    def processing_time(self):
        """Wall-clock time now, microseconds since the epoch."""
        return _time.time_ns() // 1000

    def config(self, name, default=None):
        """The configuration value `name` (str) from the manifest, or `default`."""
        return self._config.get(name, default)

    def instance_index(self):
        return self._index

    def instance_count(self):
        return self._count

    def log(self, level, message):
        """Writes a line to the instance's log; `level` is a `LogLevel`."""
        level = LogLevel(level)
        self._tx.add_log(level, as_bytes(message, "message"))

    def _current_key(self):
        key = self._key
        if key is None:
            raise NoCurrentKeyError("state calls need a current key: there is none in init")
        return key

    def _view(self, key):
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = {}
        return view
