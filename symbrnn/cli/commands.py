"""The commands of the command line: one function per subcommand, each writing to ``out``."""

from __future__ import annotations

import json
import textwrap

import numpy as np

from ..cells import BUILTIN
from ..core import errors
from ..core.symbols import step_name
from ..declare.lower import lowered
from ..declare.tensor import shape_text
from ..declare.values import resolve_values
from ..derive.matrix.total import MatrixDerivative, is_whole
from ..derive.total import derive
from ..numeric import compile_cell, loss_and_gradients
from ..numeric.matrix import MatrixEvaluation, forward_arrays
from ..testing import check_gradients
from .inputs import cell_from, checked_values, columns, emit, plain, read_values, steps_from
from .report import write_report

__all__ = ['cmd_cells', 'cmd_check_grad', 'cmd_derive', 'cmd_eval', 'cmd_flow', 'cmd_show', 'cmd_solve',
           'truncate_option']


def cmd_cells(args, out) -> int:
    width = max(map(len, BUILTIN))
    room = max(columns(out) - width - 2, 20)  # each description wrapped under itself, to the terminal's width
    for name in sorted(BUILTIN):
        lines = textwrap.wrap(BUILTIN[name][1], room, break_long_words=False, break_on_hyphens=False)
        out.write(f"{name:<{width}}  " + ("\n" + " " * (width + 2)).join(lines) + "\n")
    return 0


def cmd_show(args, out) -> int:
    from ..render.cellview import cell_doc

    cell = cell_from(args.cell, args)
    if args.components:  # asked for: every component's own equation
        cell = lowered(cell)
    emit(cell if args.format == "dot" else cell_doc(cell, edges=True), args, out)
    return 0


def cmd_derive(args, out) -> int:
    from .. import render

    cell = cell_from(args.cell, args)
    d = derive(cell, args.steps, wrt=args.wrt, mode=args.mode)
    if args.truncate is not None:
        _check_truncate(d, args)
    if args.format in ("markdown", "latex"):  # the whole derivation: every form that fits
        emit(d, args, out, **({} if args.truncate is None else {"truncate": args.truncate}))
        return 0
    if args.format == "dot":  # its unrolled graph
        emit(d, args, out)
        return 0
    if args.form == "terms":
        out.write(f"# d{d.of}/d{d.wrt} of cell {cell.name!r}, T = {d.T}, {d.mode} mode:"
                  " every term, in evaluation order\n")
        out.write(str(d) + "\n")
    elif args.form == "abstract":
        emit(d, args, out)
    elif isinstance(d, MatrixDerivative):
        matrix_form(d, args.form, out)
    elif args.form == "concrete":
        for term in d.terms:
            out.write(f"{term.symbol} = {render.concrete(d, term.expr)}\n")
    elif args.form == "generic":
        out.write(str(render.GenericForm(d.cell, d.wrt, mode=d.mode, truncate=args.truncate)) + "\n")
    else:  # expanded
        try:
            out.write(str(render.ExpandedForm(d)) + "\n")
        except render.ExpansionTooLarge as exc:
            raise errors.SpecError(
                f"--form expanded: {exc}; the expanded form grows fast with T: use fewer --steps,"
                " or --form abstract / generic"
            ) from None
    return 0


def _check_truncate(d, args) -> None:
    """``derive --truncate``: the truncated closed form of a scalar or one component, generic or in a document."""
    if isinstance(d, MatrixDerivative):
        index = ",".join("0" * len(d.shape))
        state = d.wrt[:-2] if d.wrt.endswith("_0") and d.wrt[:-2] in d.cell.names("state") else None
        example = f"{state}[{index}]_0" if state else f"{d.wrt}[{index}]"
        raise errors.SpecError(
            f"--truncate: the truncated closed form is written for one component, not the whole {d.wrt!r}; give"
            f" --wrt '{example}', or use symbrnn flow --truncate for the numbers")
    if args.format == "dot" or (args.format == "rich" and args.form != "generic"):
        raise errors.SpecError(
            "--truncate writes the truncated generic-T form: use it with --form generic, or with --format"
            " markdown or latex (the whole derivation with a truncated section)")


def matrix_form(d: MatrixDerivative, form: str, out) -> None:
    """The concrete and generic forms of a derivation with respect to a whole vector or matrix."""
    from ..render.arrays import tensor_text
    from ..render.matrix import matrix_doc

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


def number(value):
    """A 0-d array as a float (as the componentwise trace gives a scalar), arrays as they are."""
    return float(value) if isinstance(value, np.ndarray) and value.ndim == 0 else value


def forward_values(cell, T: int, values) -> tuple[dict, dict]:
    """Every forward value: by name, a list by step; and by name at step (``h_3``)."""
    if cell.shaped:  # at the array level: no components are made
        arrays = forward_arrays(cell, resolve_values(cell, T, values)).by_key
        names = [n for n in cell.names() if cell.kind(n) not in ("param",)]
        trace = {n: [number(arrays.get((n, t))) for t in range(T + 1)] for n in names}
    else:
        trace = compile_cell(cell).forward(values, T=T)
    forward = {step_name(n, t): column[t] for t in range(T + 1) for n, column in trace.items() if column[t] is not None}
    return trace, forward


def cmd_eval(args, out) -> int:
    cell = cell_from(args.cell, args)
    values = read_values(args.values)
    T = steps_from(args, values, cell)
    values = checked_values(args.values, cell, T)
    # terms for the components asked for; for a scalar cell, every param. A shaped cell has many
    # components (an LSTM: hundreds), so without --wrt it gets whole-array gradients only.
    wrts = args.wrt or ([] if cell.shaped else list(cell.names("param")))
    # whole arrays, or every gradient of a shaped cell: reverse mode (one sweep, not one per component)
    mode = args.mode or ("reverse" if any(is_whole(cell, w) for w in wrts) or (cell.shaped and not wrts) else "forward")
    evaluations = [derive(cell, T, wrt=w, mode=mode).evaluate(values) for w in wrts]
    loss, grads = loss_and_gradients(cell, T, values, wrt=None if cell.shaped else wrts, mode=mode)
    if cell.shaped and args.wrt:
        loss, parts = loss_and_gradients(cell, T, values, wrt=wrts, mode=mode)
        grads.update(parts)
    trace, forward = forward_values(cell, T, values)
    if args.format != "text" and not args.json:
        if len(evaluations) != 1 or (cell.shaped and not isinstance(evaluations[0], MatrixEvaluation)):
            raise errors.SpecError(f"--format {args.format} shows one derivation of a scalar cell: give one --wrt")
        emit(evaluations[0], args, out, digits=min(args.digits, 10))
        return 0
    if args.json:
        doc = {
            "cell": cell.name, "T": T, "mode": mode, "loss": loss,
            "forward": {k: plain(v) for k, v in forward.items()},
            "gradients": {k: plain(v) for k, v in grads.items()},
            "terms": {
                str(ev.derivative.wrt): [
                    {"kind": t.kind, "quantity": t.quantity, "t": t.t, "symbol": str(t.symbol),
                     "expr": str(t.expr), "value": plain(t.value)}
                    for t in ev.terms
                ]
                for ev in evaluations
            },
        }
        out.write(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
        return 0
    write_report(out, cell, T, mode, trace, loss, evaluations, grads, digits=args.digits)
    return 0


def cmd_solve(args, out) -> int:
    from .. import render

    cell = cell_from(args.cell, args)
    values = read_values(args.values)
    T = steps_from(args, values, cell)
    values = checked_values(args.values, cell, T)
    if args.optimizer == "adam":
        optimizer = render.Adam(lr=args.lr or 0.001, beta1=args.beta1, beta2=args.beta2, eps=args.eps,
                                eps_inside_sqrt=args.eps_inside_sqrt, clip=args.clip)
    else:
        optimizer = render.SGD(lr=args.lr or 0.1, clip=args.clip)
    solution = render.WorkedSolution(cell, T, values, wrt=args.wrt, digits=args.digits, optimizer=optimizer,
                                     mode=args.mode, updates=args.updates)
    emit(solution, args, out)
    return 0


def cmd_check_grad(args, out) -> int:
    cell = cell_from(args.cell, args)
    values = read_values(args.values)
    T = steps_from(args, values, cell)
    values = checked_values(args.values, cell, T)
    from ..render.doc import Table, draw

    report = check_gradients(cell, T, values, mode=args.mode)
    digits = 17 if columns(out) >= 80 else 12  # two numbers a line: fewer digits in a narrow terminal
    draw(Table(report.COLUMNS, tuple(report.rows(digits))), out)
    out.write("ok: the engine agrees with 50-digit finite differences\n" if report.ok
              else "MISMATCH: the engine disagrees with finite differences\n")
    return 0 if report.ok else 1


TRUNCATE_FIX = "give a whole number τ >= 1 or random:P:SEED (0 < P <= 1), e.g. --truncate 5 or --truncate random:0.5:0"


def truncate_option(text: str | None):
    """``--truncate``: ``"5"`` -> 5, ``"random:0.5:0"`` -> ("random", 0.5, 0), checked; None stays None."""
    from ..numeric.truncation import check_truncate

    if text is None:
        return None
    parts = text.split(":")
    try:
        value = int(text) if len(parts) == 1 else ("random", float(parts[1]), int(parts[2]))
        if len(parts) not in (1, 3) or (len(parts) == 3 and parts[0] != "random"):
            raise ValueError
        return check_truncate(value)
    except (ValueError, IndexError):
        raise errors.SpecError(f"--truncate {text!r}: {TRUNCATE_FIX}") from None


def cmd_flow(args, out) -> int:
    from ..analysis import flow

    cell = cell_from(args.cell, args)
    values = read_values(args.values)
    T = steps_from(args, values, cell)
    values = checked_values(args.values, cell, T)
    if args.plot is not None:  # refused before the work, not after it
        from ..render.plot import check_plot_file

        check_plot_file(args.plot)
    f = flow(cell, T, values, wrt=args.wrt, truncate=truncate_option(args.truncate), max_lag=args.max_lag)
    if args.plot is not None:
        from ..render.plot import save_flow_plot

        save_flow_plot(f, args.plot)
    if args.json:
        out.write(json.dumps(flow_json(f), indent=1, ensure_ascii=False, allow_nan=False) + "\n")
        return 0
    emit(f, args, out, digits=args.digits)
    return 0


def _finite(x):
    return float(x) if np.isfinite(x) else None


def flow_json(f) -> dict:
    """A flow as JSON: full precision; a norm that under- or overflows is null, its log10 kept where finite."""
    b, t = f.bound, f.truncation
    doc = {
        "cell": f.cell.name, "T": f.T, "states": list(f.states), "verdict": f.verdict, "rate": _finite(f.rate),
        "log10_norms": [_finite(x / np.log(10)) for x in f.log_norms],
        "norms": [_finite(x) if x > 0 else (0.0 if np.isneginf(lg) else None)
                  for x, lg in zip(f.norms, f.log_norms, strict=True)],
        "shares": [float(x) for x in f.shares()], "max_lag": f.max_lag,
        "bound": {"holds": b.holds, "expr": None if b.expr is None else str(b.expr), "matrix": b.matrix_name,
                  "factor": None if b.factor is None else str(b.factor), "value": f.bound_value, "reason": b.reason,
                  "activations": {k: str(v) for k, v in b.activations.items()},
                  "gates": [{"state": p.state, "gate": str(p.gate), "low": str(p.low), "high": str(p.high),
                             "whole": p.whole, "reads": list(p.reads),
                             "log10_direct_norms": [_finite(x / np.log(10)) for x in f.direct.get(p.state, [])]}
                            for p in b.gates]},
        "gradients": {k: plain(v) for k, v in f.gradients.items()},
        "truncation": None,
    }
    if t is not None:
        doc["truncation"] = {"truncate": t.truncate if isinstance(t.truncate, int) else list(t.truncate),
                             "relative_error": t.relative_error, "cosine": t.cosine, "lost": t.lost,
                             "gradients": {k: plain(v) for k, v in t.gradients.items()}}
    return doc
