"""Seed 002 as a worked solution: the scalar Elman RNN for T = 3, written as Markdown and LaTeX.

Forward pass, loss, step partials, the explicit and implicit terms of every
parameter's gradient, the sums and the SGD update (η = 0.1) — the hand
derivation of seed 002 with every number recomputed by symbrnn.

Run:  python examples/seed002_worked_solution.py [--out DIR] [--digits N] [--adam] [--pdf] [--print]

Writes DIR/seed002_worked_solution.md and DIR/seed002_worked_solution.tex
(and the PDF with --pdf, when pdflatex is installed).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from rich.console import Console

from symbrnn.cells import elman
from symbrnn.render import SGD, Adam, WorkedSolution, to_latex, to_markdown

VALUES = {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1, "x": [1.0, 0.8, 0.6], "y": [0.5, 0.6, 0.7]}
T = 3
ETA = 0.1
NAME = "seed002_worked_solution"


def solution(digits: int = 4, adam: bool = False) -> WorkedSolution:
    """The seed 002 worked solution (SGD with η = 0.1, or Adam with its usual constants and α = 0.1)."""
    optimizer = Adam(lr=ETA) if adam else SGD(lr=ETA)
    return WorkedSolution(elman(), T, VALUES, digits=digits, optimizer=optimizer,
                          title="Seed 002: scalar Elman RNN, T = 3, worked solution")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="output directory (default: .)")
    parser.add_argument("--digits", type=int, default=4, help="decimals shown (default 4)")
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
