"""The socket side of the SDK: reads frames in large chunks, hands them to
a `Conversation`, writes each reply with one call, and turns every way the
conversation can end into an exit status.

`serve` runs over an already-connected socket (tests use a socketpair);
`run` is the entry point a program calls: it connects to $EDDY_SOCKET and
exits the process when the conversation ends.
"""

import os
import socket
import sys

from . import codec
from .codec import ProtocolError, TransactionTooLarge
from .conversation import Conversation, ExecutorError

# Exit statuses.
EXIT_OK = 0  # shutdown answered with goodbye
EXIT_SETUP = 2  # EDDY_SOCKET unset or not connectable
EXIT_PROTOCOL = 3  # the executor sent something the protocol does not allow, or `error`
EXIT_CONNECTION_LOST = 4  # the executor closed the connection without shutdown
EXIT_INTERNAL = 5  # the SDK itself failed (a transaction over the limit, a bug)

_CHUNK = 1 << 20


class ConnectionClosed(Exception):
    """The executor closed the connection between frames, without shutdown."""


class FrameReader:
    """Splits a stream socket into frames. Reads with recv_into into one
    reusable buffer; checks each frame's length before buffering it and its
    type (through `check_type`) before reading its payload."""

    __slots__ = ("_sock", "_buf", "_view", "_start", "_end", "_max_length")

    def __init__(self, sock, max_length=codec.MAX_REQUEST_LENGTH):
        self._sock = sock
        self._buf = bytearray(_CHUNK)
        self._view = memoryview(self._buf)
        self._start = 0  # first unconsumed byte
        self._end = 0  # one past the last received byte
        self._max_length = max_length

    def next_frame(self, check_type):
        """(type, payload bytes) of the next frame."""
        self._fill(4, between_frames=True)
        length = codec.U32.unpack_from(self._buf, self._start)[0]
        if length == 0 or length > self._max_length:
            raise ProtocolError(
                f"frame length {length} is outside 1..{self._max_length}"
            )
        self._fill(5, between_frames=False)
        frame_type = self._buf[self._start + 4]
        check_type(frame_type)
        self._fill(4 + length, between_frames=False)
        start = self._start
        payload = bytes(self._view[start + 5 : start + 4 + length])
        self._start = start + 4 + length
        return frame_type, payload

    def _fill(self, need, between_frames):
        """Makes `need` bytes from `_start` available, making room first."""
        if self._end - self._start >= need:
            return
        if self._start + need > len(self._buf):
            pending = self._end - self._start
            if need > len(self._buf):
                grown = bytearray(max(need, 2 * len(self._buf)))
                grown[:pending] = self._view[self._start : self._end]
                self._view.release()
                self._buf = grown
                self._view = memoryview(grown)
            else:
                self._buf[:pending] = self._view[self._start : self._end]
            self._start = 0
            self._end = pending
        while self._end - self._start < need:
            received = self._sock.recv_into(self._view[self._end :])
            if received == 0:
                pending = self._end - self._start
                if between_frames and pending == 0:
                    raise ConnectionClosed("the executor closed the connection without shutdown")
                raise ProtocolError(
                    f"the connection closed inside a frame ({pending} of {need} bytes)"
                )
            self._end += received


def serve(computation, sock, stderr=None):
    """Runs the conversation for `computation` over the connected `sock`
    until it ends; returns the exit status and closes `sock`. Each
    non-zero status comes with one line on `stderr` (default sys.stderr)."""
    stderr = stderr or sys.stderr
    conversation = Conversation(computation)
    reader = FrameReader(sock)
    try:
        sock.sendall(conversation.hello())
        while not conversation.finished:
            frame_type, payload = reader.next_frame(conversation.expect)
            sock.sendall(conversation.handle(frame_type, payload))
        return EXIT_OK
    except ProtocolError as exc:
        _send_error(sock, codec.PROTOCOL_ERROR, str(exc))
        return _fail(stderr, EXIT_PROTOCOL, f"protocol error: {exc}")
    except ExecutorError as exc:
        return _fail(stderr, EXIT_PROTOCOL, str(exc))
    except ConnectionClosed as exc:
        return _fail(stderr, EXIT_CONNECTION_LOST, str(exc))
    except OSError as exc:
        return _fail(stderr, EXIT_CONNECTION_LOST, f"connection to the executor failed: {exc}")
    except TransactionTooLarge as exc:
        _send_error(sock, codec.INTERNAL_ERROR, str(exc))
        return _fail(stderr, EXIT_INTERNAL, f"internal error: {exc}")
    except Exception as exc:  # a bug in the SDK: callbacks' exceptions never get here
        message = f"{type(exc).__name__}: {exc}"
        _send_error(sock, codec.INTERNAL_ERROR, message)
        return _fail(stderr, EXIT_INTERNAL, f"internal error: {message}")
    finally:
        sock.close()


def _send_error(sock, code, message):
    # Best effort: the executor may already be gone, and we exit either way.
    try:
        sock.sendall(codec.encode_error(code, message))
    except OSError:
        pass


def _fail(stderr, status, message):
    print(f"eddy: {message}", file=stderr, flush=True)
    return status


def run(computation):
    """Connects to $EDDY_SOCKET, serves `computation` and exits the process:
    status 0 after shutdown, non-zero (with a line on stderr) otherwise."""
    path = os.environ.get("EDDY_SOCKET")
    if not path:
        _fail(sys.stderr, EXIT_SETUP, "EDDY_SOCKET is not set: run this program under an eddy "
              "executor (manifest `command:`, or `attach: true` and the variables it logs)")
        sys.exit(EXIT_SETUP)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        _fail(sys.stderr, EXIT_SETUP, f"cannot connect to EDDY_SOCKET {path}: {exc}")
        sys.exit(EXIT_SETUP)
    sys.exit(serve(computation, sock))
