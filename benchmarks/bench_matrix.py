"""Declare, derive, compile and take the first gradient of lstm(8, H), T = 100, beside JAX (jit of grad over scan).

Run by hand (not by CI; JAX: ``pip install -e '.[jax]'``)::

    python benchmarks/bench_matrix.py [--hidden 16 64 128 256 512 1024] [--repeat 3]

Every measurement runs in a fresh process, so nothing is reused from an
earlier size (sympy's caches, compiled programs, JAX's traces), and each is
repeated; the table gives medians, per hidden size, of:

- symbrnn: ``lstm(8, H)`` declared, ``derive(cell, 100, wrt="W_hh").terms``
  built (the matrix-level derivation, every term), then ``gradients()``
  (the array program written, compiled and run once), and a second call;
- JAX: ``jax.jit(jax.grad(loss))`` of the same LSTM over ``lax.scan``,
  traced, compiled and run once, then a second call (float64).

Both sides compute the same gradient; the worker checks that they agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

T, D = 100, 8


def _values(H: int):
    import numpy as np

    rng = np.random.default_rng(0)
    return {"W_ih": rng.normal(size=(4 * H, D)) * 0.1, "W_hh": rng.normal(size=(4 * H, H)) * 0.1,
            "b_ih": np.zeros(4 * H), "b_hh": np.zeros(4 * H), "x": rng.normal(size=(T, D)),
            "y": rng.normal(size=(T, H))}


def symbrnn_worker(H: int) -> dict:
    t0 = time.perf_counter()
    from symbrnn import derive, gradients
    from symbrnn.cells import lstm

    t_import = time.perf_counter()
    values = _values(H)
    t1 = time.perf_counter()
    cell = lstm(D, H)
    t2 = time.perf_counter()
    terms = derive(cell, T, wrt="W_hh").terms
    t3 = time.perf_counter()
    grads = gradients(cell, T, values)
    t4 = time.perf_counter()
    gradients(cell, T, values)
    t5 = time.perf_counter()
    return {"import": t_import - t0, "declare": t2 - t1, "derive": t3 - t2, "first": t4 - t3, "second": t5 - t4,
            "total": (t2 - t1) + (t3 - t2) + (t4 - t3), "terms": len(terms), "grad": grads["W_hh"][:2, :2].tolist()}


def jax_worker(H: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    values = {k: jnp.asarray(v) for k, v in _values(H).items()}

    def loss(p, x, y):
        def step(carry, xy):
            h, c = carry
            xt, yt = xy
            z = p["W_ih"] @ xt + p["b_ih"] + p["W_hh"] @ h + p["b_hh"]
            i, f = jax.nn.sigmoid(z[:H]), jax.nn.sigmoid(z[H:2 * H])
            g, o = jnp.tanh(z[2 * H:3 * H]), jax.nn.sigmoid(z[3 * H:])
            c = f * c + i * g
            h = o * jnp.tanh(c)
            return (h, c), 0.5 * jnp.sum((h - yt) ** 2)

        _, losses = jax.lax.scan(step, (jnp.zeros(H), jnp.zeros(H)), (x, y))
        return jnp.sum(losses)

    params = {k: values[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}
    t1 = time.perf_counter()
    grad = jax.jit(jax.grad(loss))
    g = grad(params, values["x"], values["y"])
    g["W_hh"].block_until_ready()
    t2 = time.perf_counter()
    grad(params, values["x"], values["y"])["W_hh"].block_until_ready()
    t3 = time.perf_counter()
    return {"first": t2 - t1, "second": t3 - t2, "grad": g["W_hh"][:2, :2].tolist()}


def _run(kind: str, H: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(H)], capture_output=True, text=True,
                         check=True, timeout=1200)
    return json.loads(out.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, nargs="+", default=[16, 64, 128, 256, 512, 1024])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        kind, H = args.worker[0], int(args.worker[1])
        print(json.dumps(symbrnn_worker(H) if kind == "symbrnn" else jax_worker(H)))
        return
    print(f"lstm(8, H), T = {T}: medians of {args.repeat} fresh processes, seconds")
    print(f"{'H':>5} {'declare':>8} {'derive':>8} {'1st grad':>9} {'total':>7} {'2nd grad':>9}"
          f" {'JAX 1st':>8} {'JAX 2nd':>8} {'terms':>6}")
    for H in args.hidden:
        runs = {"symbrnn": [], "jax": []}
        for _ in range(args.repeat):  # the two alternate, so that both see the same machine
            runs["symbrnn"].append(_run("symbrnn", H))
            runs["jax"].append(_run("jax", H))
        s, j = runs["symbrnn"], runs["jax"]
        for a, b in zip(s[0]["grad"], j[0]["grad"], strict=True):
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-9, (a, b)
        med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
        print(f"{H:>5} {med(s, 'declare'):>8.3f} {med(s, 'derive'):>8.3f} {med(s, 'first'):>9.3f}"
              f" {med(s, 'total'):>7.3f} {med(s, 'second'):>9.3f} {med(j, 'first'):>8.3f} {med(j, 'second'):>8.3f}"
              f" {s[0]['terms']:>6}")


if __name__ == "__main__":
    main()
