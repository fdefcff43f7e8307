"""The pass-through benchmark computation: every record on "in" goes out
unchanged (key, value and time) on "out". Run by an executor with
`command: [python3, passthrough.py]`, or through the CMake wrapper
`<build>/sdk/python/bin/passthrough`."""

import eddy


class Passthrough(eddy.Computation):
    def metadata(self):
        return eddy.Metadata("passthrough", inputs=[("in", eddy.Grouping.SHUFFLE)], outputs=["out"])

    def process_record(self, ctx, record):
        ctx.produce("out", record.key, record.value, record.time)


if __name__ == "__main__":
    eddy.run(Passthrough())
