"""``symbrnn exercise``: a problem sheet for an instructor, its values file and its answer key.

The sheet goes to the standard output (or ``-o``); ``--values-out`` and
``--key`` write the values file and the answer key, which
``symbrnn check CELL --values V --answers KEY`` marks all right.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..checking.exercise import Exercise, exercise
from ..core import errors
from .argtypes import positive, rate
from .inputs import cell_from, emit

__all__ = ["add_exercise", "cmd_exercise", "key_text", "values_text"]


def add_exercise(sub, with_cell) -> None:
    """Add the ``exercise`` subcommand to ``sub``; ``with_cell`` makes a subcommand that takes a CELL."""
    c = with_cell(sub, "exercise", "an exercise for hand work: the problem sheet, its values and its answer key",
                  "symbrnn exercise elman --steps 2 --seed 1 --format latex -o sheet.tex --values-out v.toml"
                  " --key key.toml", cmd_exercise)
    c.add_argument("--steps", "-T", type=positive, default=2, metavar="T", help="number of steps (default 2)")
    c.add_argument("--seed", type=_seed, default=0, metavar="N", help="the same seed gives the same sheet"
                   " (default 0)")
    c.add_argument("--digits", type=positive, default=4, metavar="D", help="decimals of the answers (1 to 8;"
                   " default 4)")
    c.add_argument("--lr", type=rate, default=0.1, metavar="ETA", help="the SGD step of the update (default 0.1)")
    c.add_argument("--format", choices=("rich", "markdown", "latex"), default="rich",
                   help="rich: the terminal (default); markdown; latex (a whole document with -o or --standalone)")
    c.add_argument("-o", "--output", metavar="FILE", help="write the sheet to FILE instead of the standard output")
    c.add_argument("--standalone", action="store_true", help="latex: a whole document that pdflatex compiles")
    c.add_argument("--values-out", metavar="FILE", help="write the values file (TOML) to FILE")
    c.add_argument("--key", metavar="FILE", help="write the answer key (an answer sheet, TOML) to FILE")


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a seed is a whole number >= 0")
    return n


def _command(ex: Exercise) -> str:
    cell = ex.cell.origin or ex.cell
    return f"exercise of cell {cell.name!r}, T = {ex.T}, seed {ex.seed}, {ex.digits} decimals"


def values_text(ex: Exercise) -> str:
    """The values file of ``ex`` (TOML: JSON's arrays of numbers are TOML's)."""
    lines = [f"# values of the {_command(ex)}"]
    lines += [f"{name} = {json.dumps(value)}" for name, value in ex.values.items()]
    return "\n".join(lines) + "\n"


def key_text(ex: Exercise) -> str:
    """The answer key of ``ex``: an answer sheet (TOML) that ``symbrnn check`` reads."""
    lines = [f"# answer key of the {_command(ex)}; SGD update, η = {ex.lr:g}",
             "# mark a student's sheet: symbrnn check CELL --values VALUES --answers SHEET"]
    lines += [f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}" for k, v in ex.key.items()]
    return "\n".join(lines) + "\n"


def _write(path: str, text: str, what: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.SpecError(f"{path}: cannot write the {what} ({exc.strerror})") from None


def cmd_exercise(args, out) -> int:
    from ..render.exercise import exercise_doc

    if args.digits > 8:
        raise errors.SpecError(f"--digits {args.digits}: an exercise's answers have 1 to 8 decimals")
    ex = exercise(cell_from(args.cell, args), args.steps, seed=args.seed, digits=args.digits, lr=args.lr)
    if args.values_out:
        _write(args.values_out, values_text(ex), "values file")
    if args.key:
        _write(args.key, key_text(ex), "answer key")
    emit(exercise_doc(ex), args, out)
    return 0
