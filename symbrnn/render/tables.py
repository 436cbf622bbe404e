"""Per-step tables of an evaluation: the forward pass, the terms (forward mode), the deltas (reverse mode).

Each function returns a :class:`~symbrnn.render.doc.Table`, which prints in
the terminal with rich and exports to Markdown and LaTeX. Numbers have
``digits`` decimals.

Examples
--------
>>> from symbrnn.render.doc import to_text
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> ev = derive(elman(), T=3, wrt="U").evaluate(values)
>>> print(to_text(forward_table(ev, digits=3), width=80))
Forward pass
t     x_t     y_t     a_t     h_t   yhat_t     L_t
──────────────────────────────────────────────────
0                           0.000
1   1.000   0.500   0.700   0.604    0.402   0.005
2   0.800   0.600   0.902   0.717    0.459   0.010
3   0.600   0.700   0.859   0.696    0.448   0.032
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import INPUT, STATE, TARGET
from ..core.symbols import Named, Prev, Step, now, step_name
from ..numeric.evaluate import Evaluation
from .doc import M, Table
from .text import number

__all__ = ["delta_table", "forward_table", "gradient_table", "terms_tables"]


def _m(name: str) -> M:
    return M.of(Named(name, real=True))


def _head(name: str) -> M:
    return M.of(now(name))


def forward_table(ev: Evaluation, *, digits: int = 4, title: str = "Forward pass") -> Table:
    """Every per-step quantity at every step; the first row is t = 0 (initial states)."""
    cell = ev.cell
    names = cell.names(INPUT) + cell.names(TARGET) + cell.order()
    rows = []
    for t in range(0 if cell.names(STATE) else 1, ev.T + 1):
        row = [str(t)]
        for n in names:
            key = step_name(n, t)
            row.append(number(ev.forward[key], digits) if key in ev.forward else "")
        rows.append(tuple(row))
    return Table(("t", *(_head(n) for n in names)), tuple(rows), title=title)


def _value(ev: Evaluation, kind: str, v: str, t: int, digits: int, via=None) -> str:
    for term in ev.select(kind, v, t):
        if via is None or term.via == via:
            return number(term.value, digits)
    return ""


def _zero_template(ev: Evaluation, v: str) -> bool:
    wrt = ev.derivative.wrt
    return isinstance(wrt, Step) or ev.derivative.cell_partials.partial(v, wrt) == 0


def terms_tables(ev: Evaluation, *, digits: int = 4) -> tuple[Table, ...]:
    """Forward mode: per step, each level's explicit term, partials, implicit (or chain) term and total.

    One table for a cell with one state; one table per state, and one for the
    loss, for a cell with several.
    """
    if ev.mode != "forward":
        raise ValueError("terms_tables is for forward mode; use delta_table for reverse mode")
    d = ev.derivative
    levels = (*d.states, ev.cell.loss_name)
    groups = [levels] if len(levels) == 2 else [(v,) for v in levels]
    return tuple(_terms_table(ev, group, digits, last=group[-1] == levels[-1]) for group in groups)


def _terms_table(ev: Evaluation, levels: tuple[str, ...], digits: int, last: bool) -> Table:
    d, th = ev.derivative, ev.derivative.wrt.name
    cols, getters = ["t"], []
    for v in levels:
        if not _zero_template(ev, v):
            cols.append(_m(f"∂{v}_t/∂{th}"))
            getters.append(lambda t, v=v: _value(ev, "explicit", v, t, digits))
        for z in d.cell_partials.frontier(v):
            zt = f"{z.name}_{{t-1}}" if isinstance(z, Prev) else f"{z.name}_t"
            cols.append(_m(f"∂{v}_t/∂{zt}"))
            getters.append(lambda t, v=v, z=z: _value(ev, "partial", v, t, digits, via=_via(z, t)))
        kind = "implicit" if ev.cell.kind(v) == STATE else "chain"
        cols.append(kind)
        getters.append(lambda t, v=v, kind=kind: _value(ev, kind, v, t, digits))
        cols.append(_m(f"d{v}_t/d{th}"))
        getters.append(lambda t, v=v: _value(ev, "total", v, t, digits))
    rows = [tuple([str(t)] + [g(t) for g in getters]) for t in range(1, ev.T + 1)]
    if last:
        rows.append(tuple(["Σ"] + [""] * (len(getters) - 1) + [number(ev.value, digits)]))
    what = f"d{d.of}/d{th}" if len(levels) > 1 else f"d{levels[0]}_t/d{th}"
    return Table(tuple(cols), tuple(rows), title=f"Terms of {what} (forward mode)")


def _via(z, t: int) -> sp.Symbol:
    return Step(f"{z.name}_{t - 1 if isinstance(z, Prev) else t}", real=True)


def delta_table(ev: Evaluation, *, digits: int = 4, shares: bool = True) -> Table:
    """Reverse mode: per step (from T down to 0), each state's delta and, with ``shares``, the
    explicit terms and the step's share of the result."""
    if ev.mode != "reverse":
        raise ValueError("delta_table is for reverse mode; use terms_tables for forward mode")
    d, th = ev.derivative, ev.derivative.wrt.name
    levels = (*d.states, ev.cell.loss_name)
    explicit = [v for v in levels if not _zero_template(ev, v)] if shares else []
    cols = ["t", *(_m(f"δ{s}_t") for s in d.states), *(_m(f"∂{v}_t/∂{th}") for v in explicit)]
    if shares:
        cols.append(_m(f"d{d.of}/d{th}[t]"))
    rows = []
    for t in range(ev.T, -1, -1):
        row = [str(t), *(_value(ev, "delta", s, t, digits) for s in d.states)]
        row += [_value(ev, "explicit", v, t, digits) if t else "" for v in explicit]
        if shares:
            row.append(_value(ev, "contribution", d.cell.loss_name, t, digits) if t else "")
        rows.append(tuple(row))
    if shares:
        rows.append(tuple(["Σ"] + [""] * (len(cols) - 2) + [number(ev.value, digits)]))
        return Table(tuple(cols), tuple(rows), title=f"Deltas of d{d.of}/d{th} (reverse mode)")
    return Table(tuple(cols), tuple(rows), title="Deltas (reverse mode)")


def gradient_table(evaluations: dict[str, Evaluation], *, digits: int = 4) -> Table:
    """One row per θ: the per-step shares and dL/dθ (forward mode: dL_t/dθ; reverse: the step's share)."""
    evs = list(evaluations.values())
    T, loss = evs[0].T, evs[0].cell.loss_name
    forward = all(e.mode == "forward" for e in evs)
    heads = [_m(f"d{loss}_{t}/dθ" if forward else f"d{loss}/dθ[{t}]") for t in range(1, T + 1)]
    rows = []
    for th, e in evaluations.items():
        shares = [e.loss_gradient(t) if forward else e.contribution(t) for t in range(1, T + 1)]
        rows.append((th, *(number(s.value, digits) for s in shares), number(e.value, digits)))
    return Table(("θ", *heads, _m(f"d{loss}/dθ")), tuple(rows), title="Gradients")
