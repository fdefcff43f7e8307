"""The word count roles as real processes under eddy.testing.FakeExecutor."""

import os
import sys
import tempfile
import unittest

from eddy.testing import FakeExecutor

WORDCOUNT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wordcount.py")


class WordCountTest(unittest.TestCase):
    def start(self, role, **init):
        executor = FakeExecutor([sys.executable, WORDCOUNT, role])
        self.addCleanup(executor.close)
        executor.start()
        self.hello = executor.hello()
        self.init_tx = executor.init(**init)
        return executor

    def test_splitter_produces_each_non_empty_word_at_the_line_time(self):
        executor = self.start("splitter")
        self.assertEqual(self.hello.metadata, {
            "name": "splitter", "inputs": [{"stream": "lines", "grouping": "shuffle"}],
            "outputs": ["words"]})
        tx = executor.process_records(1, 0, [("lines", "", " the  river\tbank the ", 7),
                                             ("lines", "", "", 8), ("lines", "x", "sea", 9)])
        self.assertEqual(tx.produced, [
            ("words", b"the", b"1", 7), ("words", b"river\tbank", b"1", 7),
            ("words", b"the", b"1", 7), ("words", b"sea", b"1", 9)])
        executor.shutdown()
        self.assertEqual(executor.wait(), 0)

    def test_counter_counts_from_stored_state_and_its_own_writes(self):
        executor = self.start("counter")
        self.assertEqual(self.hello.metadata["inputs"], [{"stream": "words", "grouping": "key"}])
        tx = executor.process_records(1, 0, [("words", "the", "1", 1, {"count": "41"}),
                                             ("words", "sea", "1", 2), ("words", "the", "1", 3)])
        self.assertEqual([(p[0], p[1], p[2]) for p in tx.produced], [
            ("counts", b"the", b"42"), ("counts", b"sea", b"1"), ("counts", b"the", b"43")])
        self.assertEqual(tx.writes, [(b"the", b"count", 0, b"42"), (b"sea", b"count", 0, b"1"),
                                     (b"the", b"count", 0, b"43")])

    def test_sink_has_written_every_line_when_the_transaction_arrives(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "counts.txt")
            executor = self.start("sink", config={"path": path})
            self.assertEqual(self.hello.metadata["outputs"], [])
            self.assertEqual(self.init_tx.failures, [])
            executor.process_records(1, 0, [("counts", "the", "1", 1), ("counts", "sea", "2", 2)])
            with open(path, "rb") as written:
                self.assertEqual(written.read(), b"the 1\nsea 2\n")
            executor.process_records(2, 0, [("counts", "the", "3", 3)])
            with open(path, "rb") as written:
                self.assertEqual(written.read(), b"the 1\nsea 2\nthe 3\n")

    def test_sink_without_path_fails_init(self):
        self.start("sink", max_retries=1)
        [(index, attempts, message)] = self.init_tx.failures
        self.assertEqual((index, attempts), (0, 2))
        self.assertIn("path", message)


if __name__ == "__main__":
    unittest.main()
