"""The adjoints of the array program, from the one rule table of matrix derivatives, written as numpy code.

The backward step of the generated array program computes what the matrix
derivation prints: each operation's vector-Jacobian product comes from the
rule table of :mod:`symbrnn.derive.matrix.rules` (``outer(g, x)`` to W and
``g @ W`` (Wᵀ·g) to x for ``W @ x``; for an elementwise f, ``g * f'(a)`` with f'
sympy's derivative written in the output, tanh' = 1 − out²; a slice's
adjoint scattered into zeros; ...). :func:`adjoint_code` builds the
operation on named arrays (the program's variables), asks the table for
each operand's share and writes that share as code (:func:`tensor_code`),
so derivatives have one source for the derivation, the numpy program and
the JAX program.

Examples
--------
>>> from symbrnn.declare.functions import sigmoid
>>> adjoint_code("map", [("t", "z")], (3,), sigmoid, g="g", out="y", shapes={"z": (3,)}, scalar=str)
['g * (y*(1 - y))']
>>> adjoint_code("@", [("t", "W"), ("t", "x")], (3,), None, g="g", out="y", shapes={"W": (3, 2), "x": (2,)},
...              scalar=str)
['outer(g, x)', 'g @ W']
>>> adjoint_code("getitem", [("t", "z")], (2,), (slice(0, 2),), g="g", out="y", shapes={"z": (8,)}, scalar=str)
['_scatter(g, (slice(0, 2, None),), (8,))']
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ...declare.derivatives import derivative, is_elementwise
from ...declare.matrixops import named
from ...declare.tensor import Tensor
from ...declare.tensortext import key_text
from ...derive.matrix.rules import RULES, shares
from ..printing import CodePrinter

__all__ = ["OPERATIONS", "Unsupported", "adjoint_code", "elementwise_code", "is_elementwise", "tensor_code"]

#: the operations the array program writes (those of the rule table)
OPERATIONS = frozenset(RULES)


class Unsupported(Exception):
    """The cell cannot be written with array operations; the message says which part."""


def elementwise_code(f, *, out: str, arg: str) -> str:
    """f'(arg) as numpy code, in the output ``out`` = f(arg) where sympy's derivative reads it.

    >>> elementwise_code(sp.tanh, out="h", arg="a"), elementwise_code(sp.exp, out="y", arg="x")
    ('1 - h**2', 'y')
    """
    d, a, v = derivative(f)
    return CodePrinter().doprint(d.xreplace({a: sp.Symbol(arg), v: sp.Symbol(out)}))


def adjoint_code(kind: str, operands: list, shape: tuple, extra, *, g: str, out: str, shapes: dict,
                 scalar: Callable) -> list:
    """Each operand's share of the adjoint ``g`` of ``out = kind(operands)``, as code (None: no share).

    Parameters
    ----------
    kind : str
        The operation (``"@"``, ``"map"``, ...; one of :data:`OPERATIONS`).
    operands : list of (str, object)
        ``("t", variable)`` for an array, ``("s", expression)`` for a sympy scalar.
    shape : tuple
        The output's shape.
    extra
        The function of a ``map``, the index of a ``getitem``, the axis of a ``sum`` or ``concat``.
    g, out : str
        The variables of the output's adjoint (``"1.0"`` for the loss) and of the output.
    shapes : dict
        Each array variable's shape.
    scalar : callable
        Writes a sympy scalar as code.
    """
    args = tuple(named(o[1], shapes[o[1]], "param") if o[0] == "t" else o[1] for o in operands)
    node = Tensor.node(kind, args, shape, extra)
    adjoint = sp.S.One if g == "1.0" else named(g, shape, "param")
    return [None if s is None else tensor_code(s, scalar)
            for s in shares(node, adjoint, out=named(out, shape, "param"))]


def _transposed_times_vector(args) -> bool:
    a, v = args
    return (isinstance(a, Tensor) and a.op == "T" and len(a.shape) == 2 and isinstance(v, Tensor)
            and len(v.shape) == 1)


_INFIX = {"+": " + ", "-": " - ", "*": " * ", "/": " / ", "@": " @ ", "**": "**"}


def tensor_code(t, scalar: Callable) -> str:  # noqa: PLR0911 - one return per operation
    """An array expression over named variables as numpy code (``scalar`` writes its sympy scalars).

    >>> x, g = named("x", (3,), "param"), named("g", (3,), "param")
    >>> tensor_code((g * (1 - x)).sum(), str)
    'sum(g * (1 - x))'
    """
    if not isinstance(t, Tensor):
        return scalar(sp.sympify(t))
    op, args = t.op, t.args

    def wrap(a) -> str:
        code = tensor_code(a, scalar)
        atom = not isinstance(a, Tensor) or a.op in ("leaf", "T", "getitem", "outer", "embed", "spread", "sum",
                                                      "softmax", "reshape", "concat", "fill")
        return code if atom else f"({code})"

    if op == "leaf":
        return t.extra[0]
    if op == "@" and _transposed_times_vector(args):  # Aᵀ·g as g·A: no transpose inside the loop
        return wrap(args[1]) + " @ " + wrap(args[0].args[0])
    if op in _INFIX:
        return wrap(args[0]) + _INFIX[op] + wrap(args[1])
    if op == "neg":
        return "-" + wrap(args[0])
    if op == "T":
        return wrap(args[0]) + ".T"
    if op == "getitem":
        return f"{wrap(args[0])}[{key_text(t.extra)}]"
    if op == "outer":
        return f"outer({tensor_code(args[0], scalar)}, {tensor_code(args[1], scalar)})"
    if op == "embed":
        return f"_scatter({tensor_code(args[0], scalar)}, {t.extra!r}, {t.shape!r})"
    if op == "spread":
        return f"_spread({tensor_code(args[0], scalar)}, {t.extra!r}, {t.shape!r})"
    if op == "sum":
        inner = tensor_code(args[0], scalar)
        return f"sum({inner})" if t.extra is None else f"{wrap(args[0])}.sum(axis={t.extra!r})"
    if op == "reshape":
        return f"reshape({tensor_code(args[0], scalar)}, {t.shape!r})"
    if op == "fill":
        return f"full({t.shape!r}, {scalar(sp.sympify(args[0]))})" if t.shape else scalar(sp.sympify(args[0]))
    if op == "softmax":
        return f"_softmax({tensor_code(args[0], scalar)})"
    if op == "dmap":  # f'(a), in the output where sympy's derivative reads it
        return elementwise_code(t.extra, out=wrap(args[1]), arg=wrap(args[0]))
    if op == "map":
        return CodePrinter().doprint(t.extra(sp.Symbol(wrap(args[0]))))
    if op == "concat":
        return f"concatenate([{', '.join(tensor_code(a, scalar) for a in args)}], axis={t.extra!r})"
    raise Unsupported(f"the tensor operation {op!r} in an adjoint")  # pragma: no cover - the table makes no other
