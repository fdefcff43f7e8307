"""Runs the SDK's tests and the Python word count's in one process: what
ctest's `sdk_python` runs. Exits non-zero if any fails."""

import os
import sys
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
_TEST_DIRS = [
    _HERE,
    os.path.normpath(os.path.join(_HERE, "..", "..", "..", "examples", "wordcount", "python", "tests")),
]


def main():
    # A loader per directory: a loader keeps the first top-level directory it saw.
    suite = unittest.TestSuite(unittest.TestLoader().discover(d) for d in _TEST_DIRS)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
