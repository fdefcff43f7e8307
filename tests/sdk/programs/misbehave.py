"""A user process that goes wrong on purpose, for tests/sdk/failures_test.cpp.

Speaks just enough of docs/protocol.md section 11, by hand (no SDK), to reach
the point where it misbehaves:

  exit_early   writes to stderr and exits 7 before connecting
  crash        says hello, answers init, then exits 7 on its first request
  hang         says hello, answers init, then never answers a request
  garbage      says hello, answers init, then sends bytes that are no frame
  bad_trace    says hello (version 2), answers init, then answers its first
               request with a trace context for a record it did not produce
  version1     an honest SDK of protocol version 1 (no trace sections): echoes
               every record it is sent on stream `echoed`, until shutdown
"""
import os
import socket
import struct
import sys
import time


def frame(frame_type, payload=b""):
    return struct.pack("<IB", len(payload) + 1, frame_type) + payload


def text(value):
    data = value.encode()
    assert len(data) < 128
    return bytes([len(data)]) + data


def receive(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 65536))
        if not chunk:
            sys.exit(1)
        data += chunk
    return data


def read_frame_and_payload(sock):
    length, frame_type = struct.unpack("<IB", receive(sock, 5))
    return frame_type, receive(sock, length - 1)


def read_frame(sock):
    return read_frame_and_payload(sock)[0]


def varint(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def encode_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field(data, pos):
    length, pos = varint(data, pos)
    return data[pos : pos + length], pos + length


def echo_version1(sock):
    """Answers process requests (laid out as in version 1) by producing each
    record again on `echoed`; fire_timers with nothing; shutdown with goodbye."""
    while True:
        frame_type, payload = read_frame_and_payload(sock)
        if frame_type == 0x45:
            sock.sendall(frame(0x46))
            sys.exit(0)
        batch = payload[:8]
        produced = b""
        count = 0
        if frame_type == 0x42:
            n, pos = varint(payload, 16)
            for _ in range(n):
                _, pos = field(payload, pos)
                key, pos = field(payload, pos)
                value, pos = field(payload, pos)
                time_bytes, pos = payload[pos : pos + 8], pos + 8
                m, pos = varint(payload, pos)
                for _ in range(2 * m):
                    _, pos = field(payload, pos)
                produced += text("echoed") + encode_varint(len(key)) + key
                produced += encode_varint(len(value)) + value + time_bytes
                count += 1
            assert pos == len(payload), "a version-1 process frame ends after its records"
        sock.sendall(frame(0x44, batch + encode_varint(count) + produced + bytes(4)))


def main():
    mode = sys.argv[1]
    print(f"misbehave: mode {mode}", file=sys.stderr, flush=True)
    if mode == "exit_early":
        print("misbehave: giving up before connecting", file=sys.stderr, flush=True)
        sys.exit(7)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ["EDDY_SOCKET"])
    metadata = '{"name": "misbehave", "inputs": [], "outputs": []}'
    version = 2 if mode == "bad_trace" else 1
    sock.sendall(frame(0x40, struct.pack("<H", version) + text("test/1") + text(metadata)))
    assert read_frame(sock) == 0x41  # init
    # An empty transaction, with the empty trace section of version 2.
    sock.sendall(frame(0x44, struct.pack("<Q", 0) + bytes(5 if version == 1 else 6)))
    if mode == "version1":
        echo_version1(sock)
    _, request = read_frame_and_payload(sock)  # the first request
    if mode == "bad_trace":
        # Nothing produced, yet a trace context for produced record 0.
        sock.sendall(frame(0x44, request[:8] + bytes(5) + b"\x01\x00" + bytes(25)))
        time.sleep(60)
    if mode == "crash":
        print("misbehave: crashing on the first request", file=sys.stderr, flush=True)
        sys.exit(7)
    if mode == "garbage":
        sock.sendall(b"\x05\x00\x00\x00\x99garbage")
        time.sleep(60)
    if mode == "hang":
        time.sleep(600)


main()
