"""A fake executor for tests: the executor's side of one conversation with
a real user process.

    with FakeExecutor([sys.executable, "counter.py"]) as executor:
        hello = executor.hello()
        executor.init(config={"path": "out.txt"})
        tx = executor.process_records(1, MIN_TIME, [("words", "ab", "1", 5)])
        executor.shutdown()
        assert executor.wait() == 0

It listens on a Unix socket in a fresh temporary directory, starts the
program with EDDY_SOCKET and the other variables of docs/protocol.md 11.1
(and PYTHONPATH reaching this SDK), and waits on every read with a
deadline. Leaving the `with` block kills the program if it still runs and
removes the directory.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from . import codec, executor_codec

_SDK_SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ExecutorTestError(AssertionError):
    """The program did not do what the protocol says it must, in time."""


class ExecutorEnd:
    """The executor's end of a connected socket: frames out, decoded frames
    in, every read bounded by `timeout` seconds."""

    def __init__(self, connection=None, timeout=10.0):
        self.connection = connection
        self.timeout = timeout
        self._pending = b""
        if connection is not None:
            connection.settimeout(timeout)

    def send(self, frame):
        self.connection.sendall(frame)

    def read_frame(self):
        """(type, payload) of the next frame; None if the program closed the connection."""
        header = self._read(5)
        if header is None:
            return None
        length, frame_type = codec.HEADER.unpack(header)
        payload = self._read(length - 1)
        if payload is None:
            raise ExecutorTestError("the connection closed inside a frame")
        return frame_type, payload

    def _read(self, size):
        while len(self._pending) < size:
            chunk = self.connection.recv(1 << 20)
            if not chunk:
                if self._pending:
                    raise ExecutorTestError("the connection closed inside a frame")
                return None
            self._pending += chunk
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def expect(self, frame_type):
        frame = self.read_frame()
        if frame is None:
            raise ExecutorTestError(
                f"expected {codec.FRAME_NAMES[frame_type]}, the connection closed{self._why()}"
            )
        if frame[0] != frame_type:
            raise ExecutorTestError(
                f"expected {codec.FRAME_NAMES[frame_type]}, got type 0x{frame[0]:02x}: {frame[1]!r}"
            )
        return frame[1]

    def _why(self):
        return ""

    def hello(self):
        return executor_codec.decode_hello(self.expect(codec.SDK_HELLO))

    def transaction(self):
        return executor_codec.decode_transaction(self.expect(codec.TRANSACTION))

    def init(self, index=0, count=1, max_retries=0, config=None):
        self.send(executor_codec.encode_init(index, count, max_retries, config))
        return self.transaction()

    def process_records(self, batch, watermark, records, traces=None):
        """`traces`: {record index: 25-byte trace context} of traced records."""
        self.send(executor_codec.encode_process(batch, watermark, records, traces))
        return self.transaction()

    def fire_timers(self, batch, watermark, timers):
        self.send(executor_codec.encode_fire_timers(batch, watermark, timers))
        return self.transaction()

    def shutdown(self):
        self.send(executor_codec.encode_shutdown())
        self.expect(codec.GOODBYE)

    def error(self):
        """(code, message) of the `error` the program must send next."""
        return executor_codec.decode_error(self.expect(codec.ERROR))


class FakeExecutor(ExecutorEnd):
    """An `ExecutorEnd` that starts the program itself (see the module comment)."""

    def __init__(self, argv, timeout=10.0, computation="test", index=0, count=1, env=None):
        super().__init__(None, timeout)
        self.argv = list(argv)
        self.directory = tempfile.mkdtemp(prefix="eddy-sdk-test-")
        self.socket_path = os.path.join(self.directory, "sdk.sock")
        self.stderr_path = os.path.join(self.directory, "stderr")
        self.process = None
        self._listener = None
        self._env = dict(os.environ)
        python_path = self._env.get("PYTHONPATH")
        self._env["PYTHONPATH"] = _SDK_SOURCE + (os.pathsep + python_path if python_path else "")
        self._env.update(
            EDDY_SOCKET=self.socket_path,
            EDDY_COMPUTATION=computation,
            EDDY_INSTANCE_INDEX=str(index),
            EDDY_INSTANCE_COUNT=str(count),
        )
        self._env.update(env or {})

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def start(self):
        """Listens, starts the program and accepts its connection."""
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.socket_path)
        self._listener.listen(1)
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                self.argv, env=self._env, stdin=subprocess.DEVNULL, stderr=stderr, cwd=self.directory
            )
        deadline = time.monotonic() + self.timeout
        self._listener.settimeout(0.05)
        while self.connection is None:
            try:
                self.connection, _ = self._listener.accept()
            except socket.timeout:
                if self.process.poll() is not None:
                    raise ExecutorTestError(f"the program exited before connecting: {self.stderr()}")
                if time.monotonic() > deadline:
                    raise ExecutorTestError("the program did not connect in time")
        self.connection.settimeout(self.timeout)

    def wait(self):
        """The program's exit status, waiting at most `timeout`."""
        try:
            return self.process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            raise ExecutorTestError("the program did not exit in time") from None

    def _why(self):
        return f": {self.stderr()}"

    def stderr(self):
        with open(self.stderr_path, "rb") as stderr:
            return stderr.read().decode("utf-8", "replace")

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for sock in (self.connection, self._listener):
            if sock is not None:
                sock.close()
        shutil.rmtree(self.directory, ignore_errors=True)
