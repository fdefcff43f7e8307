"""The executor's half of the wire format: encodes requests and decodes
what an SDK sends. The SDK itself never uses it; tests, the fake executor
(eddy.testing) and the benchmark do, so they speak the same bytes as the
real executor without one.
"""

import json
from collections import namedtuple

from . import codec
from .codec import I64, U16, U32, U64, ProtocolError, decode_varint, encode_bytes, encode_varint

Transaction = namedtuple("Transaction", "batch produced writes timers logs failures traced")
# produced: [(stream, key, value, time)]; writes: [(key, name, op, value)];
# timers: [(key, tag, time, domain)]; logs: [(level, text)];
# failures: [(index, attempts, message)]; traced: {produced index: 25-byte
# trace context}. Names and texts are str, the rest bytes.

Hello = namedtuple("Hello", "version sdk metadata")


def _b(data):
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def encode_init(index=0, count=1, max_retries=0, config=None):
    """`config`: a dict of str -> str (encoded as JSON) or raw bytes."""
    raw = config if isinstance(config, bytes) else json.dumps(config or {}).encode("utf-8")
    payload = U32.pack(index) + U32.pack(count) + U32.pack(max_retries) + encode_bytes(raw)
    return codec.encode_frame(codec.INIT, payload)


def _state_entries(state):
    state = state or {}
    parts = [encode_varint(len(state))]
    for name, value in state.items():
        parts.append(encode_bytes(_b(name)))
        parts.append(encode_bytes(_b(value)))
    return b"".join(parts)


def encode_process(batch, watermark, records, traces=None):
    """`records`: (stream, key, value, time) or (stream, key, value, time,
    state dict) tuples; str or bytes. `traces`: {record index: 25-byte
    trace context} for the traced records."""
    parts = [U64.pack(batch), I64.pack(watermark), encode_varint(len(records))]
    for record in records:
        stream, key, value, time = record[:4]
        state = record[4] if len(record) > 4 else None
        parts += [encode_bytes(_b(stream)), encode_bytes(_b(key)), encode_bytes(_b(value))]
        parts += [I64.pack(time), _state_entries(state)]
    parts.append(encode_traces(traces))
    return codec.encode_frame(codec.PROCESS, b"".join(parts))


def encode_traces(traces):
    """A trace section: {index: 25-byte context}, in index order."""
    traces = traces or {}
    parts = [encode_varint(len(traces))]
    for index in sorted(traces):
        parts += [encode_varint(index), bytes(traces[index])]
    return b"".join(parts)


def encode_fire_timers(batch, watermark, timers):
    """`timers`: (key, tag, time, domain) or (key, tag, time, domain, state dict)."""
    parts = [U64.pack(batch), I64.pack(watermark), encode_varint(len(timers))]
    for timer in timers:
        key, tag, time, domain = timer[:4]
        state = timer[4] if len(timer) > 4 else None
        parts += [encode_bytes(_b(key)), encode_bytes(_b(tag)), I64.pack(time), bytes((domain,))]
        parts.append(_state_entries(state))
    return codec.encode_frame(codec.FIRE_TIMERS, b"".join(parts))


def encode_shutdown():
    return codec.encode_frame(codec.SHUTDOWN, b"")


class _Cursor:
    """Reads a payload front to back, raising ProtocolError when it runs out."""

    def __init__(self, payload):
        self.payload = payload
        self.pos = 0

    def fixed(self, layout):
        if self.pos + layout.size > len(self.payload):
            raise ProtocolError("truncated payload")
        value = layout.unpack_from(self.payload, self.pos)[0]
        self.pos += layout.size
        return value

    def u8(self):
        if self.pos >= len(self.payload):
            raise ProtocolError("truncated payload")
        self.pos += 1
        return self.payload[self.pos - 1]

    def varint(self):
        value, self.pos = decode_varint(self.payload, self.pos)
        return value

    def bytes(self):
        length = self.varint()
        if self.pos + length > len(self.payload):
            raise ProtocolError("truncated bytes field")
        self.pos += length
        return self.payload[self.pos - length : self.pos]

    def text(self):
        return self.bytes().decode("utf-8")

    def done(self):
        if self.pos != len(self.payload):
            raise ProtocolError(f"{len(self.payload) - self.pos} trailing bytes")


def decode_hello(payload):
    cursor = _Cursor(payload)
    hello = Hello(cursor.fixed(U16), cursor.text(), json.loads(cursor.text()))
    cursor.done()
    return hello


def decode_transaction(payload):
    c = _Cursor(payload)
    batch = c.fixed(U64)
    produced = [(c.text(), c.bytes(), c.bytes(), c.fixed(I64)) for _ in range(c.varint())]
    writes = [(c.bytes(), c.bytes(), c.u8(), c.bytes()) for _ in range(c.varint())]
    timers = [(c.bytes(), c.bytes(), c.fixed(I64), c.u8()) for _ in range(c.varint())]
    logs = [(c.u8(), c.text()) for _ in range(c.varint())]
    failures = [(c.fixed(U32), c.fixed(U32), c.text()) for _ in range(c.varint())]
    traced, c.pos = codec.decode_traces(c.payload, c.pos, len(produced), "transaction")
    c.done()
    return Transaction(batch, produced, writes, timers, logs, failures, traced)


def decode_error(payload):
    return codec.decode_error(payload)
