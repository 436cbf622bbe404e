"""Parse equation text into sympy expressions with a whitelist: nothing in the text is ever run.

The text is parsed with Python's :mod:`ast` (``mode="eval"``); the tree is
checked node by node against a short list of allowed forms, and the sympy
expression is then built from the tree by this module. No ``eval``,
``exec``, ``sympify`` or ``parse_expr`` touches the text.

Allowed: numbers, the names the caller allows, ``NAME.prev`` for states,
``+ - * / **`` and unary ``-``/``+``, and calls of the functions in
:data:`FUNCTIONS` with plain positional arguments. Limits keep a small text
from making the process hang or eat memory: the text length, the tree's depth
and size, and exponents (a number between -16 and 16).

Examples
--------
>>> from symbrnn.symbols import now, prev, param
>>> names = {"w": param("w"), "x": now("x"), "h": now("h")}
>>> parse_equation("tanh(w*x + 0.5*h.prev)", names, states={"h"})
tanh(0.5*h_{t-1} + w*x_t)
>>> parse_equation("__import__('os')", names)
Traceback (most recent call last):
...
symbrnn.errors.EquationError: '__import__' is not a function symbrnn knows; use one of: exp, log, sigmoid, sqrt, tanh
"""

from __future__ import annotations

import ast
import math

import sympy as sp

from . import errors
from .functions import sigmoid
from .symbols import prev

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_NODES", "parse_equation"]

#: the functions equation text may call, with their number of arguments
FUNCTIONS = {
    "exp": (sp.exp, 1), "log": (sp.log, 1), "sigmoid": (sigmoid, 1), "sqrt": (sp.sqrt, 1), "tanh": (sp.tanh, 1),
}
MAX_LENGTH = 2000  # characters of one equation
MAX_DEPTH = 40  # nesting of the parsed tree
MAX_NODES = 400  # nodes of the parsed tree
MAX_EXPONENT = 16
MAX_DIGITS = 20  # digits of a number literal
MAX_POWER_DIGITS = 300  # digits of a power of numbers, e.g. (10**16)**16


def _log10(x: sp.Number) -> float:
    return float(sp.log(x, 10).evalf(15)) if x > 10**300 else math.log10(float(x))

_BINARY = {ast.Add: sp.Add, ast.Sub: None, ast.Mult: sp.Mul, ast.Div: None, ast.Pow: None}
_NAMES_OF_NODES = {
    ast.Expression: "expression", ast.BinOp: "operator", ast.UnaryOp: "sign", ast.Call: "call",
    ast.Name: "name", ast.Constant: "number", ast.Attribute: ".prev",
}


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
    """Depth and size limits, walked iteratively (no recursion to exhaust)."""
    count = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise errors.EquationError(f"the equation nests deeper than {MAX_DEPTH} levels; split it into nodes")
        if count > MAX_NODES:
            raise errors.EquationError(f"the equation has more than {MAX_NODES} parts; split it into nodes")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


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
    def __init__(self, names: dict[str, sp.Symbol], states: set[str]):
        self.names, self.states = names, states

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return _number(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            return self._prev(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            op = type(node.op).__name__
            raise errors.EquationError(f"the operator {op} is not allowed; use + - * / ** and unary -")
        raise errors.EquationError(
            f"{_describe(node)} is not allowed in an equation; use numbers, names, + - * / ** and calls"
        )

    def _name(self, name: str) -> sp.Expr:
        if name in FUNCTIONS:
            raise errors.EquationError(f"{name!r} is a function: call it, e.g. {name}(x)")
        if name.startswith("_"):
            raise errors.EquationError(f"{name!r}: names starting with _ are not allowed")
        if name not in self.names:
            known = ", ".join(sorted(self.names)) or "none"
            raise errors.EquationError(f"unknown name {name!r}; declare it first (known: {known})")
        return self.names[name]

    def _prev(self, node: ast.Attribute) -> sp.Expr:
        if node.attr != "prev" or not isinstance(node.value, ast.Name):
            raise errors.EquationError(f"attribute access .{node.attr} is not allowed; only STATE.prev is")
        name = node.value.id
        if name not in self.states:
            raise errors.EquationError(f"{name}.prev: {name!r} is not a state; only states have a previous value")
        return prev(name)

    def _binary(self, node: ast.BinOp) -> sp.Expr:
        left = self.build(node.left)
        if isinstance(node.op, ast.Pow):
            exponent = self._exponent(node.right)
            if left.is_Number and abs(left) > 1 and abs(exponent) * _log10(abs(left)) > MAX_POWER_DIGITS:
                raise errors.EquationError(
                    f"a power of numbers in the equation has more than {MAX_POWER_DIGITS} digits"
                )
            return left**exponent
        right = self.build(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right.is_zero:
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

    def _call(self, node: ast.Call) -> sp.Expr:
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


def parse_equation(text: str, names: dict[str, sp.Symbol], states=frozenset()) -> sp.Expr:
    """Build the sympy expression that ``text`` describes, allowing only the given names.

    Parameters
    ----------
    text : str
        The equation's right-hand side, e.g. ``"tanh(w*x + U*h.prev + b)"``.
    names : dict
        Name -> symbol for every quantity the text may use.
    states : set of str
        The names that may be used with ``.prev``.

    Raises
    ------
    EquationError
        For anything but numbers, allowed names, ``STATE.prev``, ``+ - * / **``
        and calls of :data:`FUNCTIONS`; for text over the limits.
    """
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
    expr = _Builder(names, set(states)).build(tree.body)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise errors.EquationError("the equation divides by zero (or is infinite); check it")
    if expr.has(sp.I):
        raise errors.EquationError("the equation has an imaginary number (a root or log of a negative number)")
    return expr
