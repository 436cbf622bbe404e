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
from sympy.printing.numpy import NumPyPrinter

from ..core.kinds import PARAM, STATE
from ..core.symbols import now, param, prev
from ..declare.cell import Cell
from ..declare.forms import MPMATH_FUNCTIONS, NUMPY_FUNCTIONS

__all__ = ["CodePrinter", "free_names", "identifiers"]

# names the generated code may call: a quantity with one of these names is renamed
_RESERVED = {"numpy", "mpmath", "math", "builtins", *NUMPY_FUNCTIONS, *MPMATH_FUNCTIONS}
_RESERVED |= set(dir(numpy)) | set(dir(mpmath)) | set(dir(builtins)) | set(dir(math))
_RESERVED |= {"T", "t"}  # the BPTT program's step count and loop variable
_IDENT = re.compile(r"[^0-9A-Za-z_]+")




class CodePrinter(NumPyPrinter):
    """numpy's printer with bare function names: the namespace a program runs in decides what they are."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})


def identifiers(cell: Cell) -> dict[sp.Symbol, sp.Symbol]:
    """Plain, unique Python identifiers for a cell's symbols: x_t -> x, h_{t-1} -> h_prev, W[1,0] -> W_1_0."""
    taken = set(cell.names()) | _RESERVED
    ids = {}

    def fresh(name: str, keep: bool) -> sp.Symbol:
        if not (keep and name.isidentifier() and name not in _RESERVED):
            name = _IDENT.sub("_", name).strip("_") or "q"
            while name in taken:
                name += "_"
        taken.add(name)
        return sp.Symbol(name)

    for n in cell.names():
        ids[param(n) if cell.kind(n) == PARAM else now(n)] = fresh(n, keep=True)
    for s in cell.names(STATE):
        ids[prev(s)] = fresh(f"{s}_prev", keep=False)
    return ids



def free_names(source: str) -> set:
    """The names a program reads but never binds (what its namespace must provide)."""
    tree = ast.parse(source)
    bound = {a.arg for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for a in f.args.args}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
