"""A derivation as a document: its recursion, step partials, per-step equations and closed forms.

:func:`derivation_doc` is what the rich, Markdown and LaTeX outputs of a
:class:`~symbrnn.TotalDerivative` (or, with numbers, an
:class:`~symbrnn.Evaluation`) are made of:

1. the recursion at a generic step t (valid for every T);
2. the step partials in closed form (the concrete form of each ∂);
3. the equations of every step, with numbers when evaluated (for T up to ``max_steps``);
4. the fully expanded sum of chain products, abstract and concrete, built
   only when it has at most ``max_products`` products; otherwise the
   document says how many it would have and points to the generic form;
5. the generic-T form (Sum and Product over indexed quantities).

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> doc = derivation_doc(derive(elman(), T=100, wrt="U"))
>>> [s.title for s in doc.sections]
['Recursion (every step t)', 'Step partials', 'Per step', 'Fully expanded', 'Generic T']
>>> print(doc.sections[3].blocks[0].parts[0])  # doctest: +NORMALIZE_WHITESPACE
The fully expanded form has 5050 chain products at T = 100 (more than 64): it is not built.
The generic-T form below is the same sum for every T.
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import STATE
from ..core.symbols import Named, Prev, Step, split_step, step
from ..derive.total import TotalDerivative
from .chains import fold
from .doc import Doc, Equations, M, Paragraph, Row, Section
from .forms import ExpandedForm, RecursiveForm, count_products
from .generic import GenericForm
from .recursion import generic_recursion
from .text import number

__all__ = ["derivation_doc", "equation_rows", "sum_of"]


def _label(addends) -> str:
    labels = []
    for a in addends:
        if a.label not in labels:
            labels.append(a.label)
    return " + ".join(labels)


def sum_of(exprs, **kwargs) -> M:
    """Addends written in the given order, joined by +; ``0`` for none."""
    if not exprs:
        return M("0", "0")
    ms = [M.of(e, **kwargs) for e in exprs]
    return M(" + ".join(m.text for m in ms), " + ".join(m.latex for m in ms))


def equation_rows(equations, values: dict | None = None, digits: int = 4) -> tuple[Row, ...]:
    """Rows ``lhs = rhs [= rhs with numbers = value]`` of equations, labelled by their addends."""
    rows = []
    for eq in equations:
        exprs = [a.expr for a in eq.addends]
        parts = [M.of(eq.lhs), sum_of(exprs)]
        if values is not None and eq.lhs in values:
            if eq.rhs.free_symbols and not eq.rhs.is_Symbol:
                parts.append(sum_of(exprs, values=values, digits=digits))
            parts.append(M(number(values[eq.lhs], digits), number(values[eq.lhs], digits)))
        rows.append(Row(tuple(parts), _label(eq.addends)))
    return tuple(rows)


def _step_partials(d: TotalDerivative, simplify: bool) -> tuple[Row, ...]:
    th, rows = d.wrt, []
    for v in (*d.states, d.cell.loss_name):
        against = [] if isinstance(th, Step) else [(th, th.name)]
        against += [(z, f"{z.name}_{{t-1}}" if isinstance(z, Prev) else f"{z.name}_t")
                    for z in d.cell_partials.frontier(v)]
        for z, name in against:
            e = d.cell_partials.partial(v, z)
            if e == 0:
                continue
            e = fold(d.cell, sp.simplify(e) if simplify else e)
            label = "explicit" if z == th else ("step Jacobian" if d.cell.kind(v) == STATE else "")
            rows.append(Row((M.of(Named(f"∂{v}_t/∂{name}", real=True)), M.of(e)), label))
    return tuple(rows)


def _values(ev) -> dict:
    """Every number of an evaluation by symbol: the terms (∂h_3/∂U, dh_3/dU) and the forward values (h_3)."""
    out = {term.symbol: term.value for term in ev.terms}
    for key, value in ev.forward.items():
        out[step(*split_step(key))] = value
    return out


def _expanded(d: TotalDerivative, ev, digits: int, max_products: int) -> tuple:
    n = count_products(d)
    if n > max_products:
        return (Paragraph.of(
            f"The fully expanded form has {n} chain products at T = {d.T} (more than {max_products}): it is"
            " not built. The generic-T form below is the same sum for every T."),)
    e = ExpandedForm(d, max_products=max_products)
    values = _values(ev) if ev is not None else None
    blocks = [Paragraph.of(f"{n} chain products, each a path from {d.wrt.name} to the loss:")]
    rows = []
    for i, p in enumerate(e.products):
        parts = [_product(p.factors)]
        if values is not None:
            value = float(sp.Mul(*(values[f] for f in p.factors)) * p.coeff)
            parts.append(M(number(value, digits), number(value, digits)))
        lhs = (M.of(Named(f"d{d.of}/d{d.wrt.name}", real=True)),) if i == 0 else ()
        rows.append(Row((*lhs, *parts), op="=" if i == 0 else "+"))
    blocks.append(Equations(tuple(rows)))
    terms = {term.symbol: term for term in d.terms}
    concrete = [[fold(d.cell, terms[f].expr, terms[f].t) if f in terms else f for f in p.factors]
                for p in e.products]
    blocks.append(Paragraph.of("The same with every partial replaced by its expression (concrete form):"))
    lhs = M.of(Named(f"d{d.of}/d{d.wrt.name}", real=True))
    blocks.append(Equations(tuple(
        Row(((lhs,) if i == 0 else ()) + (_product(p),), op="=" if i == 0 else "+")
        for i, p in enumerate(concrete))))
    return tuple(blocks)


def _product(factors) -> M:
    """Factors written as a product, each Add in parentheses."""
    texts = [f"({M.of(f).text})" if f.is_Add else M.of(f).text for f in factors]
    latexes = [r"\left(" + M.of(f).latex + r"\right)" if f.is_Add else M.of(f).latex for f in factors]
    return M("·".join(texts), r" \cdot ".join(latexes))


def _generic(d: TotalDerivative, truncate: int | None = None) -> tuple:
    g = GenericForm(d.cell, d.wrt, mode=d.mode, truncate=truncate)
    lhs = M(f"d{d.cell.loss_name}/d{d.wrt.name}", g.lhs_latex())
    blocks = [Equations((Row((lhs, M(g.text(), g.latex()))),))]
    if truncate is not None:
        blocks.append(Paragraph.of(
            f"Truncated after τ = {truncate} steps: a loss at step t reaches {d.wrt.name} only through steps k"
            " with t − τ < k ≤ t (paths at most τ − 1 steps back; the initial state is step 0). τ = 1 keeps the"
            " explicit terms only; τ > T is the full sum."))
    if g.vector:
        s, L, th = g.s, d.cell.loss_name, d.wrt.name
        vector = M(f"{s}_t = (" + ", ".join(f"{n}_t" for n in g.states) + ")",
                   f"{s}_{{t}} = (" + ", ".join(M.of(sp.Symbol(n)).latex + "_{t}" for n in g.states) + ")")

        def named(text):
            return M.of(Named(text, real=True))

        blocks.append(Paragraph.of(
            "where ", vector, " is the state vector: ", named(f"∂{L}_t/∂{s}_t"), " is a row, the step Jacobian ",
            named(f"∂{s}_j/∂{s}_{{j-1}}"), " a matrix and ", named(f"∂{s}_k/∂{th}"),
            " a column; products are ordered, later steps on the left."))
    return tuple(blocks)


def derivation_doc(d: TotalDerivative, *, evaluation=None, digits: int = 4, max_steps: int = 6,
                   max_products: int = 64, simplify: bool = False, truncate: int | None = None) -> Doc:
    """The derivation ``d`` (with the numbers of ``evaluation``, if given) as a :class:`Doc`.

    Parameters
    ----------
    d : TotalDerivative
    evaluation : Evaluation, optional
        Adds every term's number to the per-step equations and the products.
    digits : int
        Decimals of the numbers.
    max_steps : int
        Per-step equations are written for T up to this.
    max_products : int
        The fully expanded form is built only up to this many products.
    simplify : bool
        Simplify the step partials (sympy.simplify); off by default.
    truncate : int, optional
        Adds the generic-T form truncated after τ steps (truncated BPTT).
    """
    values = _values(evaluation) if evaluation is not None else None
    mode = "forward mode: explicit + implicit terms" if d.mode == "forward" else "reverse mode: deltas"
    title = f"d{d.of}/d{d.wrt.name} for {d.cell.name!r}, T = {d.T} ({mode})"
    sections = []
    total_loss = d.of_step is None
    if total_loss:
        rows = equation_rows(generic_recursion(d))
        sections.append(Section("Recursion (every step t)", (Equations(rows),)))
    sections.append(Section("Step partials", (Equations(_step_partials(d, simplify)),)))
    if d.T <= max_steps:
        body = (Equations(equation_rows(RecursiveForm(d).equations, values, digits)),)
    else:
        body = (Paragraph.of(f"T = {d.T}: the equations of each step are not written out (more than"
                             f" {max_steps} steps); the recursion above gives each of them."),)
    sections.append(Section("Per step", body))
    sections.append(Section("Fully expanded", _expanded(d, evaluation, digits, max_products)))
    if total_loss:
        sections.append(Section("Generic T", _generic(d)))
        if truncate is not None:
            sections.append(Section(f"Generic T, truncated after τ = {truncate} steps", _generic(d, truncate)))
    return Doc(title, tuple(sections))


