"""A user process that goes wrong on purpose, for tests/sdk/failures_test.cpp.

Speaks just enough of docs/protocol.md section 11, by hand (no SDK), to reach
the point where it misbehaves:

  exit_early   writes to stderr and exits 7 before connecting
  crash        says hello, answers init, then exits 7 on its first request
  hang         says hello, answers init, then never answers a request
  garbage      says hello, answers init, then sends bytes that are no frame
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


def read_frame(sock):
    header = b""
    while len(header) < 5:
        chunk = sock.recv(5 - len(header))
        if not chunk:
            sys.exit(1)
        header += chunk
    length, frame_type = struct.unpack("<IB", header)
    left = length - 1
    while left > 0:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            sys.exit(1)
        left -= len(chunk)
    return frame_type


def main():
    mode = sys.argv[1]
    print(f"misbehave: mode {mode}", file=sys.stderr, flush=True)
    if mode == "exit_early":
        print("misbehave: giving up before connecting", file=sys.stderr, flush=True)
        sys.exit(7)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(os.environ["EDDY_SOCKET"])
    metadata = '{"name": "misbehave", "inputs": [], "outputs": []}'
    sock.sendall(frame(0x40, struct.pack("<H", 1) + text("test/1") + text(metadata)))
    assert read_frame(sock) == 0x41  # init
    sock.sendall(frame(0x44, struct.pack("<Q", 0) + bytes(5)))  # empty transaction
    read_frame(sock)  # the first request
    if mode == "crash":
        print("misbehave: crashing on the first request", file=sys.stderr, flush=True)
        sys.exit(7)
    if mode == "garbage":
        sock.sendall(b"\x05\x00\x00\x00\x99garbage")
        time.sleep(60)
    if mode == "hang":
        time.sleep(600)


main()
