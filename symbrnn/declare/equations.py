"""Parse equation text into sympy expressions with a whitelist: nothing in the text is ever run.

The text is parsed with Python's :mod:`ast` (``mode="eval"``); the tree is
checked node by node against a short list of allowed forms, and the sympy
expression is then built from the tree by this module. No ``eval``,
``exec``, ``sympify`` or ``parse_expr`` touches the text.

Allowed: numbers, the names the caller allows, ``NAME.prev`` for states,
``+ - * / **`` and unary ``-``/``+``, and calls of the functions in
:data:`FUNCTIONS` with plain positional arguments. Names may stand for
vectors and matrices (:class:`~symbrnn.declare.tensor.Tensor`); then the text follows
numpy: ``@`` is the matrix product, the other operators act elementwise and
broadcast, ``W.T`` transposes, ``h.sum()`` and ``h.mean()`` reduce (with an
optional axis), ``h[0]``, ``W[1, 0]`` and ``h[0:2]`` index with whole numbers
written out, and the functions apply elementwise (``softmax`` and ``logsumexp`` take a vector). Limits: the
text's length, the tree's depth (a chain a + b + c is one level) and size, exponents (between -16 and 16),
and the entries of any vector or matrix declared or built (at most 1,000,000).

Examples
--------
>>> from symbrnn.core.symbols import now, prev, param
>>> names = {"w": param("w"), "x": now("x"), "h": now("h")}
>>> parse_equation("tanh(w*x + 0.5*h.prev)", names, states={"h"})
tanh(0.5*h_{t-1} + w*x_t)
>>> parse_equation("h.__class__", names, states={"h"})
Traceback (most recent call last):
...
symbrnn.EquationError: attribute access .__class__ is not allowed; only STATE.prev, .T, .sum() and .mean() are

With vectors and matrices:

>>> W, v = Tensor.symbols("W", (2, 2), kind="param"), Tensor.symbols("v", 2)
>>> print(parse_equation("W.T @ v + v.sum()", {"W": W, "v": v}))
W.T @ v_t + v_t.sum()
>>> parse_equation("(W.T @ v)[0]", {"W": W, "v": v})
W[0,0]*v[0]_t + W[1,0]*v[1]_t
>>> parse_equation("W + v[0:1, 0]", {"W": W, "v": v})
Traceback (most recent call last):
...
symbrnn.EquationError: 2 indices for a quantity of shape (2,); give at most 1
"""

from __future__ import annotations

import ast
import math

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import prev
from .functions import exp, log, logsumexp, relu, sigmoid, softmax, tanh
from .tensor import Tensor, shape_text

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_ELEMENTS", "MAX_LENGTH", "MAX_NODES", "names_in", "parse_equation"]


def _logsumexp(z):
    if not isinstance(z, Tensor) or z.ndim != 1:
        raise errors.ShapeError(f"logsumexp needs a vector, got shape {getattr(z, 'shape', ())}")
    return logsumexp(z)


def _sqrt(x):
    return x.map(sp.sqrt) if isinstance(x, Tensor) else sp.sqrt(x)


#: the functions equation text may call, with their number of arguments
FUNCTIONS = {"exp": (exp, 1), "log": (log, 1), "logsumexp": (_logsumexp, 1), "relu": (relu, 1),
             "sigmoid": (sigmoid, 1), "softmax": (softmax, 1), "sqrt": (_sqrt, 1), "tanh": (tanh, 1)}
MAX_LENGTH = 2000  # characters of one equation
MAX_DEPTH = 40  # nesting of the parsed tree
MAX_NODES = 400  # nodes of the parsed tree
MAX_EXPONENT = 16
MAX_DIGITS = 20  # digits of a number literal
MAX_POWER_DIGITS = 300  # digits of a power of numbers, e.g. (10**16)**16
MAX_ELEMENTS = 1_000_000  # entries of one vector or matrix (declared, or the result of an operation)


def _log10(x: sp.Number) -> float:
    return float(sp.log(x, 10).evalf(15)) if x > 10**300 else math.log10(float(x))

_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)


def _describe(node: ast.AST) -> str:
    kind = type(node).__name__
    friendly = {
        "Lambda": "a lambda", "ListComp": "a comprehension", "GeneratorExp": "a comprehension",
        "SetComp": "a comprehension", "DictComp": "a comprehension", "Subscript": "indexing [...]",
        "Compare": "a comparison", "BoolOp": "and/or", "IfExp": "if/else", "List": "a list",
        "Tuple": "a tuple", "Dict": "a dict", "Set": "a set", "Starred": "*args", "NamedExpr": ":=",
        "JoinedStr": "an f-string", "Await": "await", "Yield": "yield", "Slice": "a slice",
    }
    return friendly.get(kind, kind)


def _check_shape(tree: ast.AST) -> None:
    """Depth and size limits, walked iteratively (no recursion to exhaust); a chain a + b + c ... is one level."""
    count = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise errors.EquationError(f"the equation nests deeper than {MAX_DEPTH} levels; split it into nodes")
        if count > MAX_NODES:
            raise errors.EquationError(f"the equation has more than {MAX_NODES} parts; split it into nodes")
        same_op = isinstance(node, ast.BinOp) and type(getattr(node.left, "op", None)) is type(node.op)
        chained = node.left if same_op else None
        stack.extend((child, depth + (child is not chained)) for child in ast.iter_child_nodes(node))


def _number(node: ast.Constant) -> sp.Expr:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise errors.EquationError(f"{value!r} is not a number; equations use numbers, names and operators only")
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_DIGITS:
            raise errors.EquationError(f"the number {str(value)[:12]}... has more than {MAX_DIGITS} digits")
        return sp.Integer(value)
    if not math.isfinite(value):
        raise errors.EquationError("a number in the equation is too large (it overflows to infinity)")
    return sp.Float(value)


class _Builder:
    def __init__(self, names: dict, states: set[str]):
        self.names, self.states = names, states

    def build(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            return _number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            op = type(node.op).__name__
            raise errors.EquationError(f"the operator {op} is not allowed; use + - * / ** @ and unary -")
        raise errors.EquationError(
            f"{_describe(node)} is not allowed in an equation; use numbers, names, + - * / ** @ and calls"
        )

    def _name(self, name: str):
        if name in FUNCTIONS:
            raise errors.EquationError(f"{name!r} is a function: call it, e.g. {name}(x)")
        if name.startswith("_"):
            raise errors.EquationError(f"{name!r}: names starting with _ are not allowed")
        if name not in self.names:
            known = ", ".join(n if len(n) <= 24 else n[:20] + "..." for n in sorted(self.names)[:12]) or "none"
            raise errors.EquationError(f"unknown name {name[:40]!r}; declare it first (known: {known})")
        return self.names[name]

    def _attribute(self, node: ast.Attribute):
        if node.attr == "prev" and isinstance(node.value, ast.Name):
            name = node.value.id
            if name not in self.states:
                raise errors.EquationError(
                    f"{name}.prev: {name!r} is not a state; only states have a previous value"
                )
            symbol = self.names.get(name)
            return symbol.prev if isinstance(symbol, Tensor) else prev(name)
        if node.attr == "T":
            value = self.build(node.value)
            if not isinstance(value, Tensor):
                raise errors.EquationError(".T: only a vector or matrix has a transpose; this is a scalar")
            return value.T
        raise errors.EquationError(
            f"attribute access .{node.attr} is not allowed; only STATE.prev, .T, .sum() and .mean() are"
        )

    def _subscript(self, node: ast.Subscript):
        value = self.build(node.value)
        if not isinstance(value, Tensor):
            raise errors.EquationError("indexing [...] is only for vectors and matrices; this is a scalar")
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(parts) > value.ndim:
            raise errors.EquationError(
                f"{len(parts)} indices for a quantity of shape {shape_text(value.shape)}; give at most {value.ndim}"
            )
        key = []
        for part, n in zip(parts, value.shape, strict=False):
            if isinstance(part, ast.Slice):
                bounds = [None if b is None else self._integer(b, "a slice bound")
                          for b in (part.lower, part.upper, part.step)]
                if bounds[2] == 0:
                    raise errors.EquationError("a slice step cannot be 0")
                key.append(slice(*bounds))
            else:
                i = self._integer(part, "an index")
                if not -n <= i < n:
                    raise errors.EquationError(
                        f"index {i} is out of range for shape {shape_text(value.shape)} (0..{n - 1})"
                    )
                key.append(i)
        result = value[tuple(key)]
        if isinstance(result, Tensor) and result.size == 0:
            raise errors.EquationError(f"the slice selects nothing from shape {shape_text(value.shape)}")
        return result

    def _integer(self, node: ast.AST, what: str) -> int:
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if not (isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) <= MAX_ELEMENTS):
            raise errors.EquationError(f"{what} must be a whole number written out, e.g. h[0] or W[1, 0:2]")
        return sign * node.value

    def _binary(self, node: ast.BinOp):
        left = self.build(node.left)
        if isinstance(node.op, ast.Pow):
            exponent = self._exponent(node.right)
            if _is_number(left) and abs(left) > 1 and abs(exponent) * _log10(abs(left)) > MAX_POWER_DIGITS:
                raise errors.EquationError(
                    f"a power of numbers in the equation has more than {MAX_POWER_DIGITS} digits"
                )
            return left**exponent
        right = self.build(node.right)
        _check_size(left, right, isinstance(node.op, ast.MatMult))
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.MatMult):
            if not (isinstance(left, Tensor) and isinstance(right, Tensor)):
                raise errors.EquationError("@ multiplies vectors and matrices; use * with a scalar")
            return left @ right
        if _zero(right):
            raise errors.EquationError("division by zero in the equation")
        return left / right

    def _exponent(self, node: ast.AST) -> sp.Expr:
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if not isinstance(node, ast.Constant):
            raise errors.EquationError(f"an exponent must be a number between -{MAX_EXPONENT} and {MAX_EXPONENT}")
        value = _number(node)
        if abs(value) > MAX_EXPONENT:
            raise errors.EquationError(f"the exponent {sign * value} is outside -{MAX_EXPONENT}..{MAX_EXPONENT}")
        return sign * value

    def _call(self, node: ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            return self._method(node)
        if not isinstance(node.func, ast.Name):
            raise errors.EquationError(f"only named functions can be called ({', '.join(sorted(FUNCTIONS))})")
        name = node.func.id
        if name not in FUNCTIONS:
            raise errors.EquationError(
                f"{name!r} is not a function symbrnn knows; use one of: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise errors.EquationError(f"{name}(...) takes plain positional arguments only")
        function, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            raise errors.EquationError(f"{name}(...) takes {arity} argument(s), got {len(node.args)}")
        return function(*(self.build(a) for a in node.args))

    def _method(self, node: ast.Call):
        name = node.func.attr
        if node.keywords or len(node.args) > 1 or any(isinstance(a, ast.Starred) for a in node.args):
            raise errors.EquationError(f".{name}() takes no argument or one axis, e.g. W.{name}(0)")
        value = self.build(node.func.value)
        if not isinstance(value, Tensor):
            raise errors.EquationError(f".{name}(): only a vector or matrix has one; this is a scalar")
        if not node.args:
            return getattr(value, name)()
        axis = self._integer(node.args[0], "an axis")
        if not -value.ndim <= axis < value.ndim:
            raise errors.EquationError(f".{name}({axis}): shape {shape_text(value.shape)} has no axis {axis}")
        return getattr(value, name)(axis)


_METHODS = ("sum", "mean")


def _is_number(value) -> bool:
    return isinstance(value, sp.Expr) and value.is_Number


def _scalars(value) -> list:
    """The scalar parts of an expression: its constant entries and scalar operands (no components are made)."""
    if not isinstance(value, Tensor):
        return [value]
    out, stack, seen = [], [value], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.op == "const":
            out += t.flat()
        for a in t.args:
            (stack if isinstance(a, Tensor) else out).append(a)
    return out


def _zero(value) -> bool:
    """True if ``value`` is 0, or a constant array with a 0 entry."""
    if isinstance(value, Tensor):
        return value.op in ("const", "fill") and any(c.is_zero for c in _scalars(value))
    return bool(value.is_zero)


def _check_size(left, right, matmul: bool) -> None:
    """Refuse an operation whose result would have more than MAX_ELEMENTS entries, before building it."""
    shapes = [v.shape if isinstance(v, Tensor) else () for v in (left, right)]
    try:
        if matmul:
            a, b = shapes
            shape = a[:-1] + b[1:] if len(b) == 2 else a[:-1]
        else:
            shape = np.broadcast_shapes(*shapes)
    except (ValueError, IndexError):
        return  # the operation itself says which shapes do not fit
    if math.prod(shape) > MAX_ELEMENTS:
        raise errors.EquationError(
            f"the result would have shape {shape_text(shape)}, over {MAX_ELEMENTS:,} entries; use smaller shapes"
        )


def _parse(text) -> ast.Expression:
    """The checked syntax tree of ``text`` (limits on length, depth and size applied)."""
    if not isinstance(text, str):
        raise errors.EquationError(f"an equation must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise errors.EquationError(
            f"the equation is {len(text)} characters long (at most {MAX_LENGTH}); split it into nodes"
        )
    if not text.strip():
        raise errors.EquationError("the equation is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise errors.EquationError(f"the equation does not parse: {exc.msg} (column {exc.offset})") from None
    except (RecursionError, MemoryError, ValueError):
        raise errors.EquationError("the equation does not parse: it nests too deeply") from None
    _check_shape(tree)
    return tree


def names_in(text: str) -> set[str]:
    """The names ``text`` uses (other than after ``.``), e.g. to order equations that use each other.

    Examples
    --------
    >>> sorted(names_in("tanh(W @ x + h.prev) * g"))
    ['W', 'g', 'h', 'tanh', 'x']
    """
    return {node.id for node in ast.walk(_parse(text)) if isinstance(node, ast.Name)}


def parse_equation(text: str, names: dict, states=frozenset()) -> sp.Expr | Tensor:
    """Build the sympy expression that ``text`` describes, allowing only the given names.

    Parameters
    ----------
    text : str
        The equation's right-hand side, e.g. ``"tanh(w*x + U*h.prev + b)"``.
    names : dict
        Name -> symbol (or :class:`~symbrnn.declare.tensor.Tensor` of component
        symbols) for every quantity the text may use.
    states : set of str
        The names that may be used with ``.prev``.

    Raises
    ------
    EquationError
        For anything but numbers, allowed names, ``STATE.prev``, the operators,
        indexing, ``.T``, ``.sum()``, ``.mean()`` and calls of
        :data:`FUNCTIONS`; for shapes that do not fit; for text over the limits.
    """
    tree = _parse(text)
    try:
        expr = _Builder(names, set(states)).build(tree.body)
    except errors.EquationError:
        raise
    except errors.SymbrnnError as exc:  # a shape that does not fit, softmax of a scalar, ...
        raise errors.EquationError(str(exc)) from None
    if any(c.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for c in _scalars(expr)):
        raise errors.EquationError("the equation divides by zero (or is infinite); check it")
    if any(c.has(sp.I) for c in _scalars(expr)):
        raise errors.EquationError("the equation has an imaginary number (a root or log of a negative number)")
    return expr
