"""The worked solution of a shaped cell (an LSTM, a GRU, a softmax RNN): vectors and matrices, with every number.

In the order a student writes it, as seed 000 does for its LSTM:

1. the problem: the cell's equations, the params and the data, and how the
   steps are numbered;
2. the forward pass, step by step, each vector with its expression and value;
3. the loss, per step and in total;
4. the backward pass (reverse mode): every δ from the last step back, each
   part labelled by the reader it comes through and given its own number
   where there are several (``δh_t = (h_t - y_t) + Uᵀ·δz_{t+1}``: the δ
   passed back from the next step), a stacked δ (the LSTM's δz_t, seed
   000's "delta_gates") block by block, one gate each;
5. the gradients, each a sum of per-step outer products (dL/dW = Σ_t δz_t·x_tᵀ);
6. the update (SGD, or Adam with its moments), as arrays.

Every number comes from the engine's
:class:`~symbrnn.numeric.matrix.MatrixEvaluation`; ``digits`` is the decimals
shown, as in the scalar worked solution.

Examples
--------
>>> from symbrnn.cells import lstm_gomez
>>> from symbrnn.render import WorkedSolution
>>> values = {"W": [[.45, .25], [.95, .8], [.7, .45], [.6, .4]], "U": [[.15], [.8], [.1], [.25]],
...           "b": [.2, .65, .15, .1], "x": [[1, 2], [.5, 3]], "y": [[.5], [1.25]]}
>>> s = WorkedSolution(lstm_gomez(), 2, values, digits=6)
>>> [section.title for section in s.doc.sections]  # doctest: +NORMALIZE_WHITESPACE
['Problem', 'Forward pass', 'Loss', 'Backward pass (reverse mode)', 'Gradient with respect to W',
 'Gradient with respect to U', 'Gradient with respect to b', 'Update']
"""

from __future__ import annotations

import re

import numpy as np

from ..core.kinds import INPUT, PARAM, STATE, TARGET
from ..declare.matrixops import add
from ..declare.tensor import Tensor, shape_text
from ..derive.matrix.sweep import DELTA
from .arrays import tensor_m
from .cellview import cell_equations, cell_quantities
from .doc import Doc, Equations, M, Paragraph, Row, Section, Table
from .matrix import delta_label
from .optimizers import Adam, clipping_rows, describe
from .text import number

__all__ = ["NUMBERING", "arrays_text", "matrix_solution_doc", "update_steps"]

#: how the steps are numbered, said at the top of every worked solution of a shaped cell
NUMBERING = ("Steps are numbered t = 1, ..., T; the initial states are the values at t = 0. Notes that count"
             " from 0 (seed 000 does) call step t here their step t - 1.")


def _number(x: float, digits: int) -> str:
    if x != 0 and abs(x) < 0.5 * 10 ** (-digits):  # would print as 0: scientific notation
        return f"{x:.{max(digits - 3, 1)}e}"
    return number(x, digits)


def arrays_text(value, digits: int) -> str:
    """An array's numbers at ``digits`` decimals (a scalar as a number), on one line."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return _number(float(arr), digits)
    return np.array2string(arr, separator=", ", max_line_width=10_000, threshold=10_000,
                           formatter={"float_kind": lambda x: _number(float(x), digits)})


def _value(value, digits: int) -> M:
    text = arrays_text(value, digits)
    return M(text, _latex_array(value, digits) if "[" in text else text)


def _latex_array(value, digits: int) -> str:
    """A vector or matrix as a LaTeX bmatrix (a vector as a column)."""
    arr = np.asarray(value, dtype=float)
    arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr.reshape(arr.shape[0], -1)
    body = r" \\ ".join(" & ".join(_number(float(x), digits) for x in row) for row in arr)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _with_value(cells: tuple, value, digits: int, label: str = "", op: str = "=") -> list[Row]:
    """``cells = value`` on one row; a matrix on rows of its own below, so its lines stay aligned."""
    if np.ndim(value) >= 2:
        head = cells if len(cells) > 1 else (*cells, M("", ""))
        return [Row(head, label, op=op), Row((_value(value, digits),), "", op="")]
    return [Row((*cells, _value(value, digits)), label, op=op)]


def _at(m: M, t: int) -> M:
    """A generic-step expression (``W·x_t + U·h_{t-1}``) written at step ``t``."""
    text = re.sub(r"_\{t-1\}", f"_{t - 1}" if t - 1 < 10 else f"_{{{t - 1}}}", m.text)
    text = re.sub(r"_t(?![A-Za-z0-9])", f"_{t}" if t < 10 else f"_{{{t}}}", text)
    latex = m.latex.replace("_{t-1}", f"_{{{t - 1}}}").replace("_{t}", f"_{{{t}}}")
    return M(text, latex)


def _named(name: str, t, shape: tuple) -> M:
    sub = f"_{t}" if t is not None else ""
    return M(f"{name}{sub} {shape_text(shape)}" if shape else f"{name}{sub}",
             f"{name}_{{{t}}}" if t is not None else name)


def _problem(ws) -> Section:
    cell, digits = ws.cell, ws.digits
    rows = [r for p in cell.names(PARAM) for r in _with_value((_named(p, None, cell.shape(p)),), ws.params[p], digits)]
    data = cell.names(INPUT) + cell.names(TARGET)
    arrays = ws.first.values.arrays
    table = tuple((str(t), *(_value(arrays[n][t - 1], digits) for n in data)) for t in range(1, ws.T + 1))
    return Section("Problem", (
        cell_quantities(cell), cell_equations(cell), Paragraph.of(NUMBERING),
        Paragraph.of("Parameters:"), Equations(tuple(rows)),
        Table(("t", *(M(f"{n}_t", f"{n}_{{t}}") for n in data)), table, title="Data"),
    ))


def _forward(ws) -> Section:
    cell, ev, blocks = ws.cell, ws.first, []
    initial = [Row((_named(s, 0, cell.shape(s)), _value(ev.forward[f"{s}_0"], ws.digits)))
               for s in cell.names(STATE)]
    blocks += [Paragraph.of("Initial states:"), Equations(tuple(initial))]
    for t in range(1, ws.T + 1):
        rows = []
        for n in cell.order():
            if n == cell.loss_name:
                continue
            expr = cell.expr(n)
            m = _at(tensor_m(expr) if isinstance(expr, Tensor) else M.of(expr), t)
            rows.append(Row((_named(n, t, cell.shape(n)), m, _value(ev.forward[f"{n}_{t}"], ws.digits))))
        blocks += [Paragraph.of(f"Step t = {t}:"), Equations(tuple(rows))]
    return Section("Forward pass", tuple(blocks))


def _loss(ws) -> Section:
    cell, ev, loss = ws.cell, ws.first, ws.cell.loss_name
    expr = cell.expr(loss)
    rule = tensor_m(expr) if isinstance(expr, Tensor) else M.of(expr)
    rows = [Row((_named(loss, t, ()), _at(rule, t), _value(ev.forward[f"{loss}_{t}"], ws.digits)))
            for t in range(1, ws.T + 1)]
    names = " + ".join(f"{loss}_{t}" for t in range(1, ws.T + 1))
    numbers = " + ".join(_paren(arrays_text(ev.forward[f"{loss}_{t}"], ws.digits)) for t in range(1, ws.T + 1))
    rows.append(Row((M(loss, loss), M(names, names.replace("_", "_")), M(numbers, numbers),
                     _value(ev.loss, ws.digits))))
    return Section("Loss", (Equations(tuple(rows)),))


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _delta_names(expr) -> list[str]:
    """The δ leaves an expression reads (``δa`` in ``δa_t⊙(1 - a_t⊙a_t)``), in order."""
    found: list[str] = []

    def walk(t):
        if not isinstance(t, Tensor):
            return
        if t.op == "leaf" and isinstance(t.extra, tuple) and str(t.extra[0]).startswith(DELTA):
            if t.extra[0] not in found:
                found.append(t.extra[0])
        for a in t.args:
            walk(a)

    walk(expr)
    return found


def _term_rows(ws, term, *, label_first: str = "") -> list[Row]:
    """``δq_t = part + part`` labelled, each part's number when there are several, then the value."""
    ev, digits = ws.first, ws.digits
    lhs = M(f"{tensor_m(term.symbol).text} {shape_text(term.shape)}", tensor_m(term.symbol).latex)
    parts = term.addends or (("", term.expr),)
    rows = []
    joined = add(*(e for _, e in parts)) if len(parts) > 1 else parts[0][1]
    if isinstance(joined, Tensor) and joined.op == "concat":  # blocks that tile the array: one stacked vector
        return _stacked_rows(ws, term, lhs, joined)
    for k, (label, expr) in enumerate(parts):
        m = tensor_m(expr)
        cells = (lhs, m) if k == 0 else (m,)
        if len(parts) > 1:
            cells = (*cells, _value(ev.number(expr), digits))
        rows.append(Row(cells, _label(ws, label, term), op="=" if k == 0 else "+"))
    rows.append(Row((_value(term.value, digits),), "", op=""))
    return rows


def _label(ws, label: str, term) -> str:
    """The part's label; the loss's own part of a δ is ∂L_t/∂q_t (seed 004's ŷ_t - y_t for a softmax)."""
    return delta_label(label, ws.cell.loss_name, term.quantity, term.t) if term.kind == "delta" else label


def _stacked_rows(ws, term, lhs: M, expr: Tensor) -> list[Row]:
    """A δ stacked from blocks (the LSTM's δz_t: one block per gate), block by block with its own number."""
    rows, start, names = [], 0, []
    symbol = tensor_m(term.symbol)
    for block in expr.args:
        size = block.shape[0] if block.shape else 1
        stop = start + size
        gates = [n.removeprefix(DELTA) for n in _delta_names(block)]
        name = M(f"{symbol.text}[{start}:{stop}]", f"{symbol.latex}[{start}:{stop}]")
        names.append(name)
        tag = f"pre-activation of {', '.join(f'{g}_{term.t}' for g in gates)}" if gates else ""
        rows.append(Row((name, tensor_m(block), _value(term.value[start:stop], ws.digits)), tag))
        start = stop
    stacked = M("[" + "; ".join(n.text for n in names) + "]",
                r"\begin{bmatrix} " + r" \\ ".join(n.latex for n in names) + r" \end{bmatrix}")
    rows += [Row((lhs, stacked), "the blocks stacked"), Row((_value(term.value, ws.digits),), "", op="")]
    return rows


def _backward(ws) -> Section:
    ev = ws.first
    rows = []
    for term in ev.terms:
        if term.kind == "delta":
            rows += _term_rows(ws, term)
    text = ("δq_t = dL/dq_t, from the last step back. Each δ has a part through every quantity that reads q at"
            " step t and, for a state, through every one that reads its previous value at step t + 1: the δ"
            " passed back from the next step (none at t = T). A stacked pre-activation such as an LSTM's δz_t"
            " (seed 000's delta_gates) is shown block by block, one gate each.")
    return Section("Backward pass (reverse mode)", (Paragraph.of(text), Equations(tuple(rows))))


def _gradient(ws, th: str) -> Section:
    ev, digits = ws.evaluations[th], ws.digits
    rows = []
    shares = [tensor_m(a.expr) for a in ev.derivative.sweep.params.get(th, [])]
    if shares:  # the sum over the steps, as a formula valid for every T
        parts = [_sum_m(shares)]
        plain = [tensor_m(_explicit_deltas(ev.derivative.sweep, a.expr)) for a in ev.derivative.sweep.params[th]]
        if [m.text for m in plain] != [m.text for m in shares]:  # δz_t = ŷ_t - y_t written in: seed 004's form
            parts.append(_sum_m(plain))
        rows.append(Row((M(f"dL/d{th}", rf"\frac{{dL}}{{d{th}}}"), *parts), "every T"))
    for term in ev.terms:
        if term.kind == "contribution":
            lhs = M(f"dL/d{th}[{term.t}] {shape_text(term.shape)}", rf"\frac{{dL}}{{d{th}}}[{term.t}]")
            rows += _with_value((lhs, tensor_m(term.expr)), term.value, digits)
    result = ev.result
    lhs = M(f"dL/d{th} {shape_text(result.shape)}", rf"\frac{{dL}}{{d{th}}}")
    rows += _with_value((lhs, tensor_m(result.expr)), result.value, digits, "sum")
    intro = Paragraph.of(f"Each step's share of dL/d{th} (an outer product for a matrix), then their sum:")
    return Section(f"Gradient with respect to {th}", (intro, Equations(tuple(rows))))


def _adam_rows(ws, th: str, g: tuple) -> list[Row]:
    """Adam's moments of one param, as arrays (every entry updated on its own); ``g`` is the gradient used
    (text, LaTeX): dL/dθ, or g̃ when clipped."""
    opt, digits, (gt, gx) = ws.optimizer, ws.digits, g
    m = opt.moments(th, ws.params[th], ws.solution.step_gradients[th], ws.adam_state)
    k, b1, b2 = m.k, f"{opt.beta1:g}", f"{opt.beta2:g}"
    rows = []
    for name, latex, rule, rule_tex, value, label in (
            (f"V_{k}[{th}]", f"V_{{{k}}}[{th}]", f"{b1}·V_{k - 1} + (1 - {b1})·{gt}",
             rf"{b1} V_{{{k - 1}}} + (1 - {b1}) {gx}", m.V, "first moment"),
            (f"S_{k}[{th}]", f"S_{{{k}}}[{th}]", f"{b2}·S_{k - 1} + (1 - {b2})·({gt})²",
             rf"{b2} S_{{{k - 1}}} + (1 - {b2}) \left({gx}\right)^2", m.S, "second moment"),
            (f"V̂_{k}[{th}]", rf"\hat V_{{{k}}}[{th}]", f"V_{k}/(1 - {b1}^{k})",
             rf"\frac{{V_{{{k}}}}}{{1 - {b1}^{{{k}}}}}", m.V_hat, "bias correction"),
            (f"Ŝ_{k}[{th}]", rf"\hat S_{{{k}}}[{th}]", f"S_{k}/(1 - {b2}^{k})",
             rf"\frac{{S_{{{k}}}}}{{1 - {b2}^{{{k}}}}}", m.S_hat, "bias correction")):
        rows += _with_value((M(name, latex), M(rule, rule_tex)), value, digits, label)
    return rows


def _sum_m(shares: list[M]) -> M:
    text = " + ".join(m.text for m in shares)
    return M(f"Σ_{{t=1..T}} {text}" if len(shares) == 1 else f"Σ_{{t=1..T}} ({text})",
             r"\sum_{t=1}^{T} " + " + ".join(m.latex for m in shares))


def _explicit_deltas(sweep, expr):
    """``expr`` with each δ that is only the loss's own part written out (δz_t -> ŷ_t - y_t for a softmax)."""
    def leaf(t):
        name, when = t.extra
        q = str(name).removeprefix(DELTA)
        own = sweep.deltas.get(q, []) if str(name).startswith(DELTA) and when == "now" else []
        if len(own) == 1 and own[0].label == "explicit" and not sweep.next_step.get(q):
            return own[0].expr
        return None

    return expr.rebuild(leaf=leaf) if isinstance(expr, Tensor) else expr


def _update(ws) -> Section:
    opt, digits, rows, clipping = ws.optimizer, ws.digits, [], ws.solution.clipping
    g = (lambda th: (f"g̃[{th}]", rf"\tilde g[{th}]")) if clipping else (
        lambda th: (f"dL/d{th}", rf"\frac{{dL}}{{d{th}}}"))
    if clipping is not None:
        rows += clipping_rows(clipping, digits, per_param=False)
        for th in ws.wrt:
            rows += _with_value((M(*g(th)), M(f"s·dL/d{th}", rf"s \frac{{dL}}{{d{th}}}")), clipping.grads[th],
                                digits, "clipped gradient")
    for th in ws.wrt:
        if isinstance(opt, Adam):
            rows += _adam_rows(ws, th, g(th))
            k = (ws.adam_state.k if ws.adam_state else 0) + 1
            root = f"√(Ŝ_{k} + ε)" if opt.eps_inside_sqrt else f"(√Ŝ_{k} + ε)"
            rule = f"{th} - {opt.lr:g}·V̂_{k}/{root}"
            tex = (rf"{th} - {opt.lr:g} \frac{{\hat V_{{{k}}}}}{{\sqrt{{\hat S_{{{k}}} + \varepsilon}}}}"
                   if opt.eps_inside_sqrt else
                   rf"{th} - {opt.lr:g} \frac{{\hat V_{{{k}}}}}{{\sqrt{{\hat S_{{{k}}}}} + \varepsilon}}")
        else:
            rule = f"{th} - {opt.lr:g}·{g(th)[0]}"
            tex = rf"{th} - {opt.lr:g} {g(th)[1]}"
        rows += _with_value((M(th, th), M(rule, tex)), ws.updated[th], digits, "update", op="←")
    return Section("Update", (Paragraph.of(describe(opt)), Equations(tuple(rows))))


def update_steps(steps, digits: int) -> tuple:
    """Update steps k = 1..K of array params: per step the loss before it, then each param, its gradient
    (and Adam's moments) and its value after the step."""
    blocks = []
    for step in steps:
        rows = []
        for th in step.updated:
            rows += _with_value((M(f"dL/d{th}", rf"\frac{{dL}}{{d{th}}}"),), step.gradients[th], digits)
            if step.adam is not None:
                rows += _with_value((M(f"V[{th}]", f"V[{th}]"),), step.adam.V[th], digits, "first moment")
                rows += _with_value((M(f"S[{th}]", f"S[{th}]"),), step.adam.S[th], digits, "second moment")
            rows += _with_value((M(th, th),), step.updated[th], digits, "after the step", op="←")
        loss = arrays_text(step.loss, digits)
        clip = "" if step.clipping is None else (
            f" The gradients' norm is {number(step.clipping.norm, digits)}, so they are scaled by"
            f" s = {number(step.clipping.scale, digits)} before the step.")
        blocks += [Paragraph.of(f"Step k = {step.k}: L = {loss} before it.{clip}"), Equations(tuple(rows))]
    return tuple(blocks)


def matrix_solution_doc(ws) -> Doc:
    """The :class:`Doc` of a worked solution of a shaped cell (``ws``: a :class:`~symbrnn.render.WorkedSolution`)."""
    sections = [_problem(ws), _forward(ws), _loss(ws), _backward(ws)]
    sections += [_gradient(ws, th) for th in ws.wrt]
    sections.append(_update(ws))
    return Doc(ws.title, tuple(sections))
