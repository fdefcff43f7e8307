"""The codec alone: varints (docs/protocol.md section 3) and the worked
example of section 11.5, byte for byte."""

import unittest

from eddy import codec
from eddy.codec import ProtocolError, TransactionBuffer

# docs/protocol.md 11.5: the record's trace context (the W3C example).
WORKED_TRACE = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736" "00f067aa0ba902b7" "01")
# `process` for counter, key "ab", state count = 2, traced.
WORKED_PROCESS = bytes.fromhex(
    "49000000" "42" "0100000000000000" "ffffffffffffffff" "01"
    "05776f726473" "026162" "0131" "0500000000000000" "01" "05636f756e74" "0132"
    "01" "00"
) + WORKED_TRACE
# ... and the counter's answer: count = 3 put, ab -> 3 produced on counts,
# carrying the input's context.
WORKED_TRANSACTION = bytes.fromhex(
    "49000000" "44" "0100000000000000"
    "01" "06636f756e7473" "026162" "0133" "0500000000000000"
    "01" "026162" "05636f756e74" "00" "0133"
    "00" "00" "00"
    "01" "00"
) + WORKED_TRACE

VARINTS = [
    (0, "00"),
    (1, "01"),
    (127, "7f"),
    (128, "8001"),
    (300, "ac02"),
    (16384, "808001"),
    ((1 << 64) - 1, "ffffffffffffffffff01"),
]


class VarintTest(unittest.TestCase):
    def test_encodes_the_table(self):
        for value, hex_bytes in VARINTS:
            with self.subTest(value=value):
                self.assertEqual(codec.encode_varint(value).hex(), hex_bytes)

    def test_decodes_the_table_and_reports_the_end(self):
        for value, hex_bytes in VARINTS:
            with self.subTest(value=value):
                data = bytes.fromhex(hex_bytes) + b"\x99"
                self.assertEqual(codec.decode_varint(data, 0), (value, len(data) - 1))

    def test_rejects_overlong_encodings(self):
        for hex_bytes in ("8000", "8100", "ff8000", "ffffffffffffffffff00"):
            with self.subTest(hex_bytes=hex_bytes):
                with self.assertRaisesRegex(ProtocolError, "overlong"):
                    codec.decode_varint(bytes.fromhex(hex_bytes), 0)

    def test_rejects_more_than_64_bits(self):
        for hex_bytes in ("ffffffffffffffffff02", "ffffffffffffffffff7f", "ffffffffffffffffff8101"):
            with self.subTest(hex_bytes=hex_bytes):
                with self.assertRaisesRegex(ProtocolError, "more than 64 bits"):
                    codec.decode_varint(bytes.fromhex(hex_bytes), 0)

    def test_rejects_a_varint_cut_off(self):
        for hex_bytes in ("", "80", "ffff"):
            with self.subTest(hex_bytes=hex_bytes):
                with self.assertRaisesRegex(ProtocolError, "truncated varint"):
                    codec.decode_varint(bytes.fromhex(hex_bytes), 0)

    def test_refuses_to_encode_out_of_range(self):
        for value in (-1, 1 << 64):
            with self.subTest(value=value), self.assertRaises(ValueError):
                codec.encode_varint(value)


class WorkedExampleTest(unittest.TestCase):
    def test_decodes_the_process_frame(self):
        length, frame_type = codec.HEADER.unpack_from(WORKED_PROCESS)
        self.assertEqual((length, frame_type), (73, codec.PROCESS))
        self.assertEqual(len(WORKED_PROCESS), 4 + length)
        batch, watermark, records, seeds, traces = codec.decode_process(WORKED_PROCESS[5:], {})
        self.assertEqual(traces, {0: WORKED_TRACE})
        self.assertEqual((batch, watermark), (1, -1))
        self.assertEqual(len(records), 1)
        record = records[0]
        self.assertEqual((record.stream, record.key, record.value, record.time), ("words", b"ab", b"1", 5))
        self.assertEqual(seeds, {b"ab": {b"count": b"2"}})

    def test_encodes_the_transaction(self):
        tx = TransactionBuffer()
        tx.add_record(b"counts", b"ab", b"3", 5)
        tx.add_write(b"ab", b"count", 0, b"3")
        tx.add_trace(0, WORKED_TRACE)
        self.assertEqual(tx.frame(1).hex(), WORKED_TRANSACTION.hex())

    def test_untraced_frames_end_in_an_empty_trace_section(self):
        tx = TransactionBuffer()
        tx.add_record(b"counts", b"ab", b"3", 5)
        tx.add_write(b"ab", b"count", 0, b"3")
        untraced = WORKED_TRANSACTION[:-27] + b"\x00"
        untraced = codec.HEADER.pack(47, codec.TRANSACTION) + untraced[5:]
        self.assertEqual(tx.frame(1).hex(), untraced.hex())


class RequestDecodingTest(unittest.TestCase):
    def test_long_fields_use_multi_byte_varints(self):
        value = b"v" * 300
        payload = (
            bytes(16) + b"\x01" + b"\x01s" + b"\x01k" + codec.encode_bytes(value) + bytes(8) + b"\x00"
            + b"\x00"
        )
        _, _, records, _, _ = codec.decode_process(payload, {})
        self.assertEqual(records[0].value, value)

    def test_rejects_a_truncated_process(self):
        whole = WORKED_PROCESS[5:]
        for cut in (3, 17, 20, 30, len(whole) - 1):
            with self.subTest(cut=cut), self.assertRaisesRegex(ProtocolError, "truncated"):
                codec.decode_process(whole[:cut], {})

    def test_rejects_a_bad_trace_section(self):
        records = WORKED_PROCESS[5:-27]
        cases = [
            (b"", "truncated varint"),
            (b"\x01\x01" + WORKED_TRACE, "traced index 1 is not after the previous one and below 1"),
            (b"\x01\x00" + WORKED_TRACE[:10], "1 traced items cannot fit"),
            (b"\x02\x00" + WORKED_TRACE + b"\x00" + WORKED_TRACE, "traced index 0 is not after"),
        ]
        for tail, message in cases:
            with self.subTest(tail=tail.hex()), self.assertRaisesRegex(ProtocolError, message):
                codec.decode_process(records + tail, {})

    def test_rejects_trailing_bytes(self):
        with self.assertRaisesRegex(ProtocolError, "1 trailing bytes after process"):
            codec.decode_process(WORKED_PROCESS[5:] + b"\x00", {})

    def test_rejects_a_timer_domain_it_does_not_know(self):
        payload = bytes(16) + b"\x01" + b"\x01k" + b"\x00" + bytes(8) + b"\x02" + b"\x00"
        with self.assertRaisesRegex(ProtocolError, "unknown domain 2"):
            codec.decode_fire_timers(payload)

    def test_rejects_config_that_is_not_an_object_of_strings(self):
        for raw in (b"[1]", b'{"a": 1}', b"{"):
            payload = bytes(12) + codec.encode_bytes(raw)
            with self.subTest(raw=raw), self.assertRaisesRegex(ProtocolError, "config"):
                codec.decode_init(payload)


if __name__ == "__main__":
    unittest.main()
