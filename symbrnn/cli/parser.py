"""The command line's parser: one subcommand per job, each with an example in its help."""

from __future__ import annotations

import argparse

from .. import __version__
from ..derive.total import MODES
from ..numeric.solution import MAX_UPDATES
from .argtypes import positive, rate
from .checking import add_check
from .commands import cmd_cells, cmd_check_grad, cmd_derive, cmd_eval, cmd_flow, cmd_show, cmd_solve
from .exercise import add_exercise
from .inputs import SIZES
from .valuesfile import FORMATS as VALUES_FORMATS
from .valuesfile import cmd_values

__all__ = ['FORMS', 'PROG', 'Parser', 'parser']


PROG = "symbrnn"


FORMS = ("abstract", "concrete", "generic", "expanded", "terms")


def _digits(text: str) -> int:
    n = positive(text)
    if n > 17:
        raise argparse.ArgumentTypeError("at most 17 decimals (use --json for full precision)")
    return n


def _size_options(c) -> None:
    group = c.add_argument_group("sizes of a built-in cell (where it has them)")
    for name in SIZES:
        group.add_argument("--" + name.replace("_", "-"), type=positive, metavar="N", dest=name)
    group.add_argument("--naming", choices=("symbrnn", "seed000"), default=None,
                       help="lstm_gomez: the states' names, c and h, or seed 000's state and out")


CELL_HELP = "a built-in cell (see 'symbrnn cells') or the path of a cell file (.toml)"


def _with_cell(sub, name: str, help: str, example: str, run):
    c = sub.add_parser(name, help=help, epilog=f"example: {example}",
                       formatter_class=argparse.RawDescriptionHelpFormatter)  # the example on one line, as typed
    if name != "cells":
        c.add_argument("cell", metavar="CELL", help=CELL_HELP)
        _size_options(c)
    c.set_defaults(run=run)
    return c


def _add_derive(sub) -> None:
    c = _with_cell(sub, "derive", "the derivation of dL/dθ, every term labelled",
                   "symbrnn derive elman --steps 3 --wrt U --mode reverse", cmd_derive)
    c.add_argument("--steps", "-T", type=positive, required=True, metavar="T", help="number of steps")
    c.add_argument("--wrt", required=True, metavar="PARAM", help="a param, or an initial state such as h_0")
    c.add_argument("--mode", choices=MODES, default=None,
                   help="forward: explicit + implicit; reverse: deltas (the default for a whole vector or matrix, else"
                   " forward)")
    c.add_argument("--form", choices=FORMS, default="abstract",
                   help="abstract: the recursion as a labelled tree (default); concrete: every term with its"
                   " expression; generic: valid for every T (Sum/Product); expanded: fully expanded (small T);"
                   " terms: the term list")
    c.add_argument("--truncate", type=positive, metavar="TAU",
                   help="truncated BPTT after TAU steps, in closed form: with --form generic the truncated"
                   " generic-T form; with --format markdown or latex a section of the whole derivation (numbers:"
                   " symbrnn flow --truncate)")
    _format_options(c, help="rich: the terminal (default); markdown and latex write the whole derivation (latex: a"
                    " whole document with -o or --standalone); dot: the unrolled graph, its terms' paths marked"
                   " (-o FILE.svg, .png or .pdf draws it with Graphviz)",
                    formats=("rich", "markdown", "latex", "dot"))


def _format_options(c, formats=("rich", "markdown", "latex"), default="rich", help=None) -> None:
    c.add_argument("--format", choices=formats, default=default,
                   help=help or "rich: the terminal (default); markdown; latex (a whole document with -o or"
                   " --standalone)")
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the standard output")
    c.add_argument("--standalone", action="store_true", help="latex: a whole document that pdflatex compiles")


def _values_options(c, mode: str | None) -> None:
    c.add_argument("--values", required=True, metavar="FILE",
                   help="values file (TOML or JSON); - reads it from the standard input ('symbrnn values' writes one)")
    c.add_argument("--steps", "-T", type=positive, metavar="T",
                   help="number of steps (default: the length of the sequences in the values file)")
    c.add_argument("--mode", choices=MODES, default=mode)


def _add_solve(sub) -> None:
    c = _with_cell(sub, "solve", "a worked solution: forward pass, every term, gradients, the update",
                   "symbrnn solve elman --values examples/cells/seed002_values.toml --format markdown -o solution.md",
                   cmd_solve)
    _values_options(c, None)
    c.add_argument("--wrt", action="append", metavar="PARAM", help="repeat for several (default: every param)")
    c.add_argument("--digits", type=_digits, default=4, metavar="N", help="decimals shown (default 4)")
    c.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="the update step (default sgd)")
    c.add_argument("--lr", type=rate, metavar="ETA", help="learning rate (default 0.1 for sgd, 0.001 for adam)")
    c.add_argument("--beta1", type=_fraction, default=0.9, metavar="B1", help="adam: first-moment decay (0.9)")
    c.add_argument("--beta2", type=_fraction, default=0.999, metavar="B2", help="adam: second-moment decay (0.999)")
    c.add_argument("--eps", type=rate, default=1e-8, metavar="EPS", help="adam: ε (1e-8)")
    c.add_argument("--eps-inside-sqrt", action="store_true", help="adam: α·V̂/√(Ŝ + ε), as seed 003 writes it")
    c.add_argument("--clip", type=rate, metavar="C",
                   help="clip the gradients by their joint norm to at most C before each step")
    c.add_argument("--updates", type=positive, default=1, metavar="K",
                   help=f"update steps, each from the last one's params, tabled (default 1, at most {MAX_UPDATES})")
    _format_options(c)


def _fraction(text: str) -> float:
    x = rate(text) if text.strip() not in ("0", "0.0") else 0.0
    if not 0 <= x < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return x


def _add_eval(sub) -> None:
    c = _with_cell(sub, "eval", "the numbers: loss, forward values, every term, gradients",
                   "symbrnn eval elman --values examples/cells/seed002_values.toml --json", cmd_eval)
    _values_options(c, None)
    c.add_argument("--wrt", action="append", metavar="PARAM", help="repeat for several (default: every param)")
    c.add_argument("--digits", type=_digits, default=6, metavar="N",
                   help="decimals shown (default 6), as in every command; --json gives full precision")
    c.add_argument("--json", action="store_true", help="machine-readable output with full precision")
    _format_options(c, formats=("text", "rich", "markdown", "latex"), default="text",
                    help="text: every term's number (default); rich, markdown, latex: one --wrt, rendered")


def _add_flow(sub) -> None:
    c = _with_cell(sub, "flow", "gradient flow: Jacobian-product norms by lag, the bound, vanishing or exploding",
                   "symbrnn flow elman --values examples/cells/seed002_values.toml --truncate 2", cmd_flow)
    _values_options(c, None)
    c.add_argument("--truncate", metavar="TAU", help="also truncated BPTT and its error: a whole number τ (keep"
                   " the terms that go back fewer than τ steps) or random:P:SEED (randomized, unbiased)")
    c.add_argument("--wrt", action="append", metavar="PARAM", help="the params split by lag (default: every param)")
    c.add_argument("--max-lag", type=positive, metavar="N", dest="max_lag",
                   help="the lags whose share is kept apart (default 100; later ones are summed)")
    c.add_argument("--digits", type=_digits, default=4, metavar="N", help="decimals shown (default 4)")
    c.add_argument("--json", action="store_true", help="machine-readable output with full precision")
    c.add_argument("--plot", metavar="FILE", help="also draw the norms by lag and the shares to FILE (.png, .svg"
                   " or .pdf; needs matplotlib: pip install 'symbrnn[plot]')")
    _format_options(c)


def _add_values(sub) -> None:
    c = _with_cell(sub, "values", "a values file with every name the cell needs (placeholders, or --random)",
                   "symbrnn values lstm --random --seed 0 --steps 4 -o lstm_values.toml", cmd_values)
    c.add_argument("--steps", "-T", type=positive, default=3, metavar="T",
                   help="steps of the per-step data (default 3)")
    c.add_argument("--random", action="store_true",
                   help="draw the numbers (numpy.random.default_rng(SEED)) instead of the placeholders: params 0.1,"
                   " inputs 1.0, targets 0.0 (a distribution target one-hot on its first class)")
    c.add_argument("--seed", type=int, metavar="SEED", help="--random: the seed (default 0), a whole number >= 0")
    c.add_argument("--format", choices=VALUES_FORMATS, default=None,
                   help="toml, each entry commented (default; json if -o names a .json file), or json")
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the standard output")


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), as every other error of the command line:
    ``symbrnn eval: error: the following arguments are required: --values (see 'symbrnn eval --help')``."""

    def error(self, message: str):
        if len(message) > 300:  # an echoed argument of any length stays readable
            message = message[:300] + "…"
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def parser() -> argparse.ArgumentParser:
    """The command line's parser: one subcommand per job, each with an example in its help."""
    p = Parser(
        prog=PROG,
        description="Symbolic BPTT: derive the gradients of a recurrent cell term by term, with numbers.",
        epilog="example: symbrnn derive elman --steps 3 --wrt U",
    )
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _with_cell(sub, "cells", "list the built-in cells", "symbrnn cells", cmd_cells)
    c = _with_cell(sub, "show", "a cell's quantities, equations and graph", "symbrnn show lstm --hidden-size 4",
                   cmd_show)
    _format_options(c, formats=("rich", "markdown", "latex", "dot"),
                    help="rich: the terminal (default); markdown; latex (a whole document with -o or --standalone);"
                    " dot: the cell's graph (-o FILE.svg, .png or .pdf draws it with Graphviz)")
    c.add_argument("--components", action="store_true",
                   help="a shaped cell's equations component by component (W[0,1], h[0]_t) instead of arrays")
    _add_derive(sub)
    _add_solve(sub)
    _add_eval(sub)
    c = _with_cell(sub, "check-grad", "the engine against 50-digit finite differences (exit 1 if they disagree)",
                   "symbrnn check-grad elman --values examples/cells/seed002_values.toml", cmd_check_grad)
    _values_options(c, "reverse")
    _add_flow(sub)
    add_check(sub, _with_cell)
    add_exercise(sub, _with_cell)
    _add_values(sub)
    return p
