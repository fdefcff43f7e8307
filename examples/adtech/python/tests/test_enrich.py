"""enrich.py as a real process under eddy.testing.FakeExecutor."""

import os
import sys
import unittest

from eddy.testing import FakeExecutor

ENRICH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "enrich.py")


class EnrichTest(unittest.TestCase):
    def start(self, **init):
        executor = FakeExecutor([sys.executable, ENRICH])
        self.addCleanup(executor.close)
        executor.start()
        self.hello = executor.hello()
        self.init_tx = executor.init(**init)
        return executor

    def test_appends_the_catalogue_entry_keeping_key_and_time(self):
        executor = self.start()
        self.assertEqual(self.hello.metadata, {
            "name": "enrich", "inputs": [{"stream": "campaign_events", "grouping": "key"}],
            "outputs": ["enriched_events"]})
        tx = executor.process_records(1, 0, [("campaign_events", "c03", "imp", 7),
                                             ("campaign_events", "c05", "click", 9)])
        self.assertEqual(tx.produced, [
            ("enriched_events", b"c03",
             b"imp name=trail_runners advertiser=northwind category=sports", 7),
            ("enriched_events", b"c05",
             b"click name=family_suv advertiser=meridian_motors category=auto", 9)])
        self.assertEqual(tx.writes, [])
        self.assertEqual(tx.failures, [])
        executor.shutdown()
        self.assertEqual(executor.wait(), 0)

    def test_unknown_campaign_is_kept_and_warned_about_once(self):
        executor = self.start()
        tx = executor.process_records(1, 0, [("campaign_events", "c42", "imp", 1),
                                             ("campaign_events", "c42", "click", 2)])
        self.assertEqual([p[2] for p in tx.produced], [
            b"imp name=c42 advertiser=unknown category=unknown",
            b"click name=c42 advertiser=unknown category=unknown"])
        self.assertEqual(len(tx.logs), 1)
        self.assertIn("c42", tx.logs[0][1])

    def test_malformed_event_is_logged_and_skipped(self):
        executor = self.start()
        tx = executor.process_records(1, 0, [("campaign_events", "c01", "view", 1),
                                             ("campaign_events", "c01", "imp", 2)])
        self.assertEqual([p[2] for p in tx.produced],
                         [b"imp name=city_breaks advertiser=skyline_travel category=travel"])
        self.assertEqual(len(tx.logs), 1)
        self.assertEqual(tx.failures, [])

    def test_config_output_renames_the_stream(self):
        executor = self.start(config={"output": "catalogued"})
        tx = executor.process_records(1, 0, [("campaign_events", "c00", "imp", 1)])
        self.assertEqual([p[0] for p in tx.produced], ["catalogued"])


if __name__ == "__main__":
    unittest.main()
