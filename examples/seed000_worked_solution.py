"""Seed 000 as a worked solution: its LSTM (input 2, hidden 1), T = 2, written as Markdown and LaTeX.

The forward pass with vectors, the loss, every δ of the backward pass per
gate (δout, δstate, the gates' pre-activation deltas δa, δi, δf, δo, δx =
Wᵀ·δgates and the δ passed back, Uᵀ·δgates), the gradients as sums of
outer products and the SGD update (η = 0.1): the notes of seed 000 with
every number recomputed by symbrnn, in the notes' names (state, out).
symbrnn counts steps from 1; the notes' step 0 is step 1 here.

Run:  python examples/seed000_worked_solution.py [--out DIR] [--digits N] [--adam] [--pdf] [--print]

Writes DIR/seed000_worked_solution.md and DIR/seed000_worked_solution.tex
(and the PDF with --pdf, when pdflatex is installed).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from rich.console import Console

from symbrnn.cells import lstm_gomez
from symbrnn.render import SGD, Adam, WorkedSolution, to_latex, to_markdown

VALUES = {"W": [[0.45, 0.25], [0.95, 0.8], [0.7, 0.45], [0.6, 0.4]], "U": [[0.15], [0.8], [0.1], [0.25]],
          "b": [0.2, 0.65, 0.15, 0.1], "x": [[1.0, 2.0], [0.5, 3.0]], "y": [[0.5], [1.25]]}
T = 2
ETA = 0.1
NAME = "seed000_worked_solution"


def solution(digits: int = 6, adam: bool = False) -> WorkedSolution:
    """The seed 000 worked solution (SGD with η = 0.1, or Adam with its usual constants and α = 0.1)."""
    optimizer = Adam(lr=ETA) if adam else SGD(lr=ETA)
    return WorkedSolution(lstm_gomez(naming="seed000"), T, VALUES, digits=digits, optimizer=optimizer,
                          title="Seed 000: an LSTM, input 2, hidden 1, T = 2, worked solution")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="output directory (default: .)")
    parser.add_argument("--digits", type=int, default=6, help="decimals shown (default 6)")
    parser.add_argument("--adam", action="store_true", help="update with Adam instead of SGD")
    parser.add_argument("--pdf", action="store_true", help="also compile the LaTeX with pdflatex")
    parser.add_argument("--print", action="store_true", help="also print the solution in the terminal")
    args = parser.parse_args(argv)

    s = solution(args.digits, args.adam)
    args.out.mkdir(parents=True, exist_ok=True)
    md, tex = args.out / f"{NAME}.md", args.out / f"{NAME}.tex"
    md.write_text(to_markdown(s), encoding="utf-8")
    tex.write_text(to_latex(s, standalone=True), encoding="utf-8")
    console = Console(highlight=False)
    if args.print:
        console.print(s)
    console.print(f"wrote {md} and {tex}")
    if args.pdf:
        if shutil.which("pdflatex") is None:
            console.print("pdflatex is not installed: no PDF")
            return 1
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                       cwd=args.out, check=True, capture_output=True)
        console.print(f"wrote {args.out / (NAME + '.pdf')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
