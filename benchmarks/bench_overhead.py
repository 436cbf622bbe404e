"""The fixed cost of a gradients() call: the whole call minus the generated kernel, scalar Elman at T = 10.

Run by hand (not by CI)::

    python benchmarks/bench_overhead.py                      # this checkout
    python benchmarks/bench_overhead.py --against OTHER_DIR  # beside another checkout, rounds interleaved

Each round runs one worker process per checkout; a worker warms up, then
times 3,000 calls of ``gradients(cell, T, values)`` (the default strategy:
the straight-line program from the second call) and 3,000 calls of that
program's kernel alone on arguments built beforehand, and prints the
medians. The report gives the median over rounds of each, and the overhead
(call − kernel). The worker knows both the current layout (symbrnn/numeric/)
and the flat one of before 2026-12-02 (symbrnn/bptt.py), so that the two can
be compared in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
VALUES = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1,
          "x": [1.0, .8, .6, .4, .2, 0.0, -.2, -.4, -.6, -.8], "y": [.5, .6, .7, .8, .9, 1.0, .9, .8, .7, .6]}
T = 10
CALLS = 3000


def _median_us(fn, n: int = CALLS) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def _kernel():
    """The straight-line kernel and its arguments, in whichever layout this checkout has."""
    from symbrnn.cells import elman

    cell = elman()
    try:
        from symbrnn.declare.values import resolve_values
        from symbrnn.numeric.programs import program_for

        program = program_for(cell)
        args = program.layout.python_args(resolve_values(cell, T, VALUES))
    except ImportError:  # the flat layout of before
        from symbrnn.bptt import program_for

        program = program_for(cell)
        args = program._python_inputs(VALUES, T)
    return cell, program.straight_function(T), args


def worker() -> None:
    from symbrnn import gradients

    cell, fn, args = _kernel()
    for _ in range(200):  # warm up: the program is built, the straight-line one chosen
        gradients(cell, T, VALUES)
        fn(*args)
    call = _median_us(lambda: gradients(cell, T, VALUES))
    kernel = _median_us(lambda: fn(*args))
    print(json.dumps({"call": call, "kernel": kernel}))


def _run(checkout: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, __file__, "--worker"], cwd=checkout, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--against", type=Path, help="another checkout, timed in the same rounds")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker()
        return
    checkouts = {"this checkout": HERE}
    if args.against:
        checkouts["other checkout"] = args.against.resolve()
    results: dict[str, list] = {k: [] for k in checkouts}
    for _ in range(args.rounds):
        for name, path in checkouts.items():
            results[name].append(_run(path))
    print(f"scalar Elman, T = {T}, median µs over {args.rounds} rounds of {CALLS} calls each")
    print(f"{'checkout':<16} {'whole call':>11} {'kernel':>9} {'overhead':>9}")
    for name, rows in results.items():
        call = statistics.median(r["call"] for r in rows)
        kernel = statistics.median(r["kernel"] for r in rows)
        print(f"{name:<16} {call:>11.1f} {kernel:>9.1f} {call - kernel:>9.1f}")


if __name__ == "__main__":
    main()
