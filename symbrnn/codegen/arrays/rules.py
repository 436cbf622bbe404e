"""The adjoint rules of the array program: one row per operation, as autograd's ``defvjp`` rows are.

Each row takes the adjoint ``g`` of an operation's output (numpy code for
an array of the output's shape) and gives each operand's share, as code:
for ``out = a @ b`` with a matrix and a vector, ``outer(g, b)`` to a and
``a.T @ g`` to b; for ``+``, g to both (the writer sums a share back over
broadcast axes); for a slice, g scattered into zeros of the source's shape.
An elementwise function's row is not written here at all: its derivative is
sympy's (the function's ``fdiff``), written in terms of the output where it
can be (tanh' = 1 − out², σ' = out·(1 − out)), so derivatives have one source.

Examples
--------
>>> import sympy as sp
>>> from symbrnn.declare.functions import sigmoid
>>> site = Site(g="g", out="y", operands=["z"], shapes=[(3,)], shape=(3,), extra=sigmoid, power=None)
>>> ADJOINTS["map"](site)
[(0, 'g * (y*(1 - y))', True)]
>>> elementwise_code(sp.tanh, out="h", arg="a"), elementwise_code(sp.exp, out="y", arg="x")
('1 - h**2', 'y')
>>> ADJOINTS["@"](Site("g", "y", ["W", "x"], [(3, 2), (2,)], (3,), None, None))
[(0, 'outer(g, x)', True), (1, 'W.T @ g', True)]
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ...declare.derivatives import derivative, is_elementwise
from ..printing import CodePrinter

__all__ = ["ADJOINTS", "Site", "Unsupported", "elementwise_code", "is_elementwise"]


class Unsupported(Exception):
    """The cell cannot be written with array operations; the message says which part."""


@dataclass(frozen=True)
class Site:
    """One operation of the forward step, as a rule sees it.

    Attributes
    ----------
    g, out : str
        The code of the output's adjoint, and the output's variable.
    operands : list of str
        Each operand's code (a variable, or a parenthesised scalar expression).
    shapes : list of tuple
        Each operand's shape; ``shape`` is the output's.
    extra
        The function of a ``map``, the index of a ``getitem``, the axis of a ``sum``.
    power : sympy.Expr or None
        The exponent of a ``**`` (a number).
    """

    g: str
    out: str
    operands: list
    shapes: list
    shape: tuple
    extra: object
    power: object


#: a rule gives (operand index, code of its share, exact) where ``exact`` says the code has the operand's own
#: shape already; otherwise it has the output's shape and is summed back over broadcast axes
Share = tuple[int, str, bool]


def _matmul(s: Site) -> list[Share]:
    (a, b), (sa, sb), g = s.operands, s.shapes, s.g
    if len(sa) == 2 and len(sb) == 1:
        return [(0, f"outer({g}, {b})", True), (1, f"{a}.T @ {g}", True)]
    if len(sa) == 1 and len(sb) == 2:
        return [(0, f"{b} @ {g}", True), (1, f"outer({a}, {g})", True)]
    if len(sa) == 2 and len(sb) == 2:
        return [(0, f"{g} @ {b}.T", True), (1, f"{a}.T @ {g}", True)]
    return [(0, f"{g} * {b}", True), (1, f"{g} * {a}", True)]  # two vectors: a scalar


def _power(s: Site) -> list[Share]:
    k = s.power
    if k is None or not k.is_Number:
        raise Unsupported("a power whose exponent is not a number")
    code = CodePrinter().doprint
    return [(0, f"{s.g} * ({code(k)}) * {s.operands[0]}**({code(k - 1)})", False)]


def _map(s: Site) -> list[Share]:
    return [(0, f"{s.g} * ({elementwise_code(s.extra, out=s.out, arg=s.operands[0])})", True)]


#: operation -> its rule
ADJOINTS = {
    "+": lambda s: [(0, s.g, False), (1, s.g, False)],
    "-": lambda s: [(0, s.g, False), (1, f"-{s.g}", False)],
    "*": lambda s: [(0, f"{s.g} * {s.operands[1]}", False), (1, f"{s.g} * {s.operands[0]}", False)],
    "/": lambda s: [(0, f"{s.g} / {s.operands[1]}", False), (1, f"-{s.g} * {s.out} / {s.operands[1]}", False)],
    "**": _power,
    "neg": lambda s: [(0, f"-{s.g}", False)],
    "@": _matmul,
    "T": lambda s: [(0, f"{s.g}.T", False)],
    "getitem": lambda s: [(0, f"_scatter({s.g}, {s.extra!r}, {s.shapes[0]!r})", True)],
    "sum": lambda s: [(0, f"_spread({s.g}, {s.extra!r}, {s.shapes[0]!r})", True)],
    "map": _map,
    "softmax": lambda s: [(0, f"{s.out} * ({s.g} - sum({s.g} * {s.out}))", True)],
    "reduce": lambda s: [(0, f"{s.g} * _softmax({s.operands[0]})", True)],  # logsumexp' = softmax
    "fill": lambda s: [(0, f"sum({s.g})", True)],
}


def elementwise_code(f, *, out: str, arg: str) -> str:
    """f'(arg) as numpy code, in the output ``out`` = f(arg) where sympy's derivative reads it."""
    d, a, v = derivative(f)
    return CodePrinter().doprint(d.xreplace({a: sp.Symbol(arg), v: sp.Symbol(out)}))
