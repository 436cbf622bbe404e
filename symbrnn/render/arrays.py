"""Array expressions typeset: ⊙ for the elementwise product, ᵀ for the transpose, · for the matrix product.

As text (the terminal) and as LaTeX (``\\odot``, ``^{\\top}``); named arrays
print as their quantity at its step (``h_{t-1}``, ``δh_3``, ``W``), an
elementwise function's derivative as sympy writes it, in its output
(``1 − h_t²``, ``σ(z_t)⊙(1 − σ(z_t))``), slices that tile an array
joined as a stacked vector ``[a; b]``.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn import derive
>>> d = derive(elman(2, 3, 1), T=3, wrt="U")
>>> tensor_text(d.delta(2, "h").expr), tensor_text(d.delta(2, "a").expr)
('Vᵀ·δyhat_2 + Uᵀ·δa_3', 'δh_2⊙(1 - h_2²)')
>>> print(tensor_latex(d.contribution(1).expr))
\\delta {a}_{1} {h}_{0}^{\\top}
"""

from __future__ import annotations

import sympy as sp

from ..declare.derivatives import derivative
from ..declare.tensor import Tensor
from ..declare.tensortext import key_text
from .doc import M

__all__ = ["tensor_latex", "tensor_m", "tensor_text"]

_ADD, _MUL, _UNARY, _POW, _ATOM = 1, 2, 3, 4, 5
_LEVEL = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "@": _MUL, "outer": _MUL, "neg": _UNARY, "**": _POW}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_FUNCTIONS = {"sigmoid": ("σ", r"\sigma"), "tanh": ("tanh", r"\tanh"), "exp": ("exp", r"\exp"),
              "log": ("log", r"\log"), "relu": ("relu", r"\operatorname{relu}"), "sqrt": ("√", r"\sqrt")}


def _level(t) -> int:
    if isinstance(t, Tensor):
        return _level(_as_tensor(t)) if t.op == "dmap" else _LEVEL.get(t.op, _ATOM)
    return _ADD if isinstance(t, sp.Add) else _ATOM


def _name(name: str, when, latex: bool) -> str:
    if "/" in name:  # a sensitivity dq/db (dL/db for the result): the step goes to q
        top, bottom = name.split("/", 1)
        if latex:
            return (r"\frac{d" + _name(top[1:], when, True) + "}{d" + _name(bottom[1:], "param", True) + "}")
        return name if when == "param" else f"{_name(top, when, False)}/{bottom}"
    delta = name.startswith("δ")
    base = name[1:] if delta else name
    if latex:
        base = (r"\delta " if delta else "") + "{" + sp.latex(sp.Symbol(base)) + "}"
        sub = {"now": "t", "prev": "t-1", "next": "t+1"}.get(when, when)
        return base if when == "param" else f"{base}_{{{sub}}}"
    base = ("δ" if delta else "") + base
    sub = {"now": "t", "prev": "{t-1}", "next": "{t+1}"}.get(when, when)
    return base if when == "param" else f"{base}_{sub}"


class _Writer:
    def __init__(self, latex: bool):
        self.latex = latex

    def wrap(self, t, level: int, strict: bool = False) -> str:
        inner = _level(t)
        out = self.write(t)
        if inner < level or (strict and inner == level):
            return r"\left(" + out + r"\right)" if self.latex else f"({out})"
        return out

    def scalar(self, e) -> str:
        return sp.latex(e) if self.latex else sp.sstr(e)

    def write(self, t) -> str:  # noqa: PLR0911 - one return per operation
        if not isinstance(t, Tensor):
            return self.scalar(t)
        op, args, L = t.op, t.args, self.latex
        if op == "leaf":
            return _name(*t.extra, latex=L)
        if op == "+" and isinstance(args[0], Tensor) and args[0].op == "neg" and not (
                isinstance(args[1], Tensor) and args[1].op == "neg"):  # -y + ŷ is written ŷ - y
            return f"{self.write(args[1])} - {self.wrap(args[0].args[0], _ADD, strict=True)}"
        if op == "+" and isinstance(args[1], Tensor) and args[1].op == "neg":  # a + -b is written a - b
            return f"{self.write(args[0])} - {self.wrap(args[1].args[0], _ADD, strict=True)}"
        if op in ("+", "-"):
            right = self.wrap(args[1], _ADD, strict=op == "-")
            return f"{self.write(args[0])} {op} {right}"
        if op in ("*", "@", "outer", "/"):
            return self._product(t)
        if op == "neg":
            return "-" + self.wrap(args[0], _UNARY)
        if op == "**":
            k = args[1]
            if L:
                return self.wrap(args[0], _POW, strict=True) + "^{" + self.scalar(k) + "}"
            power = str(k).translate(_SUPERSCRIPT) if getattr(k, "is_Integer", False) else "^" + self.scalar(k)
            return self.wrap(args[0], _POW, strict=True) + power
        return self._call(t)

    def _product(self, t) -> str:
        a, b = t.args
        if t.op == "/":
            if self.latex:
                return r"\frac{" + self.write(a) + "}{" + self.write(b) + "}"
            return self.wrap(a, _MUL) + "/" + self.wrap(b, _MUL, strict=True)
        scalar = not isinstance(a, Tensor) or not isinstance(b, Tensor)
        if t.op == "*" and not scalar and a == b:  # h⊙h is written h², as the scalar forms write it
            return self.wrap(a, _POW, strict=True) + ("^{2}" if self.latex else "²")
        sign = {"@": ("·", " "), "outer": ("·", " "), "*": ("·" if scalar else "⊙", r"\," if scalar else r" \odot ")}
        sep = sign[t.op][1] if self.latex else sign[t.op][0]
        right = self.wrap(b, _MUL, strict=t.op != "*")
        if t.op == "outer":
            right = self.wrap(b, _ATOM) + (r"^{\top}" if self.latex else "ᵀ")
        return self.wrap(a, _MUL) + sep + right

    def _call(self, t) -> str:  # noqa: PLR0911
        op, args, L = t.op, t.args, self.latex
        if op == "T":
            return self.wrap(args[0], _ATOM) + (r"^{\top}" if L else "ᵀ")
        if op == "getitem":
            if L:  # braced, so that a subscripted name (h_{t}) takes the slice without a double subscript
                return "{" + self.wrap(args[0], _ATOM) + "}_{[" + key_text(t.extra) + "]}"
            return self.wrap(args[0], _ATOM) + f"[{key_text(t.extra)}]"
        if op in ("map", "reduce"):  # an elementwise function, or a reduction such as logsumexp
            return self._function(t.extra, self.write(args[0]))
        if op == "dmap":
            return self.write(_as_tensor(t))
        if op == "concat":  # stacked (axis 0, ;) or side by side (axis 1, ,)
            parts = [self.write(a) for a in args]
            if L:
                return r"\begin{bmatrix}" + (r" \\ " if t.extra == 0 else " & ").join(parts) + r"\end{bmatrix}"
            return "[" + ("; " if t.extra == 0 else ", ").join(parts) + "]"
        if op == "sum":
            under = "" if t.extra is None else f"axis {t.extra}"
            if L:
                below = r"_{\text{" + under + "}}" if under else ""
                return r"\textstyle\sum" + below + " " + self.wrap(args[0], _ATOM)
            return ("Σ" + (f"_{{{under}}}" if under else "") + " ") + self.wrap(args[0], _ATOM)
        if op == "softmax":
            return (r"\operatorname{softmax}\left(" + self.write(args[0]) + r"\right)") if L else \
                f"softmax({self.write(args[0])})"
        if op == "fill":
            return self.scalar(args[0])
        if op == "eye":
            return "I"
        if op == "rowscale":  # diag(v)·m
            inner = self.write(args[0])
            diag = (r"\operatorname{diag}\left(" + inner + r"\right)") if L else f"diag({inner})"
            return diag + (" " if L else "·") + self.wrap(args[1], _MUL, strict=True)
        inner = ", ".join(self.write(a) for a in args)
        extra = "" if t.extra is None else f", {key_text(t.extra) if op == 'embed' else t.extra}"
        return (r"\operatorname{" + op + r"}\left(" + inner + extra + r"\right)") if L else f"{op}({inner}{extra})"

    def _function(self, f, inner: str) -> str:
        name = getattr(f, "__name__", str(f))
        shown = getattr(f, "display_names", None)  # a researcher's activation, and its derivative φ'
        text, latex = shown or _FUNCTIONS.get(name, (name, r"\operatorname{" + name + "}"))
        if self.latex:
            return latex + r"\left(" + inner + r"\right)" if name != "sqrt" else r"\sqrt{" + inner + "}"
        return f"{text}({inner})"


def _as_tensor(t: Tensor):
    """f'(a) as an array expression in a and the output (so that it prints with ⊙)."""
    d, a, v = derivative(t.extra)
    return _from_sympy(d, {a: t.args[0], v: t.args[1]})


def _from_sympy(e, leaves: dict):
    if e in leaves:
        return leaves[e]
    if e.is_Number:
        return e
    if isinstance(e, sp.Add):
        parts = sorted(e.args, key=lambda p: 0 if p.is_Number else 1)
        out = _from_sympy(parts[0], leaves)
        for p in parts[1:]:
            c, rest = p.as_coeff_Mul()
            out = out - _from_sympy(-p, leaves) if c < 0 else out + _from_sympy(p, leaves)
        return out
    if isinstance(e, sp.Mul):
        out = None
        for p in sorted(e.args, key=lambda p: 0 if p in leaves else 1):  # σ⊙(1 - σ), as it is written by hand
            piece = _from_sympy(p, leaves)
            out = piece if out is None else out * piece
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer and 1 < e.exp <= 3:
        base = _from_sympy(e.base, leaves)
        out = base
        for _ in range(int(e.exp) - 1):
            out = out * base
        return out
    if isinstance(e, sp.Pow):
        return _from_sympy(e.base, leaves) ** e.exp
    if isinstance(e, sp.Function) and len(e.args) == 1:
        return _from_sympy(e.args[0], leaves).map(e.func)
    return e  # pragma: no cover - another form prints as sympy writes it


def tensor_text(t) -> str:
    """An array expression as text: ⊙, ᵀ, ·."""
    return _Writer(latex=False).write(t)


def tensor_latex(t) -> str:
    """An array expression as LaTeX: ``\\odot``, ``^{\\top}``."""
    return _Writer(latex=True).write(t)


def tensor_m(t) -> M:
    """An array expression as an :class:`~symbrnn.render.doc.M` (text and LaTeX)."""
    return M(tensor_text(t), tensor_latex(t))
