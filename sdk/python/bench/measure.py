"""Measures the SDK's pass-through rate without an executor:
`python3 measure.py [--requests N] [--records 512] [--value-bytes 100]`.

Encodes N `process` frames up front, then times the SDK's side of each:
decode, one `process_record` per record, encode the transaction. With
`--socket` the frames also cross a socketpair through `eddy.serve`, read
and answered by a thread playing the executor.
"""

import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import eddy  # noqa: E402
from eddy import codec  # noqa: E402
from eddy import executor_codec  # noqa: E402
from eddy.conversation import Conversation  # noqa: E402
from eddy.testing import ExecutorEnd  # noqa: E402
from passthrough import Passthrough  # noqa: E402


def make_frames(requests, records, value_bytes):
    value = b"v" * value_bytes
    return [
        executor_codec.encode_process(
            batch, 0, [("in", b"key-%06d" % (i % 1000), value, batch * records + i) for i in range(records)]
        )
        for batch in range(1, requests + 1)
    ]


def measure_conversation(frames):
    conversation = Conversation(Passthrough())
    conversation.handle(codec.INIT, executor_codec.encode_init()[5:])
    payloads = [frame[5:] for frame in frames]
    start, start_cpu = time.perf_counter(), time.process_time()
    for payload in payloads:
        conversation.handle(codec.PROCESS, payload)
    return time.perf_counter() - start, time.process_time() - start_cpu


def measure_socket(frames):
    executor_socket, sdk_socket = socket.socketpair()
    thread = threading.Thread(target=eddy.serve, args=(Passthrough(), sdk_socket), daemon=True)
    thread.start()
    executor = ExecutorEnd(executor_socket, timeout=60)
    executor.hello()
    executor.init()
    start = time.perf_counter()
    for frame in frames:
        executor.send(frame)
        executor.expect(codec.TRANSACTION)
    elapsed = time.perf_counter() - start
    executor.shutdown()
    thread.join(10)
    executor_socket.close()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--records", type=int, default=512)
    parser.add_argument("--value-bytes", type=int, default=100)
    parser.add_argument("--socket", action="store_true", help="also through eddy.serve on a socketpair")
    options = parser.parse_args()
    frames = make_frames(options.requests, options.records, options.value_bytes)
    total = options.requests * options.records
    runs = [measure_conversation(frames) for _ in range(3)]
    elapsed = min(wall for wall, _ in runs)
    cpu = min(cpu for _, cpu in runs)
    # CPU time as well: on a loaded machine the wall clock also counts other processes.
    print(f"decode -> process_record -> transaction: {total / elapsed:,.0f} records/s wall, "
          f"{total / cpu:,.0f} records/s of CPU time "
          f"({options.requests} requests of {options.records}, {options.value_bytes}-byte values)")
    if options.socket:
        elapsed = measure_socket(frames)
        print(f"through a socketpair (executor thread in the same process): {total / elapsed:,.0f} records/s")


if __name__ == "__main__":
    main()
