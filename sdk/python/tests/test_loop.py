"""`eddy.serve` in-process over a socketpair: the worked example of
docs/protocol.md 11.5 end to end, frames split across reads and frames
larger than the read buffer."""

import io
import socket
import threading
import unittest

import eddy
from eddy import executor_codec as ec
from eddy.testing import ExecutorEnd
from test_codec import WORKED_PROCESS, WORKED_TRANSACTION


class WordCounter(eddy.Computation):
    def metadata(self):
        return eddy.Metadata("counter", inputs=[("words", eddy.Grouping.KEY)], outputs=["counts"])

    def process_record(self, ctx, record):
        n = int(ctx.get("count") or 0) + 1
        ctx.put("count", str(n))
        ctx.produce("counts", record.key, str(n))


class Echo(eddy.Computation):
    def metadata(self):
        return eddy.Metadata("echo", inputs=[("in", "shuffle")], outputs=["out"])

    def process_record(self, ctx, record):
        ctx.produce("out", record.key, record.value)


class ServeTest(unittest.TestCase):
    def serve(self, computation):
        executor_socket, sdk_socket = socket.socketpair()
        self.addCleanup(executor_socket.close)
        self.stderr = io.StringIO()
        self.status = None

        def conversation():
            self.status = eddy.serve(computation, sdk_socket, stderr=self.stderr)

        thread = threading.Thread(target=conversation, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        executor = ExecutorEnd(executor_socket, timeout=10)
        executor.hello()
        executor.init()
        return executor, thread

    def finish(self, executor, thread):
        executor.shutdown()
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertEqual(self.status, 0, self.stderr.getvalue())

    def test_the_worked_example_byte_for_byte(self):
        executor, thread = self.serve(WordCounter())
        executor.send(WORKED_PROCESS)
        frame_type, payload = executor.read_frame()
        self.assertEqual(eddy.codec.HEADER.pack(len(payload) + 1, frame_type) + payload,
                         WORKED_TRANSACTION)
        self.finish(executor, thread)

    def test_frames_split_into_single_bytes(self):
        executor, thread = self.serve(WordCounter())
        for byte in WORKED_PROCESS:
            executor.send(bytes((byte,)))
        self.assertEqual(executor.transaction().produced, [("counts", b"ab", b"3", 5)])
        self.finish(executor, thread)

    def test_frames_larger_than_the_read_buffer(self):
        executor, thread = self.serve(Echo())
        values = [bytes([65 + i]) * (900 * 1024) for i in range(3)]
        records = [("in", f"k{i}", value, i) for i, value in enumerate(values)]
        # Two frames back to back, so the second starts inside the grown buffer;
        # sent from another thread because the answer to the first comes back
        # while the second is still being written.
        frames = ec.encode_process(1, 0, records) + ec.encode_process(2, 0, records[:1])
        sender = threading.Thread(target=executor.send, args=(frames,), daemon=True)
        sender.start()
        self.addCleanup(sender.join, 10)
        self.assertEqual([p[2] for p in executor.transaction().produced], values)
        self.assertEqual([p[2] for p in executor.transaction().produced], values[:1])
        self.finish(executor, thread)


if __name__ == "__main__":
    unittest.main()
