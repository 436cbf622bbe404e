"""A matrix derivation as a document: the delta recursion at any step t, every step's terms, the sum over T.

What the rich, Markdown and LaTeX outputs of a
:class:`~symbrnn.derive.matrix.total.MatrixDerivative` (or, with numbers, of
its evaluation) are made of. Every δ is labelled by the reader it comes
through (``explicit`` where the loss reads the quantity, ``through a_{t+1}``
for the next step's), and every array has its shape beside it.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> from symbrnn.render.doc import to_text
>>> doc = matrix_doc(derive(elman(2, 3, 1), T=2, wrt="U"))
>>> [s.title for s in doc.sections]
['Recursion (every step t)', 'Per step', 'Generic T']
>>> print(to_text(doc.sections[0].blocks[0], width=100))
   δyhat_t (1,) = yhat_t - y_t       (explicit: ∂L_t/∂yhat_t)
      δh_t (3,) = Vᵀ·δyhat_t         (through yhat_t)
                + Uᵀ·δa_{t+1}        (through a_{t+1})
      δa_t (3,) = δh_t⊙(1 - h_t²)     (through h_t)
      δx_t (2,) = wᵀ·δa_t            (through a_t)
dL/dU[t] (3, 3) = δa_t·h_{t-1}ᵀ
"""

from __future__ import annotations

import numpy as np

from ..core.kinds import INPUT, LOSS
from ..declare.matrixops import add
from ..declare.tensor import Tensor, shape_text
from ..derive.matrix.forward import eye, tangent_leaf
from ..derive.matrix.sweep import delta_leaf
from ..derive.matrix.total import MatrixDerivative
from .arrays import tensor_m
from .doc import Doc, Equations, M, Paragraph, Row, Section
from .text import number

__all__ = ["array_text", "delta_label", "matrix_doc"]


def delta_label(label: str, loss: str, q: str, t) -> str:
    """A δ's part as labelled: the loss's own (``explicit``) is named ∂L_t/∂q_t, e.g. a softmax's ŷ_t − y_t."""
    return f"explicit: ∂{loss}_{t}/∂{q}_{t}" if label == "explicit" else label


def array_text(value, digits: int = 4) -> str:
    """An array's numbers, rounded to ``digits`` significant digits, on one line."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return number(float(arr), digits)
    return np.array2string(arr, precision=digits, separator=", ", floatmode="maxprec", max_line_width=10_000)


def _rows(lhs: M, addends, shape: tuple, value=None, digits: int = 4) -> list[Row]:
    lhs = M(f"{lhs.text} {shape_text(shape)}", lhs.latex)  # the shape beside the name, as a cell's equations show it
    joined = add(*(e for _, e in addends)) if len(addends) > 1 else None
    if isinstance(joined, Tensor) and joined.op == "concat":  # slices that tile the array: one stacked vector
        readers = [label.removeprefix("through ") for label, _ in addends]
        addends = [("through " + ", ".join(sorted(readers)), joined)]
    rows = []
    for k, (label, expr) in enumerate(addends):
        m = tensor_m(expr)
        if k == 0:
            rows.append(Row((lhs, m), label))
        elif m.text.startswith("-") and m.latex.startswith("-"):  # + -diag(n)·dz is written - diag(n)·dz
            rows.append(Row((M(m.text[1:], m.latex[1:]),), label, op="-"))
        else:
            rows.append(Row((m,), label, op="+"))
    if not rows:
        rows.append(Row((lhs, M("0", "0"))))
    if value is not None:
        text = array_text(value, digits)
        rows.append(Row((M(text, text),), "", op=""))
    return rows


def _forward_recursion(d: MatrixDerivative) -> Section:
    cell, sweep, n = d.cell, d.forward_sweep, d.shape[0]
    rows = []
    for s in d.states:
        if cell.init_derivative(s, d.wrt):
            rows += _rows(tensor_m(tangent_leaf(s, d.wrt, cell.shape(s) + (n,), 0)), [("initial", eye(n))],
                          cell.shape(s) + (n,))
    for q in cell.order():
        addends = [(label, e) for label, _, e in sweep.totals[q]]
        if addends:
            rows += _rows(tensor_m(tangent_leaf(q, d.wrt, cell.shape(q) + (n,), "now")), addends,
                          cell.shape(q) + (n,))
    blocks = (Equations(tuple(rows)), Paragraph.of(
        f"dq_t/d{d.wrt} is the Jacobian of q_t with respect to {d.wrt}, one row per entry of q. It has a part"
        f" explicit in {d.wrt}, one through each quantity q reads at step t, and, implicit, one through each"
        " state's previous value, whose Jacobian the step before carried (at t = 1, the initial value's)."))
    return Section("Recursion (every step t)", blocks)


def _recursion(d: MatrixDerivative) -> Section:
    if d.mode == "forward":
        return _forward_recursion(d)
    cell, sweep = d.cell, d.sweep
    rows = []
    order = [q for q in cell.order() if cell.kind(q) != LOSS][::-1] + list(cell.names(INPUT))
    for q in order:
        addends = [(delta_label(a.label, cell.loss_name, q, "t"), a.expr) for a in sweep.deltas[q]]
        addends += [(a.label, a.expr) for a in sweep.next_step.get(q, [])]
        if addends:
            rows += _rows(tensor_m(delta_leaf(q, cell.shape(q), "now")), addends, cell.shape(q))
    share = [(a.label if a.label != "explicit" else "", a.expr) for a in sweep.params.get(d.wrt, [])]
    if share:
        rows += _rows(M(f"dL/d{d.wrt}[t]", rf"\frac{{dL}}{{d{d.wrt}}}[t]"), [("", e) for _, e in share], d.shape)
    blocks = [Equations(tuple(rows))]
    blocks.append(Paragraph.of("δq_t = dL/dq_t; the loss's own δ is 1. A δ has a part through each quantity that"
                               " reads q at step t, and, for a state, through each that reads its previous value"
                               " at step t + 1 (none at t = T)."))
    return Section("Recursion (every step t)", tuple(blocks))


def _per_step(d: MatrixDerivative, evaluation=None, digits: int = 4) -> Section:
    terms = evaluation.terms if evaluation is not None else d.terms
    rows = []
    for term in terms:
        parts = term.addends or (("", term.expr),)
        if term.kind == "delta":
            parts = [(delta_label(label, d.cell.loss_name, term.quantity, term.t), e) for label, e in parts]
        rows += _rows(tensor_m(term.symbol), [(label, e) for label, e in parts], term.shape, term.value, digits)
    return Section("Per step", (Equations(tuple(rows)),))


def _generic(d: MatrixDerivative) -> Section:
    if d.mode == "forward":
        lhs = M(f"dL/d{d.wrt} {shape_text(d.shape)}", rf"\frac{{dL}}{{d{d.wrt}}}")
        rhs = M(f"Σ_{{t=1..T}} d{d.cell.loss_name}_t/d{d.wrt}",
                rf"\sum_{{t=1}}^{{T}} \frac{{d{d.cell.loss_name}_t}}{{d{d.wrt}}}")
        return Section("Generic T", (Equations((Row((lhs, rhs)),)),))
    parts = [(f"Σ_{{t=1..T}} dL/d{d.wrt}[t]", rf"\sum_{{t=1}}^{{T}} \frac{{dL}}{{d{d.wrt}}}[t]")] \
        if d.sweep.params.get(d.wrt) else []
    parts += [(f"δ{s}_0", rf"\delta {s}_{{0}}") for s in d.states if d.cell.init_derivative(s, d.wrt)]
    lhs = M(f"dL/d{d.wrt} {shape_text(d.shape)}", rf"\frac{{dL}}{{d{d.wrt}}}")
    rhs = M(" + ".join(p for p, _ in parts) or "0", " + ".join(q for _, q in parts) or "0")
    return Section("Generic T", (Equations((Row((lhs, rhs)),)),))


def matrix_doc(d: MatrixDerivative, *, evaluation=None, digits: int = 4, max_steps: int = 6, **_options) -> Doc:
    """The document of a matrix derivation (with every number when ``evaluation`` is given)."""
    title = (f"dL/d{d.wrt} {shape_text(d.shape)}   ({d.cell.name}, T = {d.T}, {d.mode} mode,"
             " array terms)")
    sections = [_recursion(d)]
    if d.T <= max_steps:
        sections.append(_per_step(d, evaluation, digits))
    else:
        sections.append(Section("Per step", (Paragraph.of(
            f"{len(d.terms)} terms over T = {d.T} steps (shown up to T = {max_steps}); the recursion above is"
            " every step's."),)))
    sections.append(_generic(d))
    return Doc(title, tuple(sections))
