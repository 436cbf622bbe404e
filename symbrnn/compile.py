"""Compile a cell to numeric step kernels: lambdify (numpy, cse) once per cell, independent of T.

The forward kernel maps (previous states, data at t, params) to every computed
quantity at step t; the term kernel maps the step's values to the explicit
and partial templates a derivation needs. A derivation's recursion (implicit,
total, delta terms) is plain arithmetic on their outputs.

Examples
--------
>>> from symbrnn.cells import elman
>>> k = StepKernels(elman())
>>> print(k.forward_source)
def _lambdifygenerated(h_prev, x, y, w, U, V, b, c):
    _c0 = U*h_prev + b + w*x
    _c1 = tanh(_c0)
    _c2 = V*_c1 + c
    return [_c0, _c1, _c2, (1/2)*(_c2 - y)**2]
"""

from __future__ import annotations

import builtins
import inspect
import weakref

import mpmath
import numpy
import sympy as sp

from .cell import INPUT, PARAM, STATE, TARGET, Cell
from .functions import MPMATH_FUNCTIONS, NUMPY_FUNCTIONS
from .partials import CellPartials
from .symbols import now, param, prev
from .values import Values

__all__ = ["MODULES", "StepKernels", "identifiers", "kernels_for"]

# names the generated code may call: a quantity with one of these names is renamed
_RESERVED = {"numpy", "mpmath", "math", "builtins", *NUMPY_FUNCTIONS, *MPMATH_FUNCTIONS}
_RESERVED |= set(dir(numpy)) | set(dir(mpmath)) | set(dir(builtins))
MODULES = [NUMPY_FUNCTIONS, "numpy"]


def _cse(exprs):
    # temporaries named _c0, _c1, ...: quantity names never start with "_"
    return sp.cse(exprs, symbols=sp.numbered_symbols("_c"))


def _lambdify(name: str, args, outputs):
    f = sp.lambdify(args, outputs, modules=MODULES, cse=_cse, docstring_limit=0)
    f.__name__ = name
    return f


def identifiers(cell: Cell) -> dict[sp.Symbol, sp.Symbol]:
    """Plain, unique Python identifiers for a cell's symbols: x_t -> x, h_{t-1} -> h_prev."""
    taken = set(cell.names()) | _RESERVED
    ids = {}
    for n in cell.names():
        sym = param(n) if cell.kind(n) == PARAM else now(n)
        name = n
        while name in _RESERVED:
            name += "_"
        ids[sym] = sp.Symbol(name)
    for s in cell.names(STATE):
        name = f"{s}_prev"
        while name in taken:
            name += "_"
        taken.add(name)
        ids[prev(s)] = sp.Symbol(name)
    return ids


_KERNELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kernels_for(cell: Cell) -> StepKernels:
    """The step kernels of ``cell``, compiled once and reused until the cell changes."""
    cached = _KERNELS.get(cell)
    if cached is None or cached.version != cell.version:
        cached = StepKernels(cell)
        _KERNELS[cell] = cached
    return cached


class StepKernels:
    """The numeric step kernels of one cell (forward values, and term templates on demand)."""

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell, self.version = cell, cell.version
        self.partials = CellPartials(cell)
        self.order = cell._step_order()
        self.states = tuple(n for n in self.order if cell.kind(n) == STATE)
        self.data = cell.names(INPUT) + cell.names(TARGET)
        self.params = cell.names(PARAM)
        self._ids = identifiers(cell)
        full: dict[sp.Symbol, sp.Expr] = {}
        for n in self.order:
            full[now(n)] = cell.expr(n).xreplace(full)
        args = [prev(s) for s in self.states] + [now(n) for n in self.data] + [param(p) for p in self.params]
        outputs = [full[now(n)] for n in self.order]
        self._forward = _lambdify("_forward", self._plain(args), self._plain(outputs))
        self._term_args = (
            [now(n) for n in self.data + self.order] + [prev(s) for s in self.states] + [param(p) for p in self.params]
        )
        self._templates: dict[tuple, sp.Expr] = {}
        self._terms_fn = None

    def _plain(self, exprs):
        return [e.xreplace(self._ids) for e in exprs]

    @property
    def forward_source(self) -> str:
        """The generated Python source of the forward kernel."""
        return inspect.getsource(self._forward)

    def forward(self, values: Values) -> dict[str, list]:
        """Every forward value: name -> list indexed by step (index 0: initial states, else None)."""
        trace: dict[str, list] = {n: [None] * (values.T + 1) for n in self.data + self.order}
        for s in self.states:
            trace[s][0] = values.initial[s]
        previous = [values.initial[s] for s in self.states]
        params = [values.params[p] for p in self.params]
        columns = [trace[n] for n in self.order]
        state_columns = [trace[s] for s in self.states]
        for n in self.data:
            trace[n][1:] = values.series[n]
        data = [values.series[n] for n in self.data]
        for t in range(1, values.T + 1):
            results = self._forward(*previous, *(d[t - 1] for d in data), *params)
            for column, r in zip(columns, results, strict=True):
                column[t] = float(r)
            previous = [c[t] for c in state_columns]
        return trace

    def use_templates(self, templates: dict[tuple, sp.Expr]) -> None:
        """Add term templates ((quantity, symbol) -> expression) to the term kernel."""
        new = {k: v for k, v in templates.items() if k not in self._templates}
        if new or self._terms_fn is None:
            self._templates.update(new)
            self._keys = list(self._templates)
            outputs = [self._templates[k] for k in self._keys]
            self._terms_fn = _lambdify("_terms", self._plain(self._term_args), self._plain(outputs))

    @property
    def terms_source(self) -> str:
        """The generated Python source of the term kernel."""
        return inspect.getsource(self._terms_fn)

    def templates_at(self, t: int, trace: dict, values: Values) -> dict[tuple, float]:
        """The value of every template at step ``t``, by key."""
        return dict(zip(self._keys, self.template_row(t, trace, values), strict=True))

    def template_index(self) -> dict[tuple, int]:
        """Each template key's position in :meth:`template_row`."""
        return {k: i for i, k in enumerate(self._keys)}

    def template_row(self, t: int, trace: dict, values: Values) -> list[float]:
        """The value of every template at step ``t``, in :meth:`template_index` order."""
        args = [trace[n][t] for n in self.data + self.order]
        args += [trace[s][t - 1] for s in self.states]
        args += [values.params[p] for p in self.params]
        return [float(v) for v in self._terms_fn(*args)]
