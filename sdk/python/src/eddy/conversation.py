"""The SDK side of one executor conversation as a state machine, without
I/O: frames in, reply frames out (docs/protocol.md 11.2-11.3).

`expect(type)` is asked as soon as a frame's type byte arrives and rejects
types that are unknown or not expected now; `handle(type, payload)` decodes
the request, runs the callbacks and returns the frame to send back. After
`shutdown` is handled, `finished` is true.
"""

import json

from . import codec
from .context import Context
from .codec import ProtocolError, TransactionBuffer

SDK_NAME = "python/1.0.0"


class ExecutorError(Exception):
    """The executor sent `error`: it closes the connection, nothing is answered."""

    def __init__(self, code, message):
        super().__init__(f"the executor sent error {code}: {message}")
        self.code = code


def describe_failure(exc):
    """The `message` a failure reports: the exception's type and text."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def metadata_json(metadata):
    return json.dumps(metadata.to_json_object())


class Conversation:
    """Serves one computation instance. Not thread-safe: one caller."""

    def __init__(self, computation):
        self._computation = computation
        self._metadata_json = metadata_json(computation.metadata())
        self._ctx = None  # set by init
        self._max_retries = 0
        self._stream_names = {}  # stream bytes -> str, across requests
        self.finished = False

    def hello(self):
        """The `sdk_hello` frame that opens the conversation."""
        return codec.encode_hello(SDK_NAME, self._metadata_json)

    def expect(self, frame_type):
        """Raises ProtocolError unless a frame of `frame_type` may come now."""
        name = codec.FRAME_NAMES.get(frame_type)
        if name is None:
            raise ProtocolError(f"unknown frame type 0x{frame_type:02x}")
        if frame_type in (codec.SDK_HELLO, codec.TRANSACTION, codec.GOODBYE):
            raise ProtocolError(f"unexpected {name} (0x{frame_type:02x}): only the SDK sends it")
        if self.finished:
            raise ProtocolError(f"unexpected {name} after shutdown")
        initialised = self._ctx is not None
        if frame_type == codec.INIT and initialised:
            raise ProtocolError("unexpected init: the instance is already initialised")
        if frame_type in (codec.PROCESS, codec.FIRE_TIMERS) and not initialised:
            raise ProtocolError(f"unexpected {name} before init")

    def handle(self, frame_type, payload):
        """The reply to one frame (`payload` is bytes), after `expect` passed it."""
        if frame_type == codec.PROCESS:
            return self._process(payload)
        if frame_type == codec.FIRE_TIMERS:
            return self._fire_timers(payload)
        if frame_type == codec.INIT:
            return self._init(payload)
        if frame_type == codec.SHUTDOWN:
            codec.check_empty(payload, "shutdown")
            self.finished = True
            return codec.encode_goodbye()
        if frame_type == codec.ERROR:
            raise ExecutorError(*codec.decode_error(payload))
        raise AssertionError(f"handle() called for frame type 0x{frame_type:02x} that expect() rejects")

    def _init(self, payload):
        index, count, max_retries, config = codec.decode_init(payload)
        ctx = Context(index, count, config)
        self._max_retries = max_retries
        tx = ctx._tx = TransactionBuffer()
        init = self._computation.init
        try:
            init(ctx)
        except Exception as exc:
            self._retry(tx, 0, init, ctx, exc)
        self._ctx = ctx
        return tx.frame(0)

    def _process(self, payload):
        batch, watermark, records, seeds, traces = codec.decode_process(
            payload, self._stream_names
        )
        ctx = self._ctx
        tx = ctx._tx = TransactionBuffer()
        ctx._views = seeds
        ctx._watermark = watermark
        process = self._computation.process_record
        index = 0
        for record in records:
            ctx._key = record.key
            ctx._time = record.time
            if traces:
                ctx._trace = traces.get(index)
            try:
                process(ctx, record)
            except Exception as exc:
                self._retry(tx, index, process, ctx, record, exc)
            index += 1
        ctx._trace = None
        return tx.frame(batch)

    def _fire_timers(self, payload):
        batch, watermark, timers, seeds = codec.decode_fire_timers(payload)
        ctx = self._ctx
        tx = ctx._tx = TransactionBuffer()
        ctx._views = seeds
        ctx._watermark = watermark
        fire = self._computation.process_timer
        for index, timer in enumerate(timers):
            ctx._key = timer.key
            ctx._time = timer.time
            try:
                fire(ctx, timer)
            except Exception as exc:
                self._retry(tx, index, fire, ctx, timer, exc)
        return tx.frame(batch)

    def _retry(self, tx, index, callback, *args_and_error):
        """After `callback(*args)` raised once: retries it up to max_retries
        times, then reports how many times it raised and the last error."""
        *args, error = args_and_error
        attempts = 1
        while attempts <= self._max_retries:
            try:
                callback(*args)
                break
            except Exception as exc:
                error = exc
                attempts += 1
        tx.add_failure(index, attempts, describe_failure(error).encode("utf-8", "replace"))
