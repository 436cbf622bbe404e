"""Scalar expressions inside an array program: components as array elements, sums over arrays as one sum.

A shaped cell's scalar quantities written in components (``h[0]_t*h[1]_t``,
a sympy function of a sum) are sympy expressions in ``h[0]_t``, ``y[1]_t``,
...; :class:`ScalarCode` writes them as
numpy code over the program's arrays (``h[0]``), writes a sum over every
component of the same form as ``sum(<array expression>)``, and gives their
adjoints to the arrays they read, as one array expression where it can.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.codegen.arrays.plan import ArrayPlan
>>> plan = ArrayPlan(elman(2, 3, 1))
>>> import sympy as sp
>>> plan.scalars.sum_code(sp.sympify(plan.cell.expr("L")))   # the loss in components
'sum((1/2)*(-y + yhat)**2)'
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ...core.symbols import Prev
from ...declare.cell import Cell
from ...declare.tensor import split_component
from ..printing import CodePrinter, code_symbol
from .rules import Unsupported

__all__ = ["ScalarCode"]


class ScalarCode:
    """Scalar expressions of one cell as code over its array program's variables.

    Parameters
    ----------
    cell : Cell
    ident : dict
        Each quantity's variable (``"h.prev"`` for a state's previous value).
    shapes, needs_of : dict
        Each variable's shape, and whether the backward step needs its adjoint (shared with the plan,
        which fills them as it writes the forward step).
    """

    def __init__(self, cell: Cell, ident: dict, shapes: dict, needs_of: dict):
        self.cell, self.ident, self.shapes, self.needs_of = cell, ident, shapes, needs_of
        self.printer = CodePrinter()

    def where(self, u: sp.Symbol) -> tuple[str, tuple | None]:
        """The variable a symbol of a scalar expression reads, and the component index (None: all of it)."""
        base, index = split_component(u.name) or (u.name, None)
        if base not in self.cell.names():
            raise Unsupported(f"the symbol {u} in a scalar expression")
        var = self.ident[f"{base}.prev"] if isinstance(u, Prev) else self.ident[base]
        return var, index

    def needs(self, e) -> bool:
        """True if the scalar expression reads anything whose adjoint the backward step needs."""
        return any(self.needs_of.get(self.where(u)[0], False) for u in e.free_symbols)

    def code(self, e) -> str:
        """A scalar expression as numpy code: components are array elements (``h[0]``, ``W[1, 0]``)."""
        names = {}
        for u in e.free_symbols:
            var, index = self.where(u)
            names[u] = code_symbol(var if index is None else f"{var}[{', '.join(map(str, index))}]")
        return self.printer.doprint(e.xreplace(names))

    def sum_code(self, e) -> str:
        """A scalar expression, with every sum over all the components of arrays written as ``sum(array expr)``."""
        terms = sp.Add.make_args(e)
        groups: dict = {}
        rest = []
        for term in terms:
            found = self.template(term)
            if found is None:
                rest.append(term)
            else:
                groups.setdefault(found[0], []).append((found[1], term))
        parts = []
        for (tmpl, shape), members in groups.items():
            if sorted(k for k, _ in members) == list(range(int(np.prod(shape)))):
                parts.append(f"sum({self.printer.doprint(tmpl)})")
            else:
                rest.extend(term for _, term in members)
        if rest or not parts:
            parts.insert(0, self.code(sp.Add(*rest)))
        return " + ".join(parts)

    def template(self, e):
        """(template, size), flat index: ``e`` with every component at one flat index k replaced by its array."""
        comps = [u for u in e.free_symbols if split_component(u.name)]
        if not comps:
            return None
        shapes, index = set(), set()
        for u in comps:
            base, idx = split_component(u.name)
            shapes.add(self.cell.shape(base))
            index.add(idx)
        if len(shapes) != 1 or len(index) != 1:
            return None
        shape, idx = shapes.pop(), index.pop()
        swap = {u: code_symbol(self.where(u)[0]) for u in comps}
        for u in e.free_symbols - set(comps):
            var, _ = self.where(u)
            swap[u] = code_symbol(var)
        return (e.xreplace(swap), shape), int(np.ravel_multi_index(idx, shape))

    def adjoint(self, e, g: str, acc) -> None:
        """The adjoint g of scalar expression e, given to every symbol it reads (arrays as a whole where possible)."""
        groups: dict[str, list] = {}
        for u in sorted(e.free_symbols, key=sp.default_sort_key):
            var, index = self.where(u)
            if not self.needs_of.get(var, False):
                continue
            if index is None:
                acc(var, _times(g, f"({self.code(_diff(e, u))})"))
            else:
                groups.setdefault(var, []).append((index, u))
        for var, members in groups.items():
            acc(var, _times(g, self._component_vector(e, var, members)))

    def _component_vector(self, e, var: str, members: list) -> str:
        """∂e/∂var as an array: one array expression if every component has the same form, else element by element."""
        shape = self.shapes[var]
        parts = {int(np.ravel_multi_index(idx, shape)): _diff(e, u) for idx, u in members}
        size = int(np.prod(shape))
        if len(parts) == size:
            found = [self.template(d) if d != 0 else None for d in parts.values()]
            if all(f is not None for f in found) and len({f[0] for f in found}) == 1 and \
                    sorted(f[1] for f in found) == list(range(size)) and found[0][0][1] == shape:
                return f"({self.printer.doprint(found[0][0][0])})"
        entries = [self.code(parts[k]) if k in parts else "0.0" for k in range(size)]
        return f"array([{', '.join(entries)}]).reshape({shape!r})"


def _diff(e, u):
    if e.is_Add:  # the terms without u differentiate to 0
        e = sp.Add(*[a for a in e.args if u in a.free_symbols])
    return e.diff(u)


def _times(g: str, code: str) -> str:
    return code if g == "1.0" else f"{g} * {code}"
