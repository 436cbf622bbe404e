"""Names and printing for generated code: plain identifiers for a cell's symbols, and the expression printer.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.declare.lower import lowered
>>> ids = identifiers(lowered(elman(2, 1, 1)))   # the components of a shaped cell
>>> ids[now("h[0]")], ids[prev("h[0]")], ids[param("w[0,1]")]
(h_0, h_0__prev, w_0_1)
>>> CodePrinter().doprint(sp.tanh(sp.Symbol("a")) ** 2)
'tanh(a)**2'
"""

from __future__ import annotations

import ast
import builtins
import math
import re

import mpmath
import numpy
import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter

from ..core import errors
from ..core.kinds import PARAM, STATE
from ..core.symbols import now, param, prev
from ..declare.cell import Cell
from ..declare.forms import MPMATH_FUNCTIONS, NUMPY_FUNCTIONS

__all__ = ["CodePrinter", "code_symbol", "free_names", "identifiers", "no_numeric_form", "renamed", "unprintable"]

# names the generated code may call: a quantity with one of these names is renamed
_RESERVED = {"numpy", "mpmath", "math", "builtins", *NUMPY_FUNCTIONS, *MPMATH_FUNCTIONS}
_RESERVED |= set(dir(numpy)) | set(dir(mpmath)) | set(dir(builtins)) | set(dir(math))
_RESERVED |= {"T", "t"}  # the BPTT program's step count and loop variable
_IDENT = re.compile(r"[^0-9A-Za-z_]+")


def code_symbol(name: str) -> sp.Symbol:
    """The symbol of an identifier in generated code: real, as every quantity of a cell is.

    A renamed expression must keep its symbols' assumptions. Without them
    sympy asks, for each rebuilt ``tanh(u)``, whether it is real, by splitting
    u into real and imaginary parts, and for ``tanh(tanh(...(w*x)))`` that costs
    exponential time in the nesting depth (ten levels: over a minute).

    Examples
    --------
    >>> u = code_symbol("u")
    >>> u.is_real, sp.tanh(sp.tanh(u)).is_real
    (True, True)
    """
    return sp.Symbol(name, real=True)


class CodePrinter(NumPyPrinter):
    """numpy's printer with bare function names: the namespace a program runs in decides what they are."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})

    def doprint(self, expr, assign_to=None):
        try:
            return super().doprint(expr, assign_to)
        except PrintMethodNotImplementedError as exc:  # sympy has no numpy code for it (fresnels, uppergamma)
            raise no_numeric_form([unprintable(exc)], "a generated program") from None


def unprintable(exc: Exception) -> str:
    """The function a PrintMethodNotImplementedError is about (its message ends in ``...: fresnels``)."""
    found = re.search(r"Unsupported by .*?: (?:<class '(?:[\w.]*\.)?)?(\w+)", str(exc))
    return found.group(1) if found else str(exc).splitlines()[0]


def no_numeric_form(names, where: str, backend: str | None = None) -> errors.BackendError:
    """The error for sympy functions a generated program cannot compute (no printer, or no numeric name)."""
    on = f"on backend={backend!r}" if backend else "here"
    return errors.BackendError(f"{where} calls {', '.join(map(repr, sorted(set(names))))}, which has no numeric"
                               f" form {on}; the symbolic derivation (derive and its closed forms) still works")


def identifiers(cell: Cell) -> dict[sp.Symbol, sp.Symbol]:
    """Plain, unique Python identifiers for a cell's symbols: x_t -> x, h_{t-1} -> h_prev, W[1,0] -> W_1_0."""
    reserved = _RESERVED | set(NUMPY_FUNCTIONS)  # with the activations declared since import
    taken = set(cell.names()) | reserved
    ids = {}

    def fresh(name: str, keep: bool) -> sp.Symbol:
        if not (keep and name.isidentifier() and name not in reserved):
            name = _IDENT.sub("_", name).strip("_") or "q"
            while name in taken:
                name += "_"
        taken.add(name)
        return code_symbol(name)

    for n in cell.names():
        ids[param(n) if cell.kind(n) == PARAM else now(n)] = fresh(n, keep=True)
    for s in cell.names(STATE):
        ids[prev(s)] = fresh(f"{s}_prev", keep=False)
    return ids


def renamed(exprs, mapping: dict) -> list:
    """``[e.xreplace(mapping) for e in exprs]``, each distinct subexpression visited and rebuilt once.

    sympy's ``xreplace`` walks a tree: a subexpression shared by many outputs
    (the step partials of a cell share their factors) is rebuilt wherever it
    appears. Here the work is linear in the distinct subexpressions of all the
    outputs together.

    Examples
    --------
    >>> a, b = sp.symbols("a b")
    >>> renamed([sp.tanh(a) + 1, 2 * sp.tanh(a)], {a: b})
    [tanh(b) + 1, 2*tanh(b)]
    """
    memo = dict(mapping)

    def walk(e):
        found = memo.get(e)
        if found is None:
            args = tuple(walk(a) if isinstance(a, sp.Basic) else a for a in e.args)
            found = e.func(*args) if any(x is not y for x, y in zip(args, e.args, strict=True)) else e
            memo[e] = found
        return found

    return [walk(e) for e in exprs]


def free_names(source: str) -> set:
    """The names a program reads but never binds (what its namespace must provide)."""
    tree = ast.parse(source)
    bound = {a.arg for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for a in f.args.args}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
