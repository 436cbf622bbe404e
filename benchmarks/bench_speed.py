"""Speed benchmark: symbrnn's generated BPTT against the peers, in one process (run by hand, not by CI).

Cases (float64; every system must agree with symbrnn to 1e-9 relative, or the script stops):

1. derive + compile, scalar Elman and LSTM (input 2, hidden 1): symbrnn (independent of T),
   naive sympy (diff of the unrolled loss, T = 32), PyTensor scan + grad, JAX jit (lax.scan),
   CasADi SX (T = 1000);
2. loss + gradient of every param at T = 1000: the same systems, PyTorch autograd, and a
   hand-written Python BPTT;
3. the LSTM (seed 000 form) with input 8, hidden 16, T = 100: symbrnn's array program, its
   componentwise program (C and Python), JAX and a hand-written numpy BPTT; then hidden 16-64;
4. a batch of 1024 sequences (T = 100) on the numpy and C backends against a loop of single runs
   and a hand-written numpy BPTT;
5. peak memory (tracemalloc) of one gradient at T = 1,000 and 10,000.

The C backend's libraries are built into a fresh cache folder, so its "derive + compile"
includes the C compiler's run.

Peers are optional (``pip install -e '.[bench]'``); a missing one is reported and skipped.
Medians of repeated runs, all in this process.

Run:  python benchmarks/bench_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import platform
import statistics
import tempfile
import time
import tracemalloc

import numpy as np
import sympy as sp
from bench_core import hand_bptt  # benchmarks/ is on the path when this script runs

from symbrnn import unroll
from symbrnn.cells import elman, lstm_gomez
from symbrnn.declare.values import resolve_values
from symbrnn.numeric.programs import BPTTProgram


def run(program, T, values, **options):
    """One call of a cell's programs, its values checked first (as gradients() does)."""
    return program.run(resolve_values(program.cell, T, values), **options)


def interleaved(fns: list, repeat: int) -> list[float]:
    """The median time of each function, timed in rounds that call every function once (in a rotating order).

    On a shared machine the load changes from second to second; timed side by side, the systems see
    the same load, so their ratios hold even when the absolute times move. Each timed call follows an
    untimed one of the same function, so no system is timed on caches another one has just emptied.
    """
    times = [[] for _ in fns]
    for r in range(repeat):
        for k in range(len(fns)):
            i = (k + r) % len(fns)
            fns[i]()
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# ------------------------------------------------------------------ the two cases' values
def elman_values(T: int, rng) -> dict:
    return {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1, "x": rng.uniform(-1, 1, T), "y": rng.uniform(-1, 1, T)}


def lstm_values(T: int, rng) -> dict:
    return {"W": rng.normal(0, 0.5, (4, 2)), "U": rng.normal(0, 0.5, (4, 1)), "b": rng.normal(0, 0.5, 4),
            "x": rng.uniform(-1, 1, (T, 2)), "y": rng.uniform(-1, 1, (T, 1))}


def big_lstm_values(T: int, D: int, H: int, rng) -> dict:
    return {"W": rng.normal(0, 0.3, (4 * H, D)), "U": rng.normal(0, 0.3, (4 * H, H)), "b": rng.normal(0, 0.3, 4 * H),
            "x": rng.uniform(-1, 1, (T, D)), "y": rng.uniform(-1, 1, (T, H))}


def flat(grads: dict, names) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(grads[n], dtype=float)) for n in names])


ELMAN_PARAMS, LSTM_PARAMS = ("w", "U", "V", "b", "c"), ("W", "U", "b")


# ------------------------------------------------------------------ hand-written baselines
def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def hand_lstm(v):
    """The seed 000 LSTM, hidden 1, written out with scalars."""
    W, U, b = v["W"].tolist(), [u[0] for u in v["U"].tolist()], v["b"].tolist()
    xs, ys = v["x"].tolist(), [y[0] for y in v["y"].tolist()]
    T = len(xs)
    cs, hs, gates = [0.0] * (T + 1), [0.0] * (T + 1), [None] * (T + 1)
    loss = 0.0
    for t in range(1, T + 1):
        x0, x1 = xs[t - 1]
        z = [W[k][0] * x0 + W[k][1] * x1 + U[k] * hs[t - 1] + b[k] for k in range(4)]
        a, i, f, o = math.tanh(z[0]), _sig(z[1]), _sig(z[2]), _sig(z[3])
        cs[t] = a * i + f * cs[t - 1]
        hs[t] = o * math.tanh(cs[t])
        gates[t] = (a, i, f, o)
        loss += 0.5 * (hs[t] - ys[t - 1]) ** 2
    gW = [[0.0, 0.0] for _ in range(4)]
    gU, gb = [0.0] * 4, [0.0] * 4
    dh_next = dc_next = 0.0
    for t in range(T, 0, -1):
        a, i, f, o = gates[t]
        tc = math.tanh(cs[t])
        dh = hs[t] - ys[t - 1] + dh_next
        dc = dh * o * (1 - tc * tc) + dc_next
        dz = [dc * i * (1 - a * a), dc * a * i * (1 - i), dc * cs[t - 1] * f * (1 - f), dh * tc * o * (1 - o)]
        x0, x1 = xs[t - 1]
        for k in range(4):
            gW[k][0] += dz[k] * x0
            gW[k][1] += dz[k] * x1
            gU[k] += dz[k] * hs[t - 1]
            gb[k] += dz[k]
        dh_next = sum(dz[k] * U[k] for k in range(4))
        dc_next = dc * f
    return loss, {"W": np.array(gW), "U": np.array(gU).reshape(4, 1), "b": np.array(gb)}


def _npsig(x):
    return 1.0 / (1.0 + np.exp(-x))


def hand_lstm_numpy(v):
    """The seed 000 LSTM with vectors, written by hand with numpy (matrix products per step)."""
    W, U, b, xs, ys = v["W"], v["U"], v["b"], v["x"], v["y"]
    T, H = len(xs), U.shape[1]
    cs, hs = np.zeros((T + 1, H)), np.zeros((T + 1, H))
    gates = [None] * (T + 1)
    loss = 0.0
    for t in range(1, T + 1):
        z = W @ xs[t - 1] + U @ hs[t - 1] + b
        a, i, f, o = np.tanh(z[:H]), _npsig(z[H:2 * H]), _npsig(z[2 * H:3 * H]), _npsig(z[3 * H:])
        cs[t] = a * i + f * cs[t - 1]
        hs[t] = o * np.tanh(cs[t])
        gates[t] = (a, i, f, o)
        e = hs[t] - ys[t - 1]
        loss += 0.5 * float(e @ e)
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_next, dc_next = np.zeros(H), np.zeros(H)
    for t in range(T, 0, -1):
        a, i, f, o = gates[t]
        tc = np.tanh(cs[t])
        dh = hs[t] - ys[t - 1] + dh_next
        dc = dh * o * (1 - tc * tc) + dc_next
        dz = np.concatenate([dc * i * (1 - a * a), dc * a * i * (1 - i), dc * cs[t - 1] * f * (1 - f),
                             dh * tc * o * (1 - o)])
        gW += np.outer(dz, xs[t - 1])
        gU += np.outer(dz, hs[t - 1])
        gb += dz
        dh_next = U.T @ dz
        dc_next = dc * f
    return loss, {"W": gW, "U": gU, "b": gb}


def hand_elman_numpy_batch(v):
    """Scalar Elman BPTT over a batch axis, written by hand with numpy."""
    w, U, V, b, c = (v[k] for k in ELMAN_PARAMS)
    xs, ys = v["x"].T, v["y"].T  # (T, N)
    T, N = xs.shape
    hs = np.zeros((T + 1, N))
    for t in range(T):
        hs[t + 1] = np.tanh(w * xs[t] + U * hs[t] + b)
    e = V * hs[1:] + c - ys
    loss = 0.5 * (e * e).sum(axis=0)
    gw = np.zeros(N); gU = np.zeros(N); gb = np.zeros(N); dh_next = np.zeros(N)  # noqa: E702
    for t in range(T - 1, -1, -1):
        da = (e[t] * V + dh_next) * (1.0 - hs[t + 1] ** 2)
        gw += da * xs[t]
        gU += da * hs[t]
        gb += da
        dh_next = da * U
    return loss, {"w": gw, "U": gU, "V": (e * hs[1:]).sum(axis=0), "b": gb, "c": e.sum(axis=0)}


# ------------------------------------------------------------------ peers
def jax_case(jax, kind: str, H: int = 1):
    jnp, lax = jax.numpy, jax.lax

    if kind == "elman":
        def loss(p, xs, ys):
            w, U, V, b, c = p

            def step(h, xy):
                h = jnp.tanh(w * xy[0] + U * h + b)
                return h, 0.5 * (V * h + c - xy[1]) ** 2
            return lax.scan(step, jnp.float64(0.0), (xs, ys))[1].sum()
    else:
        def loss(p, xs, ys):
            W, U, b = p

            def step(carry, xy):
                c, h = carry
                z = W @ xy[0] + U @ h + b
                sig = jax.nn.sigmoid
                a, i, f, o = jnp.tanh(z[:H]), sig(z[H:2 * H]), sig(z[2 * H:3 * H]), sig(z[3 * H:])
                c = a * i + f * c
                h = o * jnp.tanh(c)
                return (c, h), 0.5 * jnp.sum((h - xy[1]) ** 2)
            zero = jnp.zeros(H)
            return lax.scan(step, (zero, zero), (xs, ys))[1].sum()
    return jax.jit(jax.value_and_grad(loss))


def jax_args(jnp, kind, v):
    names = ELMAN_PARAMS if kind == "elman" else LSTM_PARAMS
    return tuple(jnp.asarray(v[n]) for n in names), jnp.asarray(v["x"]), jnp.asarray(v["y"])


def casadi_case(ca, kind: str, v):
    """CasADi SX: the unrolled graph, built for this T, and a Function of the loss and its gradient."""
    T = len(v["x"])
    if kind == "elman":
        p = ca.SX.sym("p", 5)
        w, U, V, b, c = (p[k] for k in range(5))
        xs, ys = ca.SX.sym("x", T), ca.SX.sym("y", T)
        h, L = 0, 0
        for t in range(T):
            h = ca.tanh(w * xs[t] + U * h + b)
            L += 0.5 * (V * h + c - ys[t]) ** 2
    else:
        p = ca.SX.sym("p", 16)
        W, U, b = ca.reshape(p[0:8], 2, 4).T, p[8:12], p[12:16]
        xs, ys = ca.SX.sym("x", 2, T), ca.SX.sym("y", T)
        c = h = 0
        L = 0
        for t in range(T):
            z = ca.mtimes(W, xs[:, t]) + U * h + b
            a, i, f, o = ca.tanh(z[0]), 1 / (1 + ca.exp(-z[1])), 1 / (1 + ca.exp(-z[2])), 1 / (1 + ca.exp(-z[3]))
            c = a * i + f * c
            h = o * ca.tanh(c)
            L += 0.5 * (h - ys[t]) ** 2
    return ca.Function("f", [p, xs, ys], [L, ca.gradient(L, p)])


def casadi_args(kind, v):
    if kind == "elman":
        return np.array([v[n] for n in ELMAN_PARAMS]), v["x"], v["y"]
    return np.concatenate([v["W"].ravel(), v["U"].ravel(), v["b"]]), v["x"].T, v["y"].ravel()


def pytensor_case(pt, kind: str):
    import pytensor
    import pytensor.tensor as ptt

    xs, ys = (ptt.dvector("x"), ptt.dvector("y")) if kind == "elman" else (ptt.dmatrix("x"), ptt.dmatrix("y"))
    if kind == "elman":
        params = [ptt.dscalar(n) for n in ELMAN_PARAMS]
        w, U, V, b, c = params

        def step(x, y, h):
            h2 = ptt.tanh(w * x + U * h + b)
            return h2, 0.5 * (V * h2 + c - y) ** 2
        (_, Ls), _ = pytensor.scan(step, sequences=[xs, ys], outputs_info=[ptt.constant(0.0, dtype="float64"), None])
    else:
        W, U, b = ptt.dmatrix("W"), ptt.dmatrix("U"), ptt.dvector("b")
        params = [W, U, b]
        sig = ptt.sigmoid

        def step(x, y, c, h):  # hidden 1: c and h are scalars
            z = ptt.dot(W, x) + U[:, 0] * h + b
            c2 = ptt.tanh(z[0]) * sig(z[1]) + sig(z[2]) * c
            h2 = sig(z[3]) * ptt.tanh(c2)
            return c2, h2, 0.5 * (h2 - y[0]) ** 2
        zero = ptt.constant(0.0, dtype="float64")
        (_, _, Ls), _ = pytensor.scan(step, sequences=[xs, ys], outputs_info=[zero, zero, None])
    L = Ls.sum()
    return pytensor.function(params + [xs, ys], [L, *ptt.grad(L, params)])


def torch_grad(torch, kind, v):
    t = {n: torch.tensor(np.asarray(v[n], dtype=float), dtype=torch.float64) for n in v}
    names = ELMAN_PARAMS if kind == "elman" else LSTM_PARAMS
    for n in names:
        t[n].requires_grad_(True)
    if kind == "elman":
        h, L = torch.zeros((), dtype=torch.float64), 0
        for x, y in zip(t["x"], t["y"], strict=True):
            h = torch.tanh(t["w"] * x + t["U"] * h + t["b"])
            L = L + 0.5 * (t["V"] * h + t["c"] - y) ** 2
    else:
        c = h = torch.zeros(1, dtype=torch.float64)
        L = 0
        for x, y in zip(t["x"], t["y"], strict=True):
            z = t["W"] @ x + t["U"] @ h + t["b"]
            c = torch.tanh(z[0:1]) * torch.sigmoid(z[1:2]) + torch.sigmoid(z[2:3]) * c
            h = torch.sigmoid(z[3:4]) * torch.tanh(c)
            L = L + 0.5 * ((h - y) ** 2).sum()
    L.backward()
    return float(L.detach()), {n: t[n].grad.numpy() for n in names}


# ------------------------------------------------------------------ symbrnn's C backend
def c_backend_rows(cell, T: int, v: dict) -> list:
    """symbrnn's C backend: plan + C compile from scratch (a fresh cache), the whole call, the kernel alone."""
    t0 = time.perf_counter()
    program = BPTTProgram(cell)
    compiled = program.c_program
    t_build = time.perf_counter() - t0
    got = run(program, T, v, backend="c")[1]
    args = program.layout.c_args(resolve_values(program.cell, T, v))
    return [("symbrnn (C backend)", t_build, lambda: run(program, T, v, backend="c"), got),
            ("symbrnn C kernel only (no value checks)", None, lambda: compiled.run(T, *args), got)]


def big_lstm_case(jax, repeat: int, rng, D: int = 8, H: int = 16, T: int = 100) -> None:
    """The seed 000 LSTM with input D and hidden H: symbrnn's C and python backends, JAX, hand-written numpy."""
    v = big_lstm_values(T, D, H, rng)
    names = LSTM_PARAMS
    print(f"## LSTM (seed 000 form) in {D} / hidden {H}, T = {T}\n")
    t0 = time.perf_counter()
    program = BPTTProgram(lstm_gomez(D, H))
    arrays = program.checked_array_program()
    t_arrays = time.perf_counter() - t0
    rows = [("symbrnn arrays (numpy, the default here)", t_arrays, lambda: run(program, T, v, arrays=True),
             run(program, T, v, arrays=True)[1])]
    rows.append(("symbrnn arrays kernel only (no value checks)", None, lambda: arrays.run(T, v), arrays.run(T, v)[1]))
    rows += c_backend_rows(lstm_gomez(D, H), T, v)  # componentwise: the plan and the C build are timed there
    rows.append(("symbrnn componentwise (python backend)", None, lambda: run(program, T, v), run(program, T, v)[1]))
    rows.append(("hand-written numpy BPTT", None, lambda: hand_lstm_numpy(v), hand_lstm_numpy(v)[1]))
    if jax:
        t0 = time.perf_counter()
        on_jax = BPTTProgram(lstm_gomez(D, H))
        got = on_jax.run(T, v, arrays=True, backend="jax")[1]  # the array program, jit-compiled on the first call
        rows.insert(2, ("symbrnn arrays on JAX (backend='jax')", time.perf_counter() - t0,
                        lambda: on_jax.run(T, v, arrays=True, backend="jax"), got))
        jnp = jax.numpy
        a = jax_args(jnp, "lstm", v)
        t0 = time.perf_counter()
        g = jax_case(jax, "lstm", H)
        out = jax.block_until_ready(g(*a))
        t_c = time.perf_counter() - t0
        rows.append(("JAX jit grad (lax.scan)", t_c, lambda: jax.block_until_ready(g(*a)),
                     dict(zip(names, (np.asarray(x) for x in out[1]), strict=True))))
    table(rows, names, "hand-written numpy BPTT", repeat)


def hidden_sweep(jax, repeat: int, rng, D: int = 8, T: int = 100) -> None:
    """The array program against hand-written numpy (and JAX) as the hidden size grows."""
    print(f"## Hidden size, LSTM (seed 000 form) in {D}, T = {T}: the array program\n")
    print("| hidden | build the cell | derive + compile | loss + gradient | hand-written numpy | ratio | JAX | ratio |"
          " symbrnn on JAX | ratio to JAX |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for H in (16, 32, 64):
        v = big_lstm_values(T, D, H, rng)
        t0 = time.perf_counter()
        cell = lstm_gomez(D, H)
        t_cell = time.perf_counter() - t0
        t0 = time.perf_counter()
        program = BPTTProgram(cell)
        program.checked_array_program()
        t_build = time.perf_counter() - t0
        got, want = run(program, T, v, arrays=True)[1], hand_lstm_numpy(v)[1]
        assert all(np.allclose(got[n], want[n], rtol=1e-9, atol=1e-12) for n in LSTM_PARAMS)
        fns = [lambda p=program, v=v: p.run(T, v, arrays=True), lambda v=v: hand_lstm_numpy(v)]
        if jax:
            g, a = jax_case(jax, "lstm", H), jax_args(jax.numpy, "lstm", v)
            jax.block_until_ready(g(*a))
            fns.append(lambda g=g, a=a: jax.block_until_ready(g(*a)))
            run(program, T, v, arrays=True, backend="jax")
            fns.append(lambda p=program, v=v: p.run(T, v, arrays=True, backend="jax"))
        t_run, t_hand, *t_jax = interleaved(fns, repeat)
        jax_cols = (f"{t_jax[0] * 1e3:.2f} ms | {t_run / t_jax[0]:.2f}× | {t_jax[1] * 1e3:.2f} ms | "
                    f"{t_jax[1] / t_jax[0]:.2f}×") if t_jax else "– | – | – | –"
        print(f"| {H} | {t_cell:.2f} s | {t_build:.3f} s | {t_run * 1e3:.2f} ms | {t_hand * 1e3:.2f} ms | "
              f"{t_run / t_hand:.2f}× | {jax_cols} |")
    print()


def straight_case(repeat: int, rng) -> None:
    """Small T: the componentwise program written out for T (strategy "straight") against its loop."""
    print("## Small T: the straight-line program against the loop program (python backend)\n")
    print("| cell | T | loop: whole call | straight-line: whole call | ratio | loop: kernel | straight-line: kernel |"
          " ratio | building it |")
    print("|---|---|---|---|---|---|---|---|---|")
    for title, cell, make in (("scalar Elman", elman(), elman_values), ("LSTM 2/1", lstm_gomez(2, 1), lstm_values)):
        program = BPTTProgram(cell)
        loop = program.function("python")  # the plan is built here, not in the straight-line timing
        for T in (2, 8, 32):
            v = make(T, rng)
            t0 = time.perf_counter()
            straight = program.straight_function(T)
            t_build = time.perf_counter() - t0
            (l1, g1), (l2, g2) = run(program, T, v, straight=True), run(program, T, v)
            assert l1 == l2 and all(np.array_equal(g1[n], g2[n]) for n in g1)  # the same operations, in order
            args = program.layout.python_args(resolve_values(program.cell, T, v))
            t_loop, t_straight, k_loop, k_straight = interleaved([
                lambda p=program, v=v, T=T: p.run(T, v), lambda p=program, v=v, T=T: p.run(T, v, straight=True),
                lambda f=loop, a=args, T=T: f(T, *a), lambda f=straight, a=args: f(*a)], repeat * 4)
            print(f"| {title} | {T} | {t_loop * 1e6:.1f} µs | {t_straight * 1e6:.1f} µs | {t_straight / t_loop:.2f}× |"
                  f" {k_loop * 1e6:.1f} µs | {k_straight * 1e6:.1f} µs | {k_straight / k_loop:.2f}× |"
                  f" {t_build * 1e3:.1f} ms |")
    print()


def table(rows: list, names, baseline: str, repeat: int) -> None:
    """Time rows (system, derive + compile or None, function, gradient) side by side; check every gradient."""
    times = interleaved([r[2] for r in rows], repeat)
    rows = [(r[0], r[1], t, r[3]) for r, t in zip(rows, times, strict=True)]
    want = flat(rows[0][3], names)
    base = next(r[2] for r in rows if r[0] == baseline)
    print(f"| system | derive + compile | loss + gradient (median) | vs {baseline} | max rel. diff |")
    print("|---|---|---|---|---|")
    for system, t_c, t_e, got in rows:
        diff = np.abs(flat(got, names) - want).max() / np.abs(want).max()
        assert diff < 1e-9, (system, diff)
        build = "–" if t_c is None else f"{t_c:.3f} s"
        print(f"| {system} | {build} | {t_e * 1e3:.3f} ms | {t_e / base:.2f}× | {diff:.1e} |")
    print()


# ------------------------------------------------------------------ the run
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    os.environ["SYMBRNN_CACHE"] = tempfile.mkdtemp(prefix="symbrnn-bench-")  # C builds are timed from scratch
    repeat = 3 if args.quick else 15
    rng = np.random.default_rng(0)
    jax, ca, pt, torch = optional("jax"), optional("casadi"), optional("pytensor"), optional("torch")
    if jax:
        jax.config.update("jax_enable_x64", True)
    print(f"# symbrnn speed benchmark — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}; "
          + ", ".join(f"{m.__name__} {m.__version__}" for m in (jax, ca, pt, torch) if m) + "\n")
    missing = [n for n, m in (("jax", jax), ("casadi", ca), ("pytensor", pt), ("torch", torch)) if m is None]
    if missing:
        print(f"(not installed, skipped: {', '.join(missing)})\n")

    cases = {"scalar Elman": ("elman", elman(), elman_values, ELMAN_PARAMS, hand_bptt),
             "LSTM in 2 / hidden 1": ("lstm", lstm_gomez(2, 1), lstm_values, LSTM_PARAMS, hand_lstm)}
    T = 1000
    for title, (kind, cell, make_values, names, hand) in cases.items():
        v = make_values(T, rng)
        print(f"## {title}, T = {T:,}\n")
        rows = []  # (system, derive+compile seconds or None, eval seconds, gradient)
        t0 = time.perf_counter()
        program = BPTTProgram(cell)
        fn = program.function("python")  # the plan, its Python text, compiled (generated on first use)
        t_build = time.perf_counter() - t0
        ref_loss, ref = run(program, T, v)
        rows.append(("symbrnn (python backend)", t_build, lambda p=program, v=v: p.run(T, v), ref))
        fast = program.layout.python_args(resolve_values(program.cell, T, v))
        rows.append(("symbrnn kernel only (no value checks)", None, lambda f=fn, a=fast: f(T, *a), ref))
        c_rows = c_backend_rows(cell, T, v)
        as_lists = {n: (a.tolist() if isinstance(a, np.ndarray) and kind == "elman" else a) for n, a in v.items()}
        rows.append(("hand-written Python BPTT", None, lambda h=hand, a=as_lists: h(a), hand(as_lists)[1]))
        if kind == "elman":
            Tn = 32
            u = unroll(cell, Tn)
            t0 = time.perf_counter()
            expr = u.expanded(u.loss)
            grads = [sp.diff(expr, cell.symbol(n)) for n in names]
            f_naive = sp.lambdify(list(cell.symbol(n) for n in names), grads, "math")
            print(f"naive sympy (T = {Tn} only): derive + lambdify {time.perf_counter() - t0:.2f} s, "
                  f"{sum(sp.count_ops(g) for g in grads):,} operations\n")
            del f_naive
        if jax:
            jnp = jax.numpy
            a = jax_args(jnp, kind, v)
            t0 = time.perf_counter()
            g = jax_case(jax, kind)
            out = g(*a)
            jax.block_until_ready(out)
            t_c = time.perf_counter() - t0
            rows.append(("JAX jit grad (lax.scan)", t_c, lambda g=g, a=a: jax.block_until_ready(g(*a)),
                         dict(zip(names, (np.asarray(x) for x in out[1]), strict=True))))
        if ca:
            a = casadi_args(kind, v)
            t0 = time.perf_counter()
            f = casadi_case(ca, kind, v)
            t_c = time.perf_counter() - t0
            out = f(*a)
            gflat = np.asarray(out[1]).ravel()
            if kind == "elman":
                got = dict(zip(names, gflat, strict=True))
            else:
                got = {"W": gflat[0:8].reshape(4, 2), "U": gflat[8:12].reshape(4, 1), "b": gflat[12:16]}
            rows.append(("CasADi SX (unrolled for this T)", t_c, lambda f=f, a=a: f(*a), got))
        if pt:
            t0 = time.perf_counter()
            f = pytensor_case(pt, kind)
            t_c = time.perf_counter() - t0
            a = [np.asarray(v[n], dtype=float) for n in names] + [v["x"], v["y"]]
            out = f(*a)
            rows.append(("PyTensor scan + grad", t_c, lambda f=f, a=a: f(*a), dict(zip(names, out[1:], strict=True))))
        if torch:
            rows.append(("PyTorch autograd (eager)", None, lambda k=kind, v=v: torch_grad(torch, k, v),
                         torch_grad(torch, kind, v)[1]))
        rows[2:2] = c_rows
        table(rows, names, "hand-written Python BPTT", repeat)
    straight_case(repeat, rng)
    big_lstm_case(jax, repeat, rng)
    hidden_sweep(jax, repeat, rng)

    # ---------------------------------------------------------------- batches
    N, Tb = 1024, 100
    v1 = elman_values(Tb, rng)
    batch = {**{n: v1[n] for n in ELMAN_PARAMS}, "x": rng.uniform(-1, 1, (N, Tb)), "y": rng.uniform(-1, 1, (N, Tb))}
    program = BPTTProgram(elman())
    singles = [{**v1, "x": batch["x"][k], "y": batch["y"][k]} for k in range(N)]
    t_batch, t_loop, t_hand, t_batch_c, t_loop_c = interleaved([
        lambda: program.run_batch(batch), lambda: [run(program, Tb, s) for s in singles],
        lambda: hand_elman_numpy_batch(batch), lambda: program.run_batch(batch, backend="c"),
        lambda: [run(program, Tb, s, backend="c") for s in singles]], repeat)
    losses_c, grads_c = program.run_batch(batch, backend="c")
    losses, grads = program.run_batch(batch)
    assert np.allclose(losses_c, losses, rtol=1e-12) and all(
        np.allclose(grads_c[n], grads[n], rtol=1e-10, atol=1e-13) for n in ELMAN_PARAMS)
    hand_loss, hand_grads = hand_elman_numpy_batch(batch)
    assert np.allclose(losses, hand_loss, rtol=1e-12) and all(
        np.allclose(grads[n], hand_grads[n], rtol=1e-10, atol=1e-13) for n in ELMAN_PARAMS)
    print(f"## A batch of {N:,} sequences, scalar Elman, T = {Tb}\n")
    print("| system | time (median) | sequences per second |")
    print("|---|---|---|")
    for system, t in (("symbrnn batch (numpy backend)", t_batch),
                      ("symbrnn, a loop of single runs (python backend)", t_loop),
                      ("symbrnn batch (C backend)", t_batch_c),
                      ("symbrnn, a loop of single runs (C backend)", t_loop_c),
                      ("hand-written numpy BPTT (batched)", t_hand)):
        print(f"| {system} | {t * 1e3:.1f} ms | {N / t:,.0f} |")
    print(f"\nnumpy batch throughput / python loop throughput: {t_loop / t_batch:.0f}×; "
          f"numpy batch time / hand-written numpy: {t_batch / t_hand:.2f}×; "
          f"C batch / C loop throughput: {t_loop_c / t_batch_c:.1f}×\n")

    # ---------------------------------------------------------------- memory
    print("## Peak memory of one gradient (tracemalloc), scalar Elman\n")
    print("| backend | T | peak | per step |")
    print("|---|---|---|---|")
    for backend in ("python", "c"):
        for Tm in (1000, 10000):
            vm = elman_values(Tm, rng)
            run(program, Tm, vm, backend=backend)
            tracemalloc.start()
            run(program, Tm, vm, backend=backend)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"| {backend} | {Tm:,} | {peak / 1024:,.0f} KiB | {peak / Tm:.0f} B |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
