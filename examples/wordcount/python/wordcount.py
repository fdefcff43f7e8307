"""The word count in Python: `wordcount.py splitter|counter|sink`.

    lines ──► splitter ──words──► counter ──counts──► sink
   (shuffle)            (key: word)          (shuffle)

Each role is one computation, run by an executor (manifest `command:
[python3, wordcount.py, counter]`); they produce exactly what the C++ word
count (examples/wordcount) produces.
"""

import sys

import eddy


class Splitter(eddy.Computation):
    """Splits each line on single spaces: one `word -> 1` per non-empty piece,
    at the line's time."""

    def metadata(self):
        return eddy.Metadata("splitter", inputs=[("lines", eddy.Grouping.SHUFFLE)], outputs=["words"])

    def process_record(self, ctx, record):
        for word in record.value.split(b" "):
            if word:
                ctx.produce("words", word, b"1")


class Counter(eddy.Computation):
    """The running count per word in keyed state; every occurrence produces
    `word -> n`, so a word's last count is its total."""

    def metadata(self):
        return eddy.Metadata("counter", inputs=[("words", eddy.Grouping.KEY)], outputs=["counts"])

    def process_record(self, ctx, record):
        n = int(ctx.get("count") or 0) + 1
        ctx.put("count", str(n))
        ctx.produce("counts", record.key, str(n))


class Sink(eddy.Computation):
    """Appends `KEY VALUE` lines to the file named by config `path`. Each line
    is flushed before the callback returns, so it is in the file before the
    request's transaction tells the executor the record was processed."""

    def __init__(self):
        self._file = None

    def metadata(self):
        return eddy.Metadata("sink", inputs=[("counts", eddy.Grouping.SHUFFLE)], outputs=[])

    def init(self, ctx):
        path = ctx.config("path")
        if not path:
            raise ValueError("sink needs config `path`: the file to append counts to")
        self._file = open(path, "ab")

    def process_record(self, ctx, record):
        self._file.write(record.key + b" " + record.value + b"\n")
        self._file.flush()


ROLES = {"splitter": Splitter, "counter": Counter, "sink": Sink}


def main(argv):
    if len(argv) != 2 or argv[1] not in ROLES:
        print(f"usage: {argv[0]} {'|'.join(ROLES)}", file=sys.stderr)
        return 2
    eddy.run(ROLES[argv[1]]())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
