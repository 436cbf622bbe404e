"""The symbolic side at long sequences: derive(...).terms and the CLI's ``derive`` against T.

Run by hand (not by CI)::

    python benchmarks/bench_symbolic.py            # T = 1,000 ... 10,000
    python benchmarks/bench_symbolic.py --quick    # T = 500 ... 2,000

For the scalar Elman cell and wrt U it times, each in a fresh process (so
that no cache is shared): building every term of ``derive(cell, T, wrt="U")``
in forward and reverse mode, and the whole command ``symbrnn derive elman
--steps T --wrt U`` (derivation and rendering). It prints the medians of
``--repeat`` runs and each time's ratio to the smallest T's, to be read
against T's own ratio (linear growth gives the same ratio).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TERMS = """
import time, gc
from symbrnn import derive
from symbrnn.cells import elman
t0 = time.perf_counter()
d = derive(elman(), {T}, wrt="U", mode="{mode}")
d.terms
print(time.perf_counter() - t0)
"""


def _terms_time(T: int, mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", TERMS.format(T=T, mode=mode)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def _cli_time(T: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symbrnn", "derive", "elman", "--steps", str(T), "--wrt", "U"],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 500 ... 2,000 only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    args = parser.parse_args(argv)
    sizes = (500, 1000, 2000) if args.quick else (1000, 2000, 5000, 10000)
    rows = []
    for label, fn in (("terms, forward", lambda T: _terms_time(T, "forward")),
                      ("terms, reverse", lambda T: _terms_time(T, "reverse")),
                      ("symbrnn derive (whole command)", _cli_time)):
        times = {T: statistics.median(fn(T) for _ in range(args.repeat)) for T in sizes}
        base = sizes[0]
        for T in sizes:
            rows.append((label, T, times[T], times[T] / times[base], T / base))
    print(f"{'what':32} {'T':>6} {'median s':>9} {'× smallest':>11} {'T ×':>5}")
    for label, T, s, ratio, tratio in rows:
        print(f"{label:32} {T:>6} {s:>9.2f} {ratio:>11.2f} {tratio:>5.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
