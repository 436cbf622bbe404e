"""Seed 002, worked by symbrnn: a scalar Elman RNN for T = 3, every quantity in order.

Forward table, then for U, w and b the explicit and implicit terms of dh_t/dθ
at each step, then the per-step and summed loss gradients of every param, and
the SGD update with η = 0.1.

Run:  python examples/seed002_elman.py [--digits N]
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from symbrnn import derive, gradients
from symbrnn.cells import elman

VALUES = {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1, "x": [1.0, 0.8, 0.6], "y": [0.5, 0.6, 0.7]}
T = 3
ETA = 0.1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=6, help="decimals shown (default 6)")
    args = parser.parse_args(argv)
    digits = args.digits

    def fmt(v: float) -> str:
        return f"{v + 0.0:.{digits}f}"  # + 0.0 turns -0.0 into 0.0
    console = Console(highlight=False)
    cell = elman()

    console.rule(f"[bold]Seed 002: scalar Elman RNN, T = {T}")
    console.print("a_t = w·x_t + U·h_{t-1} + b,   h_t = tanh(a_t),   h_0 = 0")
    console.print("ŷ_t = V·h_t + c,   L_t = ½(ŷ_t − y_t)²,   L = Σ_t L_t")
    console.print("params: " + ", ".join(f"{k} = {VALUES[k]}" for k in cell.names("param")))

    # 1. forward pass
    ev = {theta: derive(cell, T, wrt=theta).evaluate(VALUES) for theta in cell.names("param")}
    table = Table(title="Forward pass", title_justify="left")
    for col in ("t", "x_t", "y_t", "a_t", "h_t", "ŷ_t", "L_t"):
        table.add_column(col, justify="right")
    for row in ev["U"].forward_table():
        table.add_row(str(row["t"]), *(fmt(row[k]) for k in ("x", "y", "a", "h", "yhat", "L")))
    console.print(table)
    console.print(f"L = L_1 + L_2 + L_3 = {fmt(ev['U'].loss)}\n")

    # 2. explicit and implicit terms of dh_t/dθ
    for theta in ("U", "w", "b"):
        e = ev[theta]
        title = f"dh_t/d{theta} = ∂h_t/∂{theta} + ∂h_t/∂h_{{t-1}} · dh_{{t-1}}/d{theta}   (explicit + implicit)"
        table = Table(title=title, title_justify="left")
        for col in ("t", f"∂h_t/∂{theta} =", "explicit", "∂h_t/∂h_{t-1}", "implicit", f"dh_t/d{theta}"):
            table.add_column(col, justify="right")
        for t in range(1, T + 1):
            explicit = e.explicit(t)
            (jac,) = e.partials(t)
            table.add_row(str(t), str(explicit.expr), fmt(explicit.value), fmt(jac.value),
                          fmt(e.implicit(t).value), fmt(e.total(t).value))
        console.print(table)

    # 3. per-step and summed gradients
    table = Table(title="Loss gradients: dL_t/dθ = ∂L_t/∂θ + ∂L_t/∂h_t · dh_t/dθ", title_justify="left")
    table.add_column("θ")
    for t in range(1, T + 1):
        table.add_column(f"dL_{t}/dθ", justify="right")
    table.add_column("dL/dθ (sum)", justify="right")
    for theta in cell.names("param"):
        e = ev[theta]
        table.add_row(theta, *(fmt(e.loss_gradient(t).value) for t in range(1, T + 1)), fmt(e.value))
    console.print(table)

    # 4. SGD update (the gradients again, by reverse mode: the same numbers)
    grads = gradients(cell, T, VALUES, mode="reverse")
    table = Table(title=f"SGD update, η = {ETA}: θ ← θ − η·dL/dθ", title_justify="left")
    for col in ("θ", "θ", "dL/dθ", "θ − η·dL/dθ"):
        table.add_column(col, justify="right")
    for theta, g in grads.items():
        table.add_row(theta, fmt(VALUES[theta]), fmt(g), fmt(VALUES[theta] - ETA * g))
    console.print(table)
    console.rule("[bold]The terms of dL/dU at step 3, as derived (forward mode)")
    d = ev["U"]
    for term in d.select(t=3):
        console.print(f"{term.kind:>9}  {term.symbol} = {term.expr} = {fmt(term.value)}")
    console.print(f"{'result':>9}  dL/dU = {d.derivative.expr} = {fmt(d.value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
