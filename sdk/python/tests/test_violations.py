"""Protocol violations by the executor: each makes the SDK send `error`
protocol_error naming what it saw, close, and exit 3 with one line on stderr."""

import os
import sys
import unittest

from eddy import codec
from eddy import executor_codec as ec
from eddy.testing import FakeExecutor

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "probe.py")

_ONE_RECORD = ec.encode_process(1, 0, [("in", "k", "count", 1)])


class ViolationTest(unittest.TestCase):
    def assert_rejected(self, frames, message, initialise=True):
        executor = FakeExecutor([sys.executable, PROBE])
        self.addCleanup(executor.close)
        executor.start()
        executor.hello()
        if initialise:
            executor.init()
        for frame in frames:
            executor.send(frame)
        code, text = executor.error()
        self.assertEqual(code, codec.PROTOCOL_ERROR)
        self.assertIn(message, text)
        self.assertIsNone(executor.read_frame())  # it closed the connection
        self.assertEqual(executor.wait(), 3)
        stderr = executor.stderr()
        self.assertEqual(stderr.count("\n"), 1, stderr)
        self.assertIn(message, stderr)

    def test_garbage_bytes(self):
        self.assert_rejected([b"GET / HTTP/1.1\r\n\r\n"], "frame length 542393671 is outside")

    def test_an_unknown_frame_type(self):
        self.assert_rejected([codec.encode_frame(0x48, b"")], "unknown frame type 0x48")

    def test_a_data_plane_frame_type(self):
        self.assert_rejected([codec.encode_frame(0x02, b"")], "unknown frame type 0x02")

    def test_a_frame_only_the_sdk_sends(self):
        self.assert_rejected([codec.encode_frame(codec.TRANSACTION, bytes(13))], "unexpected transaction")

    def test_a_truncated_payload(self):
        two_records_announced = bytearray(_ONE_RECORD)
        two_records_announced[5 + 16] = 2
        self.assert_rejected([bytes(two_records_announced)], "truncated process: record 1 of 2")

    def test_a_truncated_field(self):
        payload = _ONE_RECORD[5:-3]
        self.assert_rejected([codec.encode_frame(codec.PROCESS, payload)], "truncated process")

    def test_trailing_bytes(self):
        self.assert_rejected([codec.encode_frame(codec.SHUTDOWN, b"\x00")],
                             "1 trailing bytes after shutdown")

    def test_process_before_init(self):
        self.assert_rejected([_ONE_RECORD], "unexpected process before init", initialise=False)

    def test_fire_timers_before_init(self):
        frame = ec.encode_fire_timers(1, 0, [])
        self.assert_rejected([frame], "unexpected fire_timers before init", initialise=False)

    def test_a_second_init(self):
        self.assert_rejected([ec.encode_init()], "unexpected init: the instance is already initialised")

    def test_an_oversized_length(self):
        header = codec.U32.pack(codec.MAX_REQUEST_LENGTH + 1) + bytes((codec.PROCESS,))
        self.assert_rejected([header], f"frame length {codec.MAX_REQUEST_LENGTH + 1} is outside")

    def test_a_zero_length(self):
        self.assert_rejected([codec.U32.pack(0)], "frame length 0 is outside")

    def test_a_bad_varint(self):
        payload = bytes(16) + b"\x80\x00"
        self.assert_rejected([codec.encode_frame(codec.PROCESS, payload)], "overlong")

    def test_an_error_from_the_executor_ends_the_conversation_without_an_answer(self):
        executor = FakeExecutor([sys.executable, PROBE])
        self.addCleanup(executor.close)
        executor.start()
        executor.hello()
        executor.send(codec.encode_error(3, "executor is going away"))
        self.assertIsNone(executor.read_frame())
        self.assertEqual(executor.wait(), 3)
        self.assertIn("executor is going away", executor.stderr())


if __name__ == "__main__":
    unittest.main()
