"""The SDK's half of the executor <-> SDK wire format (docs/protocol.md,
sections 1-3 and 11): varints, frame headers, decoding the executor's
requests and encoding the SDK's answers. No I/O here.

Every decoder consumes its payload exactly and raises `ProtocolError`
naming what was wrong; decoding a request completes before any callback
runs, so a malformed frame never has half its records processed.
"""

import json
import struct

from .types import Record, TimeDomain, Timer

PROTOCOL_VERSION = 2

# A trace context (docs/protocol.md 6.3): trace id 16, span id 8, flags 1.
TRACE_CONTEXT_BYTES = 25

SDK_HELLO = 0x40
INIT = 0x41
PROCESS = 0x42
FIRE_TIMERS = 0x43
TRANSACTION = 0x44
SHUTDOWN = 0x45
GOODBYE = 0x46
ERROR = 0x47

FRAME_NAMES = {
    SDK_HELLO: "sdk_hello",
    INIT: "init",
    PROCESS: "process",
    FIRE_TIMERS: "fire_timers",
    TRANSACTION: "transaction",
    SHUTDOWN: "shutdown",
    GOODBYE: "goodbye",
    ERROR: "error",
}

# `error` codes.
PROTOCOL_ERROR = 1
UNSUPPORTED_VERSION = 2
INTERNAL_ERROR = 3

# The largest frame `length` the SDK accepts; the executor sends at most 16 MiB.
MAX_REQUEST_LENGTH = 64 * 1024 * 1024
# The largest transaction `length` the executor accepts.
MAX_TRANSACTION_LENGTH = 64 * 1024 * 1024

MAX_VARINT = (1 << 64) - 1

HEADER = struct.Struct("<IB")  # length, type
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
I64 = struct.Struct("<q")
_INIT_FIXED = struct.Struct("<III")  # index, count, max_retries
_REQUEST_FIXED = struct.Struct("<Qq")  # batch, watermark
_FAILURE_FIXED = struct.Struct("<II")  # index, attempts
_TIME_AND_ENTRIES = struct.Struct("<qB")  # a record's time, then the first byte of `m`

# The one-byte varints, so encoding a small length allocates nothing.
_SMALL_VARINTS = tuple(bytes((n,)) for n in range(0x80))
_DOMAINS = (TimeDomain.EVENT_TIME, TimeDomain.PROCESSING_TIME)


class ProtocolError(Exception):
    """The peer sent something the protocol does not allow: answered with
    `error protocol_error` carrying this message."""


class TransactionTooLarge(Exception):
    """The callbacks of one request produced more than a transaction can
    carry: answered with `error internal`."""


def encode_varint(value):
    """`value` (0 .. 2^64-1) as the shortest LEB128 bytes."""
    if 0 <= value < 0x80:
        return _SMALL_VARINTS[value]
    if value < 0 or value > MAX_VARINT:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buf, pos):
    """(value, position after it) of the varint at `buf[pos]`; rejects
    overlong and over-64-bit encodings and a varint cut off by the end."""
    start = pos
    end = len(buf)
    result = 0
    shift = 0
    for index in range(10):
        if pos >= end:
            raise ProtocolError(f"truncated varint at offset {start}")
        byte = buf[pos]
        pos += 1
        if index == 9 and byte > 1:
            raise ProtocolError(f"bad varint at offset {start}: more than 64 bits")
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and index > 0:
                raise ProtocolError(f"bad varint at offset {start}: overlong encoding")
            return result, pos
        shift += 7
    raise AssertionError("unreachable: the tenth byte either ends the varint or is rejected")


def encode_bytes(data):
    """A `bytes` field: varint length, then the bytes."""
    return encode_varint(len(data)) + data


def encode_frame(frame_type, payload):
    """A whole frame: u32 length (type + payload), u8 type, payload."""
    return HEADER.pack(len(payload) + 1, frame_type) + payload


def _decode_bytes(buf, pos, what):
    length = buf[pos] if pos < len(buf) else None
    if length is None:
        raise ProtocolError(f"truncated {what}")
    if length < 0x80:
        pos += 1
    else:
        length, pos = decode_varint(buf, pos)
    if pos + length > len(buf):
        raise ProtocolError(f"truncated {what}: {length} bytes announced, {len(buf) - pos} left")
    return buf[pos : pos + length], pos + length


def _check_consumed(buf, pos, what):
    if pos != len(buf):
        raise ProtocolError(f"{len(buf) - pos} trailing bytes after {what}")


def decode_init(payload):
    """(index, count, max_retries, config dict of str -> str) of an `init` payload."""
    if len(payload) < _INIT_FIXED.size:
        raise ProtocolError(f"truncated init: {len(payload)} bytes")
    index, count, max_retries = _INIT_FIXED.unpack_from(payload, 0)
    raw, pos = _decode_bytes(payload, _INIT_FIXED.size, "init config")
    _check_consumed(payload, pos, "init")
    return index, count, max_retries, _decode_config(raw)


def _decode_config(raw):
    if not raw:
        return {}
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"init config is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ProtocolError("init config is not a JSON object")
    for name, value in config.items():
        if not isinstance(value, str):
            raise ProtocolError(f"init config value of {name!r} is not a string")
    return config


def decode_process(payload, stream_names):
    """(batch, watermark, records, seeds, traces) of a `process` payload.

    `records` is a list of `Record`s; `seeds` maps each key that came with
    state entries to a dict name -> value (the first entries of a key win);
    `traces` maps the index of each traced record to its 25-byte trace
    context (empty when none is traced). `stream_names` caches stream bytes
    -> str across requests.
    """
    end = len(payload)
    if end < _REQUEST_FIXED.size:
        raise ProtocolError(f"truncated process: {end} bytes")
    batch, watermark = _REQUEST_FIXED.unpack_from(payload, 0)
    count, pos = decode_varint(payload, _REQUEST_FIXED.size)
    records = []
    seeds = {}
    append = records.append
    unpack_time_and_entries = _TIME_AND_ENTRIES.unpack_from
    varint = decode_varint
    # The last stream's whole `bytes` field (length included) and its name:
    # records of a request mostly share a stream, so one startswith() call
    # usually replaces decoding the field.
    last_field = b""
    last_stream = None
    index = 0
    # A slice past the end comes back short instead of failing, but it moves
    # `pos` past `end`, so the next index, unpack or the final check fails.
    try:
        for index in range(count):
            if last_field and payload.startswith(last_field, pos):
                pos += len(last_field)
                stream = last_stream
            else:
                start = pos
                length = payload[pos]
                if length < 0x80:
                    pos += 1
                else:
                    length, pos = varint(payload, pos)
                raw_stream = payload[pos : pos + length]
                pos += length
                stream = stream_names.get(raw_stream)
                if stream is None:
                    stream = raw_stream.decode("utf-8", "surrogateescape")
                    stream_names[raw_stream] = stream
                last_field = payload[start:pos]
                last_stream = stream
            length = payload[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = varint(payload, pos)
            key = payload[pos : pos + length]
            pos += length
            length = payload[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = varint(payload, pos)
            value = payload[pos : pos + length]
            pos += length
            time, entries = unpack_time_and_entries(payload, pos)
            if entries == 0:
                pos += 9
            else:
                pos = _decode_state(payload, pos + 8, key, seeds)
            append(Record(stream, key, value, time))
    except (IndexError, struct.error):
        raise ProtocolError(f"truncated process: record {index} of {count}") from None
    if pos > end:
        raise ProtocolError(f"truncated process: record {count - 1} of {count}")
    traces, pos = decode_traces(payload, pos, count, "process")
    _check_consumed(payload, pos, "process")
    return batch, watermark, records, seeds, traces


def decode_traces(payload, pos, items, what):
    """({index: 25-byte context}, position after) of the trace section at
    `payload[pos]`: a varint count, then (varint index, context) pairs with
    indices strictly increasing and below `items`."""
    if pos < len(payload) and payload[pos] == 0:
        return {}, pos + 1  # the usual case: nothing traced
    count, pos = decode_varint(payload, pos)
    if count > (len(payload) - pos) // (1 + TRACE_CONTEXT_BYTES):
        raise ProtocolError(
            f"truncated {what}: {count} traced items cannot fit "
            f"in the {len(payload) - pos} bytes left"
        )
    traces = {}
    smallest = 0
    for _ in range(count):
        index, pos = decode_varint(payload, pos)
        if index < smallest or index >= items:
            raise ProtocolError(
                f"{what}: traced index {index} is not after the previous one and below {items}"
            )
        if pos + TRACE_CONTEXT_BYTES > len(payload):
            raise ProtocolError(f"truncated {what}: trace context of item {index}")
        traces[index] = bytes(payload[pos : pos + TRACE_CONTEXT_BYTES])
        pos += TRACE_CONTEXT_BYTES
        smallest = index + 1
    return traces, pos


def decode_fire_timers(payload):
    """(batch, watermark, timers, seeds) of a `fire_timers` payload, as
    `decode_process` but with `Timer`s."""
    end = len(payload)
    if end < _REQUEST_FIXED.size:
        raise ProtocolError(f"truncated fire_timers: {end} bytes")
    batch, watermark = _REQUEST_FIXED.unpack_from(payload, 0)
    count, pos = decode_varint(payload, _REQUEST_FIXED.size)
    timers = []
    seeds = {}
    index = 0
    try:
        for index in range(count):
            key, pos = _decode_bytes(payload, pos, f"fire_timers: timer {index} key")
            tag, pos = _decode_bytes(payload, pos, f"fire_timers: timer {index} tag")
            time = I64.unpack_from(payload, pos)[0]
            domain = payload[pos + 8]
            pos += 9
            if domain > 1:
                raise ProtocolError(f"fire_timers: timer {index} has unknown domain {domain}")
            pos = _decode_state(payload, pos, key, seeds)
            timers.append(Timer(key, tag, time, _DOMAINS[domain]))
    except (IndexError, struct.error):
        raise ProtocolError(f"truncated fire_timers: timer {index} of {count}") from None
    if pos > end:
        raise ProtocolError(f"truncated fire_timers: timer {count - 1} of {count}")
    _check_consumed(payload, pos, "fire_timers")
    return batch, watermark, timers, seeds


def _decode_state(payload, pos, key, seeds):
    """Reads `m` and m state entries of `key` into `seeds`; the position after."""
    count, pos = decode_varint(payload, pos)
    if count == 0:
        return pos
    entries = {}
    for _ in range(count):
        name, pos = _decode_bytes(payload, pos, "state entry name")
        value, pos = _decode_bytes(payload, pos, "state entry value")
        entries[name] = value
    seeds.setdefault(key, entries)
    return pos


def check_empty(payload, what):
    """Rejects a payload that should be empty (`shutdown`)."""
    _check_consumed(payload, 0, what)


def decode_error(payload):
    """(code, message str) of an `error` payload."""
    if len(payload) < U16.size:
        raise ProtocolError("truncated error frame")
    code = U16.unpack_from(payload, 0)[0]
    message, pos = _decode_bytes(payload, U16.size, "error message")
    _check_consumed(payload, pos, "error")
    return code, message.decode("utf-8", "replace")


def encode_hello(sdk_name, metadata_json):
    """The `sdk_hello` frame: version, SDK name, metadata JSON (str)."""
    payload = (
        U16.pack(PROTOCOL_VERSION)
        + encode_bytes(sdk_name.encode("utf-8"))
        + encode_bytes(metadata_json.encode("utf-8"))
    )
    return encode_frame(SDK_HELLO, payload)


def encode_goodbye():
    return encode_frame(GOODBYE, b"")


def encode_error(code, message):
    return encode_frame(ERROR, U16.pack(code) + encode_bytes(message.encode("utf-8", "replace")))


class TransactionBuffer:
    """The sections of one `transaction`, appended to as the callbacks act
    and framed once at the end. All arguments are already bytes (times and
    enums ints); the caller converts and validates first, so a failing
    conversion never leaves half an entry behind.
    """

    __slots__ = (
        "produced",
        "n_produced",
        "writes",
        "n_writes",
        "timers",
        "n_timers",
        "logs",
        "n_logs",
        "failures",
        "n_failures",
        "traced",
        "n_traced",
    )

    def __init__(self):
        self.produced = bytearray()
        self.n_produced = 0
        self.writes = bytearray()
        self.n_writes = 0
        self.timers = bytearray()
        self.n_timers = 0
        self.logs = bytearray()
        self.n_logs = 0
        self.failures = bytearray()
        self.n_failures = 0
        self.traced = bytearray()
        self.n_traced = 0

    def add_record(self, stream, key, value, time):
        out = self.produced
        out += encode_bytes(stream)
        out += encode_bytes(key)
        out += encode_bytes(value)
        out += I64.pack(time)
        self.n_produced += 1

    def add_write(self, key, name, op, value):
        """`op`: 0 put, 1 erase (with an empty value)."""
        out = self.writes
        out += encode_bytes(key)
        out += encode_bytes(name)
        out.append(op)
        out += encode_bytes(value)
        self.n_writes += 1

    def add_timer(self, key, tag, time, domain):
        out = self.timers
        out += encode_bytes(key)
        out += encode_bytes(tag)
        out += I64.pack(time)
        out.append(domain)
        self.n_timers += 1

    def add_log(self, level, text):
        self.logs.append(level)
        self.logs += encode_bytes(text)
        self.n_logs += 1

    def add_trace(self, index, trace):
        """Marks produced record `index` as carrying `trace` (25 bytes);
        called in increasing `index` order."""
        self.traced += encode_varint(index)
        self.traced += trace
        self.n_traced += 1

    def add_failure(self, index, attempts, message):
        self.failures += _FAILURE_FIXED.pack(index, attempts)
        self.failures += encode_bytes(message)
        self.n_failures += 1

    def frame(self, batch):
        """The whole `transaction` frame answering request `batch`; raises
        TransactionTooLarge if it is over the executor's limit."""
        payload_parts = [
            U64.pack(batch),
            encode_varint(self.n_produced),
            self.produced,
            encode_varint(self.n_writes),
            self.writes,
            encode_varint(self.n_timers),
            self.timers,
            encode_varint(self.n_logs),
            self.logs,
            encode_varint(self.n_failures),
            self.failures,
            encode_varint(self.n_traced),
            self.traced,
        ]
        length = 1 + sum(len(part) for part in payload_parts)
        if length > MAX_TRANSACTION_LENGTH:
            raise TransactionTooLarge(
                f"transaction of batch {batch} is {length} bytes, over the executor's "
                f"limit of {MAX_TRANSACTION_LENGTH}"
            )
        payload_parts.insert(0, HEADER.pack(length, TRANSACTION))
        return b"".join(payload_parts)
