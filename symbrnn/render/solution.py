"""A worked solution: the whole derivation in the order a student writes it, with every number.

Problem (cell and data), forward pass (each quantity: formula, numbers
substituted, value), loss, step partials (as chains of local partials, then
at each step), for each parameter the explicit and implicit terms and the
per-step gradients (forward mode) or the deltas and each step's share
(reverse mode), the summed gradients, and the update (SGD, or Adam with bias
correction). Every number comes from the engine's
:class:`~symbrnn.Evaluation`; the solution prints with rich and exports to
Markdown and LaTeX.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> s = WorkedSolution(elman(), 3, values)
>>> [section.title for section in s.doc.sections]  # doctest: +NORMALIZE_WHITESPACE
['Problem', 'Forward pass', 'Step partials', 'Gradient with respect to w', 'Gradient with respect to U',
 'Gradient with respect to V', 'Gradient with respect to b', 'Gradient with respect to c', 'Summary',
 'Update']
>>> round(s.gradients["U"], 6), round(s.updated["U"], 6)
(-0.076971, 0.507697)
"""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..core.kinds import INPUT, TARGET
from ..core.symbols import Named, Prev, now, step, step_name
from ..declare.cell import Cell
from ..derive.unroll import step_substitution
from ..numeric.solution import Solution, solve, train
from .cellview import cell_equations, cell_quantities
from .chains import fold, local_chain
from .derivation import equation_rows, sum_of
from .doc import Doc, Equations, M, Paragraph, Row, Section, Table
from .forms import RecursiveForm
from .latex import math_block
from .markdown import doc_markdown
from .matrixsolution import matrix_solution_doc, update_steps
from .optimizers import AdamState, clipping_rows, describe, explain, updates_table
from .recursion import generic_recursion
from .tables import delta_table, forward_table, gradient_table
from .text import number

__all__ = ["WorkedSolution"]


def _num(x: float, digits: int) -> M:
    s = number(x, digits)
    return M(s, s)


class WorkedSolution:
    """The worked solution of ``cell`` for ``T`` steps and ``values``, as a :class:`Doc` (rich renderable).

    Parameters
    ----------
    cell : Cell
    T : int
    values : mapping
        Params, inputs and targets, as for :func:`symbrnn.gradients`.
    wrt : sequence of str, optional
        The params to differentiate (default: all, in declaration order).
    digits : int
        Decimals of every number shown.
    optimizer : SGD or Adam
        The update step (default SGD with η = 0.1).
    mode : {"forward", "reverse"}, optional
        Explicit and implicit terms per step, or deltas (default forward; a shaped cell's solution is
        written in reverse mode, as seed 000's is).
    adam_state : AdamState, optional
        Moments from earlier Adam steps (default: zero, first step).
    updates : int
        Update steps to take (default 1). The first is written out in full; with more, a last section
        tables every step's loss, params, gradients (and Adam's moments), each from the last one's params.

    Attributes
    ----------
    evaluations : dict
        θ -> :class:`~symbrnn.Evaluation` (every number shown comes from these).
    gradients : dict
        θ -> dL/dθ.
    updated : dict
        θ -> its value after the update.
    """

    def __init__(self, cell: Cell, T: int, values, *, wrt=None, digits: int = 4, optimizer=None,
                 mode: str | None = None, adam_state: AdamState | None = None, title: str | None = None,
                 updates: int = 1):
        solution = solve(cell, T, values, wrt=wrt, optimizer=optimizer, mode=mode, adam_state=adam_state)
        self._take(solution, digits, title)
        if updates != 1:
            self.steps = train(cell, T, values, wrt=self.wrt, optimizer=self.optimizer, updates=updates,
                               adam_state=adam_state)

    @classmethod
    def of(cls, solution: Solution, *, digits: int = 4, title: str | None = None) -> WorkedSolution:
        """The worked solution that writes out ``solution`` (:func:`symbrnn.numeric.solution.solve`'s numbers)."""
        out = cls.__new__(cls)
        out._take(solution, digits, title)
        return out

    def _take(self, solution: Solution, digits: int, title: str | None) -> None:
        self.solution, self.digits = solution, digits
        self.cell, self.T, self.mode, self.wrt = solution.cell, solution.T, solution.mode, solution.wrt
        self.optimizer, self.adam_state = solution.optimizer, solution.adam_state
        self.evaluations, self.gradients = solution.evaluations, solution.gradients
        self.params, self.updated = solution.params, solution.updated
        self.title = title or f"Worked solution: {self.cell.name}, T = {self.T}"
        self.first, self.steps = solution.first, []
        self._numbers = {} if self.cell.shaped else solution.numbers()

    def __rich__(self) -> Doc:
        return self.doc

    def _repr_latex_(self) -> str:
        """Jupyter: each section's equations as LaTeX under its title (:func:`symbrnn.render.repr_latex`)."""
        blocks = []
        for section in self.doc.sections:
            rows = tuple(r for b in section.blocks if isinstance(b, Equations) for r in b.rows)
            if rows:
                title = "".join("\\" + c if c in "&%$#_{}" else c for c in section.title)
                blocks.append(rf"$$\textbf{{{title}}}$$" + "\n$$\n" + math_block(rows) + "\n$$")  # titles as maths
        return "\n\n".join(blocks)

    def _repr_markdown_(self) -> str:
        """Jupyter: the whole solution as Markdown, its equations as LaTeX (what :func:`to_markdown` writes)."""
        return doc_markdown(self.doc)

    # ---------------------------------------------------------------- numbers
    def _values(self, ev) -> dict:
        return {**self._numbers, **{term.symbol: term.value for term in ev.terms}}

    def _row(self, symbol, expr, value: float, vals: dict, label: str = "", t: int | None = None) -> Row:
        """``symbol = expr = expr with numbers = value``; with a step ``t``, nodes are folded (g_t, not σ(...))."""
        if t is not None:
            expr = fold(self.cell, expr, t)
        parts = [M.of(symbol), M.of(expr)]
        if not (expr.is_Symbol or expr.is_Number):
            parts.append(M.of(expr, values=vals, digits=self.digits))
        if not expr.is_Number:
            parts.append(_num(value, self.digits))
        return Row(tuple(parts), label)

    # --------------------------------------------------------------- sections
    @cached_property
    def doc(self) -> Doc:
        """The worked solution as a :class:`Doc`."""
        doc = matrix_solution_doc(self) if self.cell.shaped else self._scalar_doc()
        if not self.steps:
            return doc
        text = (f"{len(self.steps)} steps of the update above, each from the params the step before left (step 1"
                " is the one written out); L is the loss before the step.")
        table = update_steps(self.steps, self.digits) if self.cell.shaped else \
            (updates_table(self.steps, self.digits),)
        return Doc(doc.title, (*doc.sections, Section("Update steps", (Paragraph.of(text), *table))))

    def _scalar_doc(self) -> Doc:
        first = self.evaluations[self.wrt[0]]
        sections = [self._problem(first), self._forward(first), self._partials(first)]
        if self.mode == "reverse":
            sections.append(self._deltas(first))
        sections += [self._gradient(th, ev) for th, ev in self.evaluations.items()]
        sections += [Section("Summary", (gradient_table(self.evaluations, digits=self.digits),)),
                     self._update()]
        return Doc(self.title, tuple(sections))

    def _problem(self, ev) -> Section:
        cell = self.cell
        data = cell.names(INPUT) + cell.names(TARGET)
        rows = tuple((str(t), *(_num(ev.forward[step_name(n, t)], self.digits) for n in data))
                     for t in range(1, self.T + 1))
        params = ", ".join(f"{p} = {v:g}" for p, v in self.params.items())
        return Section("Problem", (
            cell_quantities(cell), cell_equations(cell),
            Paragraph.of(f"Parameters: {params}."),
            Table(("t", *(M.of(now(n)) for n in data)), rows, title="Data"),
        ))

    def _forward(self, ev) -> Section:
        cell, vals, blocks = self.cell, self._numbers, []
        for t in range(1, self.T + 1):
            sub = step_substitution(cell, t)
            rows = [self._row(step(n, t), cell.expr(n).xreplace(sub), ev.forward[step_name(n, t)], vals)
                    for n in cell.order()]
            blocks += [Paragraph.of(f"Step t = {t}:"), Equations(tuple(rows))]
        loss = cell.loss_name
        per_step = [step(loss, t) for t in range(1, self.T + 1)]
        numbers = sum_of(per_step, values=vals, digits=self.digits)
        blocks.append(Equations((Row((M.of(sp.Symbol(loss)), sum_of(per_step), numbers, _num(ev.loss, self.digits))),)))
        blocks.append(forward_table(ev, digits=self.digits, title="Forward values"))
        return Section("Forward pass", tuple(blocks))

    def _chain_row(self, v: str, z, against: str) -> Row:
        chain = local_chain(self.derivative_partials, v, z)
        lhs = M.of(Named(f"∂{v}_t/∂{against}", real=True))
        parts = [lhs]
        if not chain.is_single_edge:
            parts.append(_chain_m(chain.factors))
        parts.append(M.of(fold(self.cell, self.derivative_partials.partial(v, z))))
        return Row(tuple(parts))

    @property
    def derivative_partials(self):
        """The cell's step partials (:class:`~symbrnn.derive.partials.CellPartials`), shared by every θ."""
        return self.evaluations[self.wrt[0]].derivative.cell_partials

    def _partials(self, ev) -> Section:
        d, vals = ev.derivative, self._values(ev)
        blocks = [Paragraph.of("Each step partial is a chain of the local partials of the cell's equations:")]
        rows, per_step = [], []
        for v in (*d.states, self.cell.loss_name):
            for z in d.cell_partials.frontier(v):
                rows.append(self._chain_row(v, z, f"{z.name}_{{t-1}}" if isinstance(z, Prev) else f"{z.name}_t"))
        blocks.append(Equations(tuple(rows)))
        for t in range(1, self.T + 1):
            seen: dict = {}
            for p in ev.select("partial", t=t):
                per_step += self._chain_rows(p, t, vals, seen)
        blocks += [Paragraph.of("At each step:"), Equations(tuple(per_step))]
        return Section("Step partials", tuple(blocks))

    def _chain_rows(self, p, t: int, vals: dict, seen: dict) -> list[Row]:
        """The local partials of a step partial at step t (each once per step), then the partial as their chain."""
        P, sub = self.derivative_partials, step_substitution(self.cell, t)
        z = next(k for k, v in sub.items() if v == p.via)
        chain = local_chain(P, p.quantity, z)
        if chain.is_single_edge:
            return [self._row(p.symbol, p.expr, p.value, vals, t=t)]
        rows, paths = [], []
        for path in chain.paths:
            names = []
            for v, u in zip(path[:-1], path[1:], strict=True):
                name = Named(f"∂{sub[v].name}/∂{sub.get(u, u).name}", real=True)
                names.append(name)
                if name not in seen:
                    expr = P.local(v.name, u).xreplace(sub)
                    seen[name] = self.solution.local_value(expr, vals)
                    rows.append(self._row(name, expr, seen[name], vals, t=t))
            paths.append(tuple(names))
        rows.append(Row((M.of(p.symbol), _chain_m(paths), _chain_m(paths, seen, self.digits),
                         _num(p.value, self.digits))))
        return rows

    def _deltas(self, ev) -> Section:
        d, vals = ev.derivative, self._values(ev)
        recursion = [eq for eq in generic_recursion(d) if eq.kind == "delta"]
        deltas = equation_rows([eq for eq in RecursiveForm(d).equations if eq.kind == "delta"], vals, self.digits)
        return Section("Deltas (reverse mode)", (
            Paragraph.of("δ of a state is the total derivative of the loss with respect to it;"
                         " they are computed from the last step back:"),
            Equations(equation_rows(recursion)), Equations(deltas),
            delta_table(ev, digits=self.digits, shares=False)))

    def _gradient(self, th: str, ev) -> Section:
        d, vals = ev.derivative, self._values(ev)
        theta = self.cell.symbol(th)
        blocks, templates = [], []
        depends = [s for s in d.states if any(term.expr != 0 for term in d.select("total", s))]
        for v in (*d.states, self.cell.loss_name):
            if d.cell_partials.partial(v, theta) != 0:
                templates.append(self._chain_row(v, theta, th))
        if templates:
            blocks += [Paragraph.of("Explicit terms (previous states held fixed):"), Equations(tuple(templates))]
        free = [s for s in d.states if s not in depends]
        if free and self.mode == "forward":
            verb = "does" if len(free) == 1 else "do"
            totals = [M.of(Named(f"d{s}_t/d{th}", real=True)) for s in free]
            parts = [p for m in totals for p in (", ", m)][1:]
            blocks.append(Paragraph.of(f"{', '.join(free)} {verb} not depend on {th}: ", *parts, " = 0 at every step."))
        recursion = [_without(eq, free) for eq in generic_recursion(d) if eq.kind != "delta"
                     and (eq.t is None or eq.addends) and _keep(eq, free)]
        blocks.append(Equations(equation_rows(recursion)))
        for t in range(1, self.T + 1):
            rows = []
            for term in ev.select("explicit", t=t):
                if term.expr != 0 and (term.quantity not in free):
                    rows.append(self._row(term.symbol, term.expr, term.value, vals, "explicit", t=t))
            if self.mode == "forward":
                for term in ev.select("implicit", t=t):
                    if term.expr != 0 and term.quantity not in free:
                        rows.append(Row((M.of(term.expr), M.of(term.expr, values=vals, digits=self.digits),
                                         _num(term.value, self.digits)), "implicit", op=""))
            kinds = ("total",) if self.mode == "forward" else ("contribution",)
            eqs = [eq for eq in RecursiveForm(d).equations if eq.t == t and eq.kind in kinds
                   and eq.lhs.name[1:].split("_")[0] not in free]
            rows += [self._total_row(eq, vals) for eq in eqs]
            blocks += [Paragraph.of(f"Step t = {t}:"), Equations(tuple(rows))]
        (total,) = equation_rows([RecursiveForm(d).equations[-1]], vals, self.digits)
        blocks += [Paragraph.of("Sum over the steps:"), Equations((Row(total.parts, "sum"),))]
        return Section(f"Gradient with respect to {th}", tuple(blocks))

    def _total_row(self, eq, vals: dict) -> Row:
        """``lhs = addends = their numbers = value``: each addend's number once there are several
        (explicit + implicit), the factors' numbers when there is one (∂L_t/∂h_t·dh_t/dθ)."""
        (row,) = equation_rows([eq], vals, self.digits)
        if len(eq.addends) < 2:
            return row
        numbers = [_num(self.solution.local_value(a.expr, vals), self.digits) for a in eq.addends]
        signed = [M(f"({m.text})", f"({m.latex})") if m.text.startswith("-") else m for m in numbers]
        middle = M(" + ".join(m.text for m in signed), " + ".join(m.latex for m in signed))
        return Row((row.parts[0], row.parts[1], middle, row.parts[-1]), row.label)

    def _update(self) -> Section:
        blocks = [Paragraph.of(describe(self.optimizer))]
        clipping, used = self.solution.clipping, self.solution.step_gradients
        if clipping is not None:
            blocks.append(Equations(clipping_rows(clipping, self.digits)))
        rows = []
        for th in self.wrt:
            r, _ = explain(self.optimizer, th, self.params[th], used[th], self.digits, self.adam_state)
            rows += r
        blocks.append(Equations(tuple(rows)))
        n = lambda x: _num(x, self.digits)  # noqa: E731
        g = (lambda th: (n(self.gradients[th]), n(used[th]))) if clipping else (lambda th: (n(self.gradients[th]),))
        table = tuple((th, n(self.params[th]), *g(th), n(self.updated[th])) for th in self.wrt)
        columns = ("θ", "before", M("dL/dθ", r"\frac{dL}{d\theta}"), *(["g̃"] if clipping else []), "after")
        blocks.append(Table(columns, table, title="Parameters after the update"))
        return Section("Update", tuple(blocks))


def _chain_m(paths, values: dict | None = None, digits: int = 4) -> M:
    """Σ over paths of the product of local partials, in chain-rule order (numbers with ``values``)."""
    ms = [[M.of(f, values=values, digits=digits) for f in path] for path in paths]
    return M(" + ".join("·".join(m.text for m in path) for path in ms),
             " + ".join(r" \cdot ".join(m.latex for m in path) for path in ms))


def _keep(eq, free: list[str]) -> bool:
    """Leave out the recursion of states that do not depend on θ."""
    name = eq.lhs.name
    return not any(name.startswith(f"d{s}_") for s in free)



def _without(eq, free: list[str]):
    """The equation without the addends that go through states that do not depend on θ."""
    from dataclasses import replace

    keep = tuple(a for a in eq.addends
                 if not any(s.name.startswith(f"d{f}_") for s in a.expr.free_symbols for f in free))
    return replace(eq, addends=keep)
