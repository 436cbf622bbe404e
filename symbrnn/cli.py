"""The ``symbrnn`` command line: built-in cells or cell files, derivations and their numbers.

Every command has ``--help`` with an example. Bad input prints one line on
stderr and exits with status 2; ``check-grad`` exits with 1 when the engine and
finite differences disagree. The long commands (derive, eval, solve,
check-grad) show a transient progress bar on stderr for work that lasts more
than a second, when stderr is a terminal; piped output has none.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
from pathlib import Path

import numpy as np

from .cells import BUILTIN
from .core import errors
from .core.symbols import step_name
from .declare.spec import load_cell, load_values
from .declare.tensor import shape_text
from .declare.values import resolve_values, steps_of
from .derive.matrix.total import MatrixDerivative, is_whole
from .derive.total import MODES, derive
from .numeric import compile_cell, loss_and_gradients
from .numeric.matrix import MatrixEvaluation, forward_arrays
from .testing import check_gradients

__all__ = ["main"]

PROG = "symbrnn"
FORMS = ("abstract", "concrete", "generic", "expanded", "terms")
LONG = ("derive", "eval", "solve", "check-grad")  # the commands that show a progress bar


SIZES = ("input_size", "hidden_size", "output_size", "classes")


def _cell(ref: str, args=None):
    sizes = {k: getattr(args, k) for k in SIZES if getattr(args, k, None) is not None}
    if ref in BUILTIN:
        make = BUILTIN[ref][0]
        accepted = inspect.signature(make).parameters
        for k in sizes:
            if k not in accepted:
                takes = ", ".join("--" + a.replace("_", "-") for a in SIZES if a in accepted) or "no size options"
                raise errors.SpecError(f"cell {ref!r} has no --{k.replace('_', '-')} (it takes {takes})")
        return make(**sizes)
    if sizes:
        raise errors.SpecError(f"size options are for built-in cells; {ref!r} declares its own shapes")
    if ref.endswith(".toml") or Path(ref).exists():
        return load_cell(ref)
    known = ", ".join(sorted(BUILTIN))
    raise errors.SpecError(f"unknown cell {ref!r}: use a built-in cell ({known}) or the path of a cell file (.toml)")


def _steps(args, values: dict, cell) -> int:
    try:
        return steps_of(cell, values, args.steps)
    except errors.MissingValueError:
        raise errors.SpecError(
            "give --steps T (it defaults to the length of the sequences in the values file)") from None


def _values(path: str, cell, T: int) -> dict:
    values = load_values(path)
    try:
        resolve_values(cell, T, values)
    except errors.ValuesError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    return values


def _fmt(x, digits: int, indent: int = 0) -> str:
    """A number or array with ``digits`` digits; an array's later rows are indented by ``indent``."""
    if isinstance(x, np.ndarray):
        return np.array2string(x + 0.0, precision=digits, separator=", ", floatmode="maxprec", prefix=" " * indent)
    return f"{x + 0.0:.{digits}g}"


def _plain(x):
    """A JSON value: arrays become nested lists (full precision)."""
    return x.tolist() if isinstance(x, np.ndarray) else x


# ------------------------------------------------------------------ commands
def cmd_cells(args, out) -> int:
    width = max(map(len, BUILTIN))
    for name in sorted(BUILTIN):
        out.write(f"{name:<{width}}  {BUILTIN[name][1]}\n")
    return 0


def cmd_show(args, out) -> int:
    cell = _cell(args.cell, args)
    cell.validate()
    out.write(str(cell) + "\n")
    out.write("graph edges (delay: the previous step's value):\n")
    for u, v, data in sorted(cell.graph.edges(data=True)):
        lag = "delay" if data["delay"] else ("same step + delay" if len(data["lags"]) == 2 else "same step")
        out.write(f"  {u} -> {v}   ({lag})\n")
    return 0


def _emit(obj, args, out, **options) -> None:
    """Write a cell, derivation, evaluation or worked solution in ``args.format`` (to ``-o`` if given)."""
    from . import render

    if args.format == "markdown":
        text = render.to_markdown(obj, **options)
    elif args.format == "latex":
        text = render.to_latex(obj, standalone=bool(getattr(args, "output", None)), **options)
    else:  # rich, drawn at the terminal's width (COLUMNS, default 100) with no trailing blanks
        drawable = obj if isinstance(obj, render.WorkedSolution) else render.renderable(obj, **options)
        width = int(os.environ.get("COLUMNS", "100")) if os.environ.get("COLUMNS", "").isdigit() else 100
        text = "\n".join(line.rstrip() for line in render.to_text(drawable, width=width).splitlines())
    _write(text, args, out)


def _write(text: str, args, out) -> None:
    path = getattr(args, "output", None)
    if path:
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        out.write(text if text.endswith("\n") else text + "\n")


def cmd_derive(args, out) -> int:
    from . import render

    cell = _cell(args.cell, args)
    d = derive(cell, args.steps, wrt=args.wrt, mode=args.mode)
    if args.format in ("markdown", "latex"):  # the whole derivation: every form that fits
        _emit(d, args, out)
        return 0
    if args.form == "terms":
        out.write(f"# d{d.of}/d{d.wrt} of cell {cell.name!r}, T = {d.T}, {d.mode} mode:"
                  " every term, in evaluation order\n")
        out.write(str(d) + "\n")
    elif args.form == "abstract":
        _emit(d, args, out)
    elif isinstance(d, MatrixDerivative):
        _matrix_form(d, args.form, out)
    elif args.form == "concrete":
        for term in d.terms:
            out.write(f"{term.symbol} = {render.concrete(d, term.expr)}\n")
    elif args.form == "generic":
        out.write(str(render.GenericForm(d.cell, d.wrt, mode=d.mode)) + "\n")
    else:  # expanded
        try:
            out.write(str(render.ExpandedForm(d)) + "\n")
        except render.ExpansionTooLarge as exc:
            raise errors.SpecError(
                f"--form expanded: {exc}; the expanded form grows fast with T: use fewer --steps,"
                " or --form abstract / generic"
            ) from None
    return 0


def _matrix_form(d: MatrixDerivative, form: str, out) -> None:
    """The concrete and generic forms of a derivation with respect to a whole vector or matrix."""
    from .render.arrays import tensor_text
    from .render.matrix import matrix_doc

    if form == "concrete":
        for term in d.terms:
            out.write(f"{tensor_text(term.symbol)} {shape_text(term.shape)} = {tensor_text(term.expr)}\n")
    elif form == "generic":
        row = matrix_doc(d).sections[-1].blocks[0].rows[0]
        out.write(" = ".join(p.text for p in row.parts) + "\n")
    else:
        raise errors.SpecError(
            f"--form expanded: a derivation with respect to the whole {d.wrt!r} has no expanded form (its terms"
            " are arrays); use --form abstract, concrete or generic, or a component such as"
            f" --wrt '{d.wrt}[{','.join('0' * len(d.shape))}]'"
        )


def _number(value):
    """A 0-d array as a float (as the componentwise trace gives a scalar), arrays as they are."""
    return float(value) if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _forward(cell, T: int, values) -> tuple[dict, dict]:
    """Every forward value: by name, a list by step; and by name at step (``h_3``)."""
    if cell.shaped:  # at the array level: no components are made
        arrays = forward_arrays(cell, resolve_values(cell, T, values)).by_key
        names = [n for n in cell.names() if cell.kind(n) not in ("param",)]
        trace = {n: [_number(arrays.get((n, t))) for t in range(T + 1)] for n in names}
    else:
        trace = compile_cell(cell).forward(values, T=T)
    forward = {step_name(n, t): column[t] for t in range(T + 1) for n, column in trace.items() if column[t] is not None}
    return trace, forward


def cmd_eval(args, out) -> int:
    cell = _cell(args.cell, args)
    values = load_values(args.values)
    T = _steps(args, values, cell)
    values = _values(args.values, cell, T)
    # terms for the components asked for; for a scalar cell, every param. A shaped cell has many
    # components (an LSTM: hundreds), so without --wrt it gets whole-array gradients only.
    wrts = args.wrt or ([] if cell.shaped else list(cell.names("param")))
    mode = args.mode or ("reverse" if any(is_whole(cell, w) for w in wrts) else "forward")
    evaluations = [derive(cell, T, wrt=w, mode=mode).evaluate(values) for w in wrts]
    loss, grads = loss_and_gradients(cell, T, values, wrt=None if cell.shaped else wrts, mode=mode)
    if cell.shaped and args.wrt:
        loss, parts = loss_and_gradients(cell, T, values, wrt=wrts, mode=mode)
        grads.update(parts)
    trace, forward = _forward(cell, T, values)
    if args.format != "text" and not args.json:
        if len(evaluations) != 1 or (cell.shaped and not isinstance(evaluations[0], MatrixEvaluation)):
            raise errors.SpecError(f"--format {args.format} shows one derivation of a scalar cell: give one --wrt")
        _emit(evaluations[0], args, out, digits=min(args.digits, 10))
        return 0
    if args.json:
        doc = {
            "cell": cell.name, "T": T, "mode": mode, "loss": loss,
            "forward": {k: _plain(v) for k, v in forward.items()},
            "gradients": {k: _plain(v) for k, v in grads.items()},
            "terms": {
                str(ev.derivative.wrt): [
                    {"kind": t.kind, "quantity": t.quantity, "t": t.t, "symbol": str(t.symbol),
                     "expr": str(t.expr), "value": _plain(t.value)}
                    for t in ev.terms
                ]
                for ev in evaluations
            },
        }
        out.write(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
        return 0
    digits = args.digits
    out.write(f"# cell {cell.name!r}, T = {T}, {mode} mode\n")
    out.write("forward values:\n")
    for t in range(1, T + 1):
        row = "  ".join(f"{n}={_fmt(column[t], digits)}" for n, column in trace.items())
        out.write(f"  t={t}  {row}\n")
    out.write(f"loss L = {_fmt(loss, digits)}\n")
    for ev in evaluations:
        out.write(f"\nterms of d{ev.derivative.of}/d{ev.derivative.wrt}:\n")
        for t in ev.terms:
            out.write(f"  {t.kind:>12}  {t.symbol} = {t.expr} = {_fmt(t.value, digits)}\n")
    out.write("\ngradients:\n")
    for w, g in grads.items():
        label = f"  dL/d{w} = "
        out.write(f"{label}{_fmt(g, digits, len(label))}\n")
    return 0


def cmd_solve(args, out) -> int:
    from . import render

    cell = _cell(args.cell, args)
    if cell.shaped:
        raise errors.SpecError(f"solve writes worked solutions for scalar cells; {cell.name!r} has vector quantities")
    values = load_values(args.values)
    T = _steps(args, values, cell)
    values = _values(args.values, cell, T)
    optimizer = render.Adam(lr=args.lr or 0.001) if args.optimizer == "adam" else render.SGD(lr=args.lr or 0.1)
    solution = render.WorkedSolution(cell, T, values, digits=args.digits, optimizer=optimizer, mode=args.mode)
    _emit(solution, args, out)
    return 0


def cmd_check_grad(args, out) -> int:
    cell = _cell(args.cell, args)
    values = load_values(args.values)
    T = _steps(args, values, cell)
    values = _values(args.values, cell, T)
    report = check_gradients(cell, T, values, mode=args.mode)
    out.write(str(report) + "\n")
    out.write("ok: the engine agrees with 50-digit finite differences\n" if report.ok
              else "MISMATCH: the engine disagrees with finite differences\n")
    return 0 if report.ok else 1


# -------------------------------------------------------------------- parser
def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be at least 1")
    return n


def _digits(text: str) -> int:
    n = _positive(text)
    if n > 17:
        raise argparse.ArgumentTypeError("at most 17 significant digits (use --json for full precision)")
    return n


def _size_options(c) -> None:
    group = c.add_argument_group("sizes of a built-in cell (where it has them)")
    for name in SIZES:
        group.add_argument("--" + name.replace("_", "-"), type=_positive, metavar="N", dest=name)


CELL_HELP = "a built-in cell (see 'symbrnn cells') or the path of a cell file (.toml)"


def _with_cell(sub, name: str, help: str, example: str, run):
    c = sub.add_parser(name, help=help, epilog=f"example: {example}")
    if name != "cells":
        c.add_argument("cell", metavar="CELL", help=CELL_HELP)
        _size_options(c)
    c.set_defaults(run=run)
    return c


def _add_derive(sub) -> None:
    c = _with_cell(sub, "derive", "the derivation of dL/dθ, every term labelled",
                   "symbrnn derive elman --steps 3 --wrt U --mode reverse", cmd_derive)
    c.add_argument("--steps", "-T", type=_positive, required=True, metavar="T", help="number of steps")
    c.add_argument("--wrt", required=True, metavar="PARAM", help="a param, or an initial state such as h_0")
    c.add_argument("--mode", choices=MODES, default=None,
                   help="forward: explicit + implicit; reverse: deltas (the default for a whole vector or matrix, else"
                   " forward)")
    c.add_argument("--form", choices=FORMS, default="abstract",
                   help="abstract: the recursion as a labelled tree (default); concrete: every term with its"
                   " expression; generic: valid for every T (Sum/Product); expanded: fully expanded (small T);"
                   " terms: the term list")
    c.add_argument("--format", choices=("rich", "markdown", "latex"), default="rich",
                   help="rich: the terminal (default); markdown and latex write the whole derivation")


def _values_options(c, mode: str | None) -> None:
    c.add_argument("--values", required=True, metavar="FILE", help="values file (TOML or JSON)")
    c.add_argument("--steps", "-T", type=_positive, metavar="T",
                   help="number of steps (default: the length of the sequences in the values file)")
    c.add_argument("--mode", choices=MODES, default=mode)


def _add_solve(sub) -> None:
    c = _with_cell(sub, "solve", "a worked solution: forward pass, every term, gradients, the update",
                   "symbrnn solve elman --values values.toml --format markdown -o solution.md", cmd_solve)
    _values_options(c, "forward")
    c.add_argument("--digits", type=_digits, default=4, metavar="N", help="decimals shown (default 4)")
    c.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="the update step (default sgd)")
    c.add_argument("--lr", type=float, metavar="ETA", help="learning rate (default 0.1 for sgd, 0.001 for adam)")
    c.add_argument("--format", choices=("rich", "markdown", "latex"), default="rich")
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE (latex: a whole document)")


def _add_eval(sub) -> None:
    c = _with_cell(sub, "eval", "the numbers: loss, forward values, every term, gradients",
                   "symbrnn eval elman --values values.toml --json", cmd_eval)
    _values_options(c, None)
    c.add_argument("--wrt", action="append", metavar="PARAM", help="repeat for several (default: every param)")
    c.add_argument("--digits", type=_digits, default=6, metavar="N", help="significant digits (default 6)")
    c.add_argument("--json", action="store_true", help="machine-readable output with full precision")
    c.add_argument("--format", choices=("text", "rich", "markdown", "latex"), default="text",
                   help="text: every term's number (default); rich, markdown, latex: one --wrt, rendered")


def parser() -> argparse.ArgumentParser:
    """The command line's parser: one subcommand per job, each with an example in its help."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Symbolic BPTT: derive the gradients of a recurrent cell term by term, with numbers.",
        epilog="example: symbrnn derive elman --steps 3 --wrt U",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _with_cell(sub, "cells", "list the built-in cells", "symbrnn cells", cmd_cells)
    _with_cell(sub, "show", "a cell's equations and graph", "symbrnn show elman", cmd_show)
    _add_derive(sub)
    _add_solve(sub)
    _add_eval(sub)
    c = _with_cell(sub, "check-grad", "the engine against 50-digit finite differences (exit 1 if they disagree)",
                   "symbrnn check-grad elman --values values.toml", cmd_check_grad)
    _values_options(c, "reverse")
    return p


def _progress(command: str):
    """A progress bar on stderr for a long command when stderr is a terminal; otherwise nothing (rich not loaded)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if command not in LONG or isatty is None or not isatty():
        return contextlib.nullcontext()
    from .render.progress import progress_bar

    return progress_bar()  # a console on stderr; erased before anything else is written there


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    try:
        with _progress(args.command):
            return args.run(args, sys.stdout)
    except errors.SymbrnnError as exc:
        message = " ".join(str(exc).split())  # one line
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug in symbrnn, not bad input: say so, and keep exit 1 for check-grad's mismatch
        if os.environ.get("SYMBRNN_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error (please report it; set SYMBRNN_DEBUG=1 for the traceback):"
            f" {type(exc).__name__}: {' '.join(str(exc).split())}\n"
        )
        return 3


def run() -> None:  # console-script entry point
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
