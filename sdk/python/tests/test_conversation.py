"""The whole conversation against a real child process: tests/programs/probe.py
run by eddy.testing.FakeExecutor over a Unix socket in a temporary directory."""

import json
import os
import subprocess
import sys
import time
import unittest

import eddy
from eddy import MIN_TIME
from eddy.testing import FakeExecutor

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "probe.py")


class ConversationTest(unittest.TestCase):
    def start(self, **init):
        executor = FakeExecutor([sys.executable, PROBE])
        self.addCleanup(executor.close)
        executor.start()
        self.hello = executor.hello()
        self.init_tx = executor.init(**init)
        return executor

    def test_hello_carries_version_sdk_and_metadata(self):
        self.start()
        self.assertEqual(self.hello.version, 2)
        self.assertEqual(self.hello.sdk, "python/1.0.0")
        self.assertEqual(
            self.hello.metadata,
            {
                "name": "probe",
                "inputs": [
                    {"stream": "in", "grouping": "key"},
                    {"stream": "control", "grouping": "broadcast"},
                ],
                "outputs": ["out"],
            },
        )

    def test_init_sees_config_and_produces_at_time_zero(self):
        self.start(config={"greeting": "hi"})
        tx = self.init_tx
        self.assertEqual(tx.batch, 0)
        self.assertEqual(tx.logs, [(1, "init hi")])
        self.assertEqual(tx.produced, [("out", b"init", b"hello", 0)])
        self.assertEqual((tx.writes, tx.timers, tx.failures), ([], [], []))

    def test_reads_see_earlier_writes_of_the_request_and_the_next_request_starts_fresh(self):
        executor = self.start()
        tx = executor.process_records(1, 10, [
            ("in", "a", "count", 1, {"count": "5"}),
            ("in", "b", "count", 2),
            ("in", "a", "count", 3),
            ("in", "a", "read", 4),
            ("in", "b", "erase", 5),
            ("in", "b", "read", 6),
        ])
        self.assertEqual(tx.batch, 1)
        self.assertEqual([(p[1], p[2]) for p in tx.produced],
                         [(b"a", b"6"), (b"b", b"1"), (b"a", b"7"), (b"a", b"7"), (b"b", b"none")])
        self.assertEqual(tx.writes, [
            (b"a", b"count", 0, b"6"),
            (b"b", b"count", 0, b"1"),
            (b"a", b"count", 0, b"7"),
            (b"b", b"count", 1, b""),
        ])
        # The executor applied the writes; the next request brings the stored state.
        tx = executor.process_records(2, 10, [
            ("in", "a", "read", 7, {"count": "9"}),
            ("in", "b", "read", 8),
        ])
        self.assertEqual([(p[1], p[2]) for p in tx.produced], [(b"a", b"9"), (b"b", b"none")])
        self.assertEqual(tx.writes, [])

    def test_produce_keeps_the_record_time_unless_given_one(self):
        executor = self.start()
        tx = executor.process_records(1, 0, [("in", "k", "count", 1234), ("in", "k", "at:-42", 99)])
        self.assertEqual([p[3] for p in tx.produced], [1234, -42])
        self.assertEqual(tx.produced[1][:3], ("out", b"k", b"at:-42"))

    def test_timers_are_set_then_fired_with_the_state_of_their_key(self):
        executor = self.start()
        tx = executor.process_records(1, 0, [("in", "k", "timer:100", 1), ("in", "k", "ptimer:7", 2)])
        self.assertEqual(tx.timers, [(b"k", b"tag", 100, 0), (b"other", b"", 7, 1)])
        self.assertEqual(tx.produced, [])
        tx = executor.fire_timers(2, 150, [
            ("k", "tag", 100, 0, {"count": "3"}),
            ("k", "tag", 120, 0),
            ("other", "", 7, 1),
        ])
        self.assertEqual(tx.batch, 2)
        self.assertEqual(tx.produced, [
            ("out", b"k", b"fired tag 0 4", 100),
            ("out", b"k", b"fired tag 0 5", 120),
            ("out", b"other", b"fired  1 1", 7),
        ])
        self.assertEqual(tx.writes, [
            (b"k", b"count", 0, b"4"), (b"k", b"count", 0, b"5"), (b"other", b"count", 0, b"1")
        ])

    def test_raising_callbacks_are_retried_and_reported(self):
        executor = self.start(max_retries=2)
        tx = executor.process_records(1, 0, [
            ("in", "a", "flaky:1", 1),
            ("in", "b", "fail", 2),
            ("in", "c", "count", 3),
            ("in", "d", "flaky:5", 4),
        ])
        self.assertEqual(tx.failures, [
            (0, 1, "ValueError: flaky attempt 1"),
            (1, 3, "RuntimeError: always fails"),
            (3, 3, "ValueError: flaky attempt 3"),
        ])
        # The effects of every attempt stay.
        self.assertEqual([(p[1], p[2]) for p in tx.produced], [
            (b"a", b"recovered"), (b"b", b"attempt"), (b"b", b"attempt"), (b"b", b"attempt"),
            (b"c", b"1"),
        ])

    def test_a_traced_inputs_outputs_carry_its_context_and_others_none(self):
        executor = self.start(max_retries=2)
        first = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736" "00f067aa0ba902b7" "01")
        second = bytes(range(25))
        tx = executor.process_records(1, 0, [
            ("in", "a", "count", 1),   # traced: out 0
            ("in", "b", "count", 2),   # untraced: out 1
            ("in", "c", "fail", 3),    # traced, three attempts: out 2, 3, 4
            ("in", "d", "timer:9", 4), # traced, produces nothing
            ("in", "e", "read", 5),    # untraced: out 5
        ], traces={0: first, 2: second, 3: first})
        self.assertEqual(len(tx.produced), 6)
        self.assertEqual(tx.traced, {0: first, 2: second, 3: second, 4: second})
        # A timer set under a traced record fires untraced.
        fired = executor.fire_timers(2, 10, [("d", "tag", 9, 0)])
        self.assertEqual(len(fired.produced), 1)
        self.assertEqual(fired.traced, {})
        # Nothing carries over into the next request.
        tx = executor.process_records(3, 10, [("in", "a", "count", 6)])
        self.assertEqual(tx.traced, {})
        self.assertEqual(self.init_tx.traced, {})

    def test_a_bad_trace_section_is_a_protocol_error(self):
        executor = self.start()
        from eddy import codec, executor_codec as ec

        body = ec.encode_process(1, 0, [("in", "a", "count", 1)])[5:-1]
        # Index 1 of a one-record request.
        executor.send(codec.encode_frame(codec.PROCESS, body + b"\x01\x01" + bytes(25)))
        code, message = executor.error()
        self.assertEqual(code, codec.PROTOCOL_ERROR)
        self.assertIn("traced index 1", message)

    def test_init_failure_is_retried_and_reported_at_index_zero(self):
        self.start(max_retries=1, config={"init_fails": "yes"})
        self.assertEqual(self.init_tx.failures, [(0, 2, "ValueError: init refused")])

    def test_state_calls_in_init_fail_it(self):
        self.start(config={"state_in_init": "yes"})
        [(index, attempts, message)] = self.init_tx.failures
        self.assertEqual((index, attempts), (0, 1))
        self.assertIn("NoCurrentKeyError", message)

    def test_logs_watermark_instance_and_clock(self):
        executor = self.start(index=2, count=5)
        before = time.time_ns() // 1000
        tx = executor.process_records(1, -77, [("control", "k", "info", 1), ("in", "k", "log", 2)])
        after = time.time_ns() // 1000
        self.assertEqual(tx.logs, [(2, "saw k")])
        info = json.loads(tx.produced[0][2])
        self.assertEqual((info["stream"], info["watermark"], info["index"], info["count"]),
                         ("control", -77, 2, 5))
        self.assertTrue(before <= info["processing_time"] <= after)

    def test_shutdown_is_answered_with_goodbye_and_exit_zero(self):
        executor = self.start()
        executor.process_records(1, MIN_TIME, [("in", "a", "count", 1)])
        executor.shutdown()
        self.assertIsNone(executor.read_frame())
        self.assertEqual(executor.wait(), 0)

    def test_a_connection_closed_without_shutdown_exits_non_zero(self):
        executor = self.start()
        executor.connection.close()
        self.assertNotEqual(executor.wait(), 0)
        self.assertIn("closed the connection without shutdown", executor.stderr())

    def test_without_eddy_socket_it_exits_2(self):
        env = {k: v for k, v in os.environ.items() if k != "EDDY_SOCKET"}
        env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(eddy.__file__)))
        result = subprocess.run([sys.executable, PROBE], env=env, capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"EDDY_SOCKET is not set", result.stderr)


if __name__ == "__main__":
    unittest.main()
