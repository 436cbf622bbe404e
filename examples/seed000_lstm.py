"""Seed 000, worked by symbrnn: an LSTM (input 2, hidden 1, gates a, i, f, o) for T = 2.

In the order of the worked example: the forward pass at each step, the backward
pass from the last step to the first (every delta), dL/dh_0, the gradients
(by gate), and the SGD update with λ = 0.1. The notes number the steps from 0
(out_{-1} = state_{-1} = 0); symbrnn from 1 (h_0 = c_0 = 0), so the notes'
t = 0 is symbrnn's step 1. symbrnn calls the notes' "state" c and "out" h.

Run:  python examples/seed000_lstm.py [--digits N]
"""

from __future__ import annotations

import argparse

import numpy as np

from symbrnn import compile_cell, derive, gradients
from symbrnn.cells import lstm_gomez
from symbrnn.numeric.backward import backward_table

GATES = ("a", "i", "f", "o")
VALUES = {  # the params of the notes and the inputs they imply
    "W": [[0.45, 0.25], [0.95, 0.8], [0.7, 0.45], [0.6, 0.4]],
    "U": [[0.15], [0.8], [0.1], [0.25]],
    "b": [0.2, 0.65, 0.15, 0.1],
    "x": [[1.0, 2.0], [0.5, 3.0]],
    "y": [[0.5], [1.25]],
}
T = 2
LR = 0.1


def _loss_partials(cell, values) -> dict[int, np.ndarray]:
    """∂L_t/∂h_t at each step, from the terms of a reverse-mode derivation."""
    ev = derive(cell, T, wrt="b[0]", mode="reverse").evaluate(values)
    H = cell.shape("h")[0]
    out = {}
    for t in range(1, T + 1):
        row = np.zeros(H)
        for term in ev.select("partial", cell.loss_name, t):
            row[int(term.via.base[2:-1])] = term.value  # via is h[k]_t
        out[t] = row
    return out


def worked_example() -> list[tuple[tuple, object]]:
    """Every quantity of the worked example, in its order: (path in the reference file, value)."""
    cell = lstm_gomez(2, 1)
    H = 1
    fwd = compile_cell(cell).forward(VALUES)
    back = backward_table(cell, T, VALUES)
    dL_dh = _loss_partials(cell, VALUES)
    out: list[tuple[tuple, object]] = []
    for t in range(1, T + 1):
        k = t - 1  # the notes' step
        row = {"x": fwd["x"][t], "y": fwd["y"][t][0], "preact": fwd["z"][t]}
        row |= {g: fwd[g][t][0] for g in GATES}
        row |= {"state": fwd["c"][t][0], "tanh_state": float(np.tanh(fwd["c"][t][0])), "out": fwd["h"][t][0],
                "loss_t": fwd["L"][t]}
        out += [(("forward", k, name), value) for name, value in row.items()]
    out.append((("total_loss_E",), sum(fwd["L"][1:])))
    for t in range(T, 0, -1):
        key = f"t={t - 1}"
        gates = back["z"][t]
        before = back["h"][t - 1] - (dL_dh[t - 1] if t > 1 else 0)  # δh_{t-1}'s share from step t
        row = {"Delta": dL_dh[t][0], "Delta_out_from_future": back["h"][t][0] - dL_dh[t][0],
               "delta_out": back["h"][t][0], "delta_state": back["c"][t][0]}
        row |= {f"delta_{g}": gates[j * H] for j, g in enumerate(GATES)}
        row |= {"delta_gates": gates, "delta_x": back["x"][t], "Delta_out_prev": before[0]}
        out += [(("backward_per_step", key, name), value) for name, value in row.items()]
    out.append((("Delta_out_minus1",), back["h"][0][0]))
    grads = gradients(cell, T, VALUES)
    out += [(("gradients", "dW"), grads["W"]), (("gradients", "dU"), grads["U"][:, 0]),
            (("gradients", "db"), grads["b"])]
    for name, g in (("dW", grads["W"]), ("dU", grads["U"][:, 0]), ("db", grads["b"])):
        out += [(("gradients", f"{name}_by_gate", gate), g[j]) for j, gate in enumerate(GATES)]
    for j, gate in enumerate(GATES):
        for p in ("W", "U", "b"):
            new = np.asarray(VALUES[p], dtype=float)[j] - LR * grads[p][j]
            out.append((("updated_parameters_exact", f"{p}{gate}"), np.atleast_1d(new)))
    return out


def _fmt(value, digits: int) -> str:
    if np.ndim(value) == 0:
        return f"{float(value) + 0.0:.{digits}f}"  # + 0.0 turns -0.0 into 0.0
    return "[" + ", ".join(_fmt(v, digits) for v in np.asarray(value).tolist()) + "]"


def _header(path: tuple) -> str:
    if path[0] in ("forward", "backward_per_step"):
        k = path[1] if path[0] == "forward" else int(path[1][2:])
        what = "Forward pass" if path[0] == "forward" else "Backward pass"
        return f"{what}, notes t = {k} (symbrnn step {k + 1})"
    return {
        "total_loss_E": "Total loss E = Σ_t L_t",
        "Delta_out_minus1": "dL/dh_0 (the notes' Delta_out_{-1})",
        "gradients": "Gradients (rows of W, U, b by gate)",
        "updated_parameters_exact": f"SGD update, λ = {LR}: θ ← θ − λ·dL/dθ",
    }[path[0]]


def _label(path: tuple) -> str:
    if path[0] in ("forward", "backward_per_step"):
        return str(path[2])
    return "/".join(str(p) for p in path[1:]) or path[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=12, help="decimals shown (default 12)")
    digits = parser.parse_args(argv).digits
    print(f"Seed 000: LSTM, input 2, hidden 1, gates [a, i, f, o], T = {T}")
    print("z_t = W·x_t + U·h_{t-1} + b;  a = tanh(z^a), i = σ(z^i), f = σ(z^f), o = σ(z^o)")
    print("c_t = a_t·i_t + f_t·c_{t-1};  h_t = o_t·tanh(c_t);  L_t = ½(h_t − y_t)²;  h_0 = c_0 = 0")
    current = None
    for path, value in worked_example():
        header = _header(path)
        if header != current:
            print(f"\n== {header}")
            current = header
        print(f"  {_label(path):<24} = {_fmt(value, digits)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
