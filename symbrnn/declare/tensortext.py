"""A Tensor expression as one line of text, in the notation cell files use: ``tanh(W @ x_t + U @ h_{t-1} + b)``.

Named arrays print as their quantity at its time (``x_t``, ``h_{t-1}``,
``h_3``; a param as its name); operations as Python writes them, with the
parentheses their precedence needs. The render layer has the typeset forms
(⊙, ᵀ, LaTeX).

Examples
--------
>>> from symbrnn.declare.tensor import Tensor
>>> W, h = Tensor.symbols("W", (2, 2), kind="param"), Tensor.symbols("h", 2)
>>> text((W @ h.prev + 1)[0:1] * 2), text((h - 1).sum() / 2), text(-(W.T @ h))
('(W @ h_{t-1} + 1)[0:1]*2', '(h_t - 1).sum()/2', '-(W.T @ h_t)')
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import precedence

from .derivatives import derivative

__all__ = ["key_text", "leaf_text", "text"]

_ADD, _MUL, _POW, _ATOM = 40, 50, 60, 1000
_PRECEDENCE = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "@": _MUL, "neg": _MUL, "**": _POW, "dmap": _ADD}


def leaf_text(name: str, when) -> str:
    """A named array at its time: ``W``, ``x_t``, ``h_{t-1}``, ``h_{t+1}``, ``h_3``; a sensitivity ``dh_3/db``."""
    if "/" in name and when != "param":  # a sensitivity dq/db: the step goes to q
        top, bottom = name.split("/", 1)
        return f"{leaf_text(top, when)}/{bottom}"
    if when == "param":
        return name
    if when == "now":
        return f"{name}_t"
    if when == "prev":
        return f"{name}_{{t-1}}"
    if when == "next":
        return f"{name}_{{t+1}}"
    return f"{name}_{when}"


def key_text(key: tuple) -> str:
    """An index as Python writes it inside [...]: ``0:4``, ``1, 0:2``, ``6:``, ``::2``."""

    def one(k) -> str:
        if k is None:
            return "None"
        if not isinstance(k, slice):
            return str(k)
        part = f"{'' if k.start is None else k.start}:{'' if k.stop is None else k.stop}"
        return part if k.step is None else f"{part}:{k.step}"

    return ", ".join(one(k) for k in key)


def _level(value) -> int:
    if hasattr(value, "op"):
        return _PRECEDENCE.get(value.op, _ATOM)
    return precedence(value)


def _wrapped(value, level: int, strict: bool = False) -> str:
    out = text(value) if hasattr(value, "op") else str(value)
    inner = _level(value)
    return f"({out})" if inner < level or (strict and inner == level) else out


def _name(f) -> str:
    return getattr(f, "__name__", str(f))


def text(t) -> str:
    """``t`` as one line of text."""
    if not hasattr(t, "op"):
        return str(t)
    op, args = t.op, t.args
    if op == "leaf":
        return leaf_text(*t.extra)
    if op == "const":
        return str(t.tolist())
    if op == "fill":
        return str(args[0])
    if op in ("+", "-", "*", "/", "@", "**"):
        level = _PRECEDENCE[op]
        spaced = op in ("+", "-", "@")
        sep = f" {op} " if spaced else op
        right_strict = op in ("-", "/", "@", "**")
        return _wrapped(args[0], level, strict=op == "**") + sep + _wrapped(args[1], level, strict=right_strict)
    if op == "neg":
        return "-" + _wrapped(args[0], _MUL, strict=True)
    atom = _wrapped(args[0], _ATOM) if args else ""
    if op == "T":
        return f"{atom}.T"
    if op == "getitem":
        return f"{atom}[{key_text(t.extra)}]"
    if op == "sum":
        return f"{atom}.sum()" if t.extra is None else f"{atom}.sum(axis={t.extra})"
    if op in ("map", "reduce"):
        return f"{_name(t.extra)}({text(args[0])})"
    if op == "softmax":
        return f"softmax({text(args[0])})"
    if op == "concat":
        return f"concatenate([{', '.join(text(a) for a in args)}])"
    if op == "eye":
        return f"eye({t.shape[0]})"
    if op == "outer":
        return f"outer({text(args[0])}, {text(args[1])})"
    if op == "embed":
        return f"embed({text(args[0])}, [{key_text(t.extra)}] of {tuple(t.shape)})"
    if op == "dmap":  # f' written out, in the output where sympy's derivative reads it: 1 - h_t**2
        d, a, v = derivative(t.extra)
        return sp.sstr(d.xreplace({a: sp.Symbol(_wrapped(args[0], _ATOM)), v: sp.Symbol(_wrapped(args[1], _ATOM))}))
    if op in ("spread", "reshape"):
        return f"{op}({text(args[0])}, {tuple(t.shape)})"
    return f"{op}({', '.join(text(a) if hasattr(a, 'op') else sp.sstr(a) for a in args)})"  # pragma: no cover
