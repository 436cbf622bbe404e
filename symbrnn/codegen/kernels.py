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
import math
import weakref

import numpy
import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from ..core import errors
from ..core.kinds import INPUT, PARAM, STATE, TARGET
from ..core.symbols import now, param, prev
from ..declare.cell import Cell
from ..declare.forms import NUMPY_FUNCTIONS
from ..declare.lower import lowered
from ..declare.values import Values
from ..derive.partials import CellPartials
from .printing import free_names, identifiers, no_numeric_form, renamed, unprintable

__all__ = ["MODULES", "StepKernels", "kernels_for"]

MODULES = [NUMPY_FUNCTIONS, "numpy"]


def _cse(exprs):
    # temporaries named _c0, _c1, ...: quantity names never start with "_"
    return sp.cse(exprs, symbols=sp.numbered_symbols("_c"))


_KERNEL_NAMES = {"_forward": "the forward pass", "_terms": "the step partials"}


def _lambdify(name: str, args, outputs):
    # use_imps=False: no implemented_function reaches here (the modules name every function), and looking
    # for one walks every output as a tree, shared subexpressions again and again
    try:
        f = sp.lambdify(args, outputs, modules=MODULES, cse=_cse, docstring_limit=0, use_imps=False)
    except PrintMethodNotImplementedError as exc:  # a sympy function numpy's printer has no code for
        raise no_numeric_form([unprintable(exc)], _KERNEL_NAMES.get(name, name)) from None
    unknown = free_names(inspect.getsource(f)) - set(f.__globals__) - set(dir(builtins))
    if unknown:  # printed with a name nothing here defines (LambertW, DiracDelta): say so now, not at run time
        raise no_numeric_form(unknown, _KERNEL_NAMES.get(name, name))
    f.__name__ = name
    return f



_KERNELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kernels_for(cell: Cell) -> StepKernels:
    """The step kernels of ``cell`` (of its components if shaped), compiled once and reused until it changes."""
    cell = lowered(cell)
    cached = _KERNELS.get(cell)
    if cached is None or cached.version != cell.version:
        cached = StepKernels(cell)
        _KERNELS[cell] = cached
    return cached


def _guarded(fn, t: int, what: str, *args):
    """Call a kernel; a division by zero or an overflow becomes a ValuesError naming the step."""
    try:
        with numpy.errstate(all="ignore"):
            return fn(*args)
    except (ZeroDivisionError, OverflowError) as exc:
        raise errors.ValuesError(
            f"{what} at step {t} fails ({exc}): the values divide by zero or overflow; check them"
        ) from None


def _finite(value, what: str) -> float:
    x = float(value)
    if not math.isfinite(x):
        raise errors.ValuesError(f"{what} is {x}: the values overflow or divide by zero; check them")
    return x


class StepKernels:
    """The numeric step kernels of one cell (forward values, and term templates on demand)."""

    def __init__(self, cell: Cell):
        cell = lowered(cell)
        cell.validate()
        self.cell, self.version = cell, cell.version
        self.partials = CellPartials(cell)
        self.order = cell.order()
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
        return renamed(exprs, self._ids)

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
            results = _guarded(self._forward, t, "the forward pass", *previous, *(d[t - 1] for d in data), *params)
            for name, column, r in zip(self.order, columns, results, strict=True):
                column[t] = _finite(r, f"{name} at step {t}")
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
        row = numpy.asarray(_guarded(self._terms_fn, t, "a derivative", *self._step_args(t, trace, values)),
                         dtype=float)
        if not numpy.isfinite(row).all():  # name the first bad one; formatting every key each step costs more
            k, x = next((k, x) for k, x in zip(self._keys, row, strict=True) if not math.isfinite(x))
            _finite(x, f"∂{k[0]}/∂{k[1]} at step {t}")
        return row.tolist()

    def _step_args(self, t: int, trace: dict, values: Values) -> list:
        args = [trace[n][t] for n in self.data + self.order]
        args += [trace[s][t - 1] for s in self.states]
        return args + [values.params[p] for p in self.params]

    def step_function(self, name: str, exprs):
        """Compile generic-time expressions of one step: ``f(t, trace, values)`` gives their numbers at step t.

        The expressions may use the step's data and computed values (``x_t``,
        ``a_t``, ``h_t``), the previous states (``h_{t-1}``) and the params.
        """
        fn = _lambdify(name, self._plain(self._term_args), self._plain(list(exprs)))

        def at_step(t: int, trace: dict, values: Values) -> list[float]:
            return [float(v) for v in fn(*self._step_args(t, trace, values))]

        return at_step
