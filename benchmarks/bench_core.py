"""Core engine benchmark (run by hand; not part of the tests).

Measures, in one process, for the scalar Elman cell (seed 002):

1. naive sympy (diff of the fully unrolled loss) against symbrnn's derivation:
   operation counts and time, as T grows;
2. symbrnn: building every labelled term (forward and reverse mode), T up to 1000;
3. compiling the step kernels (independent of T);
4. the gradient of all five params by symbrnn's numeric recursion against a
   hand-written Python BPTT, T = 100 .. 10,000 (they must agree to 1e-12).

Medians of repeated runs; prints a Markdown table.

Run:  python benchmarks/bench_core.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time

import numpy as np
import sympy as sp

from symbrnn import derive, unroll
from symbrnn.cells import elman
from symbrnn.codegen.kernels import StepKernels
from symbrnn.numeric.gradients import loss_and_gradients


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def values_for(T: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1,
            "x": rng.uniform(-1, 1, T).tolist(), "y": rng.uniform(-1, 1, T).tolist()}


def hand_bptt(v: dict) -> tuple[float, dict]:
    """Scalar Elman BPTT written by hand: the baseline for evaluation speed."""
    w, U, V, b, c, xs, ys = v["w"], v["U"], v["V"], v["b"], v["c"], v["x"], v["y"]
    T = len(xs)
    hs = [0.0] * (T + 1)
    loss = 0.0
    for t in range(T):
        hs[t + 1] = math.tanh(w * xs[t] + U * hs[t] + b)
        e = V * hs[t + 1] + c - ys[t]
        loss += 0.5 * e * e
    gw = gU = gV = gb = gc = 0.0
    dh_next = 0.0
    for t in range(T - 1, -1, -1):
        e = V * hs[t + 1] + c - ys[t]
        gV += e * hs[t + 1]
        gc += e
        dh = e * V + dh_next
        da = dh * (1.0 - hs[t + 1] ** 2)
        gw += da * xs[t]
        gU += da * hs[t]
        gb += da
        dh_next = da * U
    return loss, {"w": gw, "U": gU, "V": gV, "b": gb, "c": gc}


def count(d) -> int:
    return sum(sp.count_ops(t.expr) + 1 for t in d.terms)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 5
    cell = elman()
    U = cell.symbol("U")
    print(f"# symbrnn core benchmark — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{platform.python_implementation()} {platform.python_version()}, sympy {sp.__version__}\n")

    print("## 1. dL/dU: naive sympy.diff of the unrolled loss vs symbrnn's derivation\n")
    print("| T | naive: ops | naive: time | symbrnn: ops | symbrnn: time |")
    print("|---|---|---|---|---|")
    for T in ((4, 8, 16) if args.quick else (4, 8, 16, 32)):
        def naive(T=T):
            u = unroll(cell, T)
            return sp.diff(u.expanded(u.loss), U)
        t_naive = median_time(naive, 1)
        ops_naive = sp.count_ops(naive())
        t_ours = median_time(lambda T=T: derive(cell, T, wrt=U).terms, repeat)
        print(f"| {T} | {ops_naive:,} | {t_naive:.3f} s | {count(derive(cell, T, wrt=U)):,} | {t_ours:.4f} s |")

    print("\n## 2. Building every labelled term of dL/dU (symbolic, linear in T)\n")
    print("| T | mode | terms | ops | time (median) |")
    print("|---|---|---|---|---|")
    for T in (10, 100, 1000):
        for mode in ("forward", "reverse"):
            t = median_time(lambda T=T, mode=mode: derive(cell, T, wrt=U, mode=mode).terms, 1 if T == 1000 else repeat)
            d = derive(cell, T, wrt=U, mode=mode)
            print(f"| {T} | {mode} | {len(d.terms):,} | {count(d):,} | {t:.3f} s |")

    print("\n## 3. Compiling the step kernels (independent of T)\n")
    t_compile = median_time(lambda: StepKernels(elman()), repeat)
    print(f"forward kernel: {t_compile * 1e3:.1f} ms (median)\n")

    print("## 4. Loss and gradient of all five params: symbrnn numeric recursion vs hand-written Python BPTT\n")
    print("| T | symbrnn reverse | symbrnn forward | hand-written BPTT | ratio (reverse / hand) | max abs diff |")
    print("|---|---|---|---|---|---|")
    loss_and_gradients(cell, 3, values_for(3))  # compile once, outside the timings
    for T in ((100, 1000) if args.quick else (100, 1000, 10000)):
        v = values_for(T)
        t_rev = median_time(lambda T=T, v=v: loss_and_gradients(cell, T, v), repeat)
        t_fwd = median_time(lambda T=T, v=v: loss_and_gradients(cell, T, v, mode="forward"), repeat)
        t_hand = median_time(lambda v=v: hand_bptt(v), repeat)
        ours, hand = loss_and_gradients(cell, T, v)[1], hand_bptt(v)[1]
        diff = max(abs(ours[k] - hand[k]) for k in hand)
        assert diff < 1e-12 * max(1.0, max(abs(g) for g in hand.values())), diff
        print(f"| {T:,} | {t_rev * 1e3:.2f} ms | {t_fwd * 1e3:.2f} ms | {t_hand * 1e3:.2f} ms | "
              f"{t_rev / t_hand:.1f}× | {diff:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
