"""Seed 001: the LSTM step backward in batch matrix form, derived by symbrnn from the cell.

The cell is seed 001's: N sequences as rows, a = x·W_x + h_prev·W_h + b with
the gates [i, f, o, g] as blocks of H columns. One step (T = 1) of the matrix
derivation gives the five equations of the notes:

    dx = da·W_xᵀ    dW_x = xᵀ·da    dW_h = h_prevᵀ·da    dh_prev = da·W_hᵀ    db = Σ_N da

Run: python examples/seed001_lstm_batch.py [--batch N] [--input D] [--hidden H]
"""

import argparse

from symbrnn import derive
from symbrnn.cells import lstm_step_batch
from symbrnn.declare.tensor import shape_text
from symbrnn.render.arrays import tensor_text


def equations(N: int, D: int, H: int) -> list[tuple[str, str, str]]:
    """(name, equation, shape) of seed 001's five equations, from the matrix derivation of one step."""
    cell = lstm_step_batch(N, D, H)
    by_param = {w: derive(cell, T=1, wrt=w) for w in ("W_x", "W_h", "b", "h_0")}
    d = by_param["W_x"]
    rows = [
        ("da", d.delta(1, "a")),
        ("dx", d.delta(1, "x")),
        ("dW_x", by_param["W_x"].contribution(1)),
        ("dW_h", by_param["W_h"].contribution(1)),
        ("dh_prev", by_param["h_0"].delta(0, "h")),
        ("db", by_param["b"].contribution(1)),
    ]
    return [(name, f"{tensor_text(term.symbol)} = {tensor_text(term.expr)}", shape_text(term.shape))
            for name, term in rows]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--input", type=int, default=3)
    p.add_argument("--hidden", type=int, default=2)
    args = p.parse_args()
    print(f"LSTM step backward, batch form (N = {args.batch}, D = {args.input}, H = {args.hidden}), step t = 1:")
    print("(h_0 is h_prev; δa_1 is da, the gates' pre-activations' δ, concatenated [i, f, o, g])")
    width = max(len(eq) for _, eq, _ in equations(args.batch, args.input, args.hidden))
    for name, eq, shape in equations(args.batch, args.input, args.hidden):
        print(f"  {name:<8} {eq:<{width}}  {shape}")


if __name__ == "__main__":
    main()
