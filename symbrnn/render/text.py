"""Numbers and expressions as text and as LaTeX: the one place that formats them.

Every renderer formats numbers with :func:`number` (a fixed number of
decimals, chosen by the user) and sympy expressions with :func:`text`
(unicode: ``·`` for products, ``²`` for small powers, ``Σ_{t=1..T}`` for sums)
or :func:`latex`. Both can show an expression with numbers in place of some of
its symbols, in the same order as the symbolic line, the way a hand
derivation writes ``a_1 = U·h_0 + b + w·x_1 = 0.5·0.0 + 0.2 + 0.5·1.0``.

Examples
--------
>>> import sympy as sp
>>> x, w = sp.symbols("x w")
>>> text(w*x**2 + 1)
'w·x² + 1'
>>> text(w*x + 1, values={w: 0.5, x: -2.0}, digits=2)
'0.50·(-2.00) + 1'
>>> latex(w*x, values={w: 0.5, x: 2.0}, digits=1)
'0.5 \\\\cdot 2.0'
>>> number(-0.00001, 3), number(2 / 3, 4)
('0.000', '0.6667')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..core.symbols import Named
from ..declare.tensor import element

__all__ = ["Notation", "frac_latex", "frac_text", "index", "latex", "number", "sub_latex", "sub_text", "text"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

#: how an indexed quantity prints: label -> (text, LaTeX, rank), text and LaTeX functions of the index;
#: in a product, factors print by rank (loss partials 1, products 2, Jacobians and explicit terms 3, sums 4)
Notation = Mapping[str, tuple[Callable[[sp.Expr], str], Callable[[sp.Expr], str], int]]



def _basic(expr) -> sp.Basic:
    """A sympy object for ``expr``: numbers are converted, text is refused (never parsed)."""
    return expr if isinstance(expr, sp.Basic) else element(expr, "a rendered expression")

def number(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals; never ``-0.000``.

    Examples
    --------
    >>> number(0.604367, 3), number(-0.0004, 3), number(1e-9, 2)
    ('0.604', '0.000', '0.00')
    """
    s = f"{float(x):.{int(digits)}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.") else s


def _signed(x: float, digits: int) -> str:
    s = number(x, digits)
    return f"({s})" if s.startswith("-") else s


def index(expr, printer=sp.sstr) -> str:
    """A step index as a hand writes it: positive symbols, then negative ones, then the number.

    Examples
    --------
    >>> import sympy as sp
    >>> i, k, t = sp.symbols("i k t")
    >>> index(t - i - 1), index(k + 1), index(-k + t)
    ('t - i - 1', 'k + 1', 't - k')
    """
    terms = sorted(sp.Add.make_args(_basic(expr)),
                   key=lambda a: (a.is_number, a.could_extract_minus_sign(), sp.default_sort_key(a)))
    out = printer(terms[0])
    for a in terms[1:]:
        out += " - " + printer(-a) if a.could_extract_minus_sign() else " + " + printer(a)
    return out


def sub_text(i) -> str:
    """A subscript as text: ``t``, ``3``, ``{t-1}``.

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> sub_text(t), sub_text(t - 1), sub_text(12)
    ('t', '{t-1}', '12')
    """
    s = index(i).replace(" ", "")
    return s if len(s) == 1 or s.isdigit() else "{" + s + "}"


def sub_latex(i) -> str:
    """A subscript as LaTeX (always braced): ``{t - 1}``.

    Examples
    --------
    >>> import sympy as sp
    >>> sub_latex(sp.Symbol("t") - 1)
    '{t - 1}'
    """
    return "{" + index(i, sp.latex) + "}"


def frac_text(op: str, num: str, den: str) -> str:
    """A derivative as text: ``frac_text("∂", "h_t", "U")`` is ``∂h_t/∂U``.

    Examples
    --------
    >>> frac_text("d", "L", "U")
    'dL/dU'
    """
    return f"{op}{num}/{op}{den}"


def frac_latex(op: str, num: str, den: str) -> str:
    r"""A derivative as LaTeX: ``\frac{\partial h_{t}}{\partial U}``; ``op`` is ``"∂"`` or ``"d"``.

    Examples
    --------
    >>> frac_latex("∂", "h_{t}", "U")
    '\\frac{\\partial h_{t}}{\\partial U}'
    """
    o = r"\partial " if op == "∂" else "d "
    return r"\frac{" + o + num + "}{" + o + den + "}"


class _Values:
    """Printer mix-in: symbols in ``values`` print as numbers; indexed quantities use ``notation``."""

    _which = 0  # 0: text, 1: LaTeX

    def __init__(self, values: Mapping | None, digits: int, notation: Notation | None, **settings):
        super().__init__(settings)
        self._values = dict(values or {})
        self._digits = digits
        self._notation = dict(notation or {})

    def _print(self, expr, **kwargs) -> str:
        if isinstance(expr, sp.Basic) and expr in self._values:
            return _signed(self._values[expr], self._digits)
        if isinstance(expr, sp.Indexed) and str(expr.base.label) in self._notation:
            return self._notation[str(expr.base.label)][self._which](*expr.indices)
        return super()._print(expr, **kwargs)

    def _as_ordered_terms(self, expr, order=None):
        """A sum's terms as a hand writes them: the positive ones first (ŷ - y, not -y + ŷ), else sympy's order."""
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda a: a.could_extract_minus_sign())

    def _rank(self, factor) -> float:
        if isinstance(factor, sp.Sum):
            return 2.5
        if isinstance(factor, sp.Product):
            return 2
        if isinstance(factor, sp.Indexed) and str(factor.base.label) in self._notation:
            return self._notation[str(factor.base.label)][2]
        return 0

    def _print_Mul(self, expr) -> str:
        c, nc = expr.args_cnc()
        if not self._notation or not any(self._rank(f) for f in c + nc):
            return super()._print_Mul(expr)
        factors = sorted(c, key=lambda f: (self._rank(f), sp.default_sort_key(f))) + nc
        parts = []
        for n, f in enumerate(factors):
            last = n == len(factors) - 1
            parts.append(self._bracket(self._print(f)) if isinstance(f, sp.Sum) and not last
                         else self.parenthesize(f, 50, strict=True))
        return self._join(parts)

    def _print_Max(self, expr) -> str:  # a limit of a truncated sum, as a hand writes it: max(1, t - τ + 1)
        return self._extreme("max", expr)

    def _print_Min(self, expr) -> str:
        return self._extreme("min", expr)

    def _extreme(self, op: str, expr) -> str:
        args = ", ".join(index(a, self._print) for a in sorted(expr.args, key=sp.default_sort_key))
        return ("\\" if self._which else "") + op + "(" + args + ")"

    def _limits(self, expr) -> tuple[str, str, str]:
        (i, lo, hi), = expr.limits
        return self._print(i), index(lo, self._print), index(hi, self._print)


class _TextPrinter(_Values, StrPrinter):
    def _print_Function(self, expr) -> str:
        if not any(a in self._values for a in expr.args):
            return super()._print_Function(expr)
        args = [number(self._values[a], self._digits) if a in self._values else self._print(a) for a in expr.args]
        return f"{expr.func.__name__}({', '.join(args)})"

    def _join(self, parts: list[str]) -> str:
        return "*".join(parts)

    def _bracket(self, s: str) -> str:
        return "(" + s + ")"

    def _big(self, op: str, expr) -> str:
        i, lo, hi = self._limits(expr)
        return f"{op}_{{{i}={lo}..{hi}}}".replace(" ", "") + " " + self.parenthesize(expr.function, 50, strict=True)

    def _print_Sum(self, expr) -> str:
        return self._big("Σ", expr)

    def _print_Product(self, expr) -> str:
        return "(" + self._big("Π", expr) + ")"


_SHARE = re.compile(r"^(.*)\[(.+)\]$")


class _LatexPrinter(_Values, LatexPrinter):
    _which = 1

    def _print(self, expr, **kwargs) -> str:
        m = _SHARE.match(expr.name) if isinstance(expr, Named) else None
        if m:  # a step's share of a derivative: dL/dU[3]
            inner = self._print(Named(m.group(1), real=True))
            return r"\left." + inner + r"\right|_{" + m.group(2) + "}"
        return super()._print(expr, **kwargs)

    def _join(self, parts: list[str]) -> str:
        return " ".join(parts)

    def _bracket(self, s: str) -> str:
        return r"\left(" + s + r"\right)"

    def _big(self, op: str, expr) -> str:
        i, lo, hi = self._limits(expr)
        return op + "_{" + f"{i}={lo}" + "}^{" + hi + "} " + self.parenthesize(expr.function, 50, strict=True)

    def _print_Sum(self, expr) -> str:
        return self._big(r"\sum", expr)

    def _print_Product(self, expr) -> str:
        return self._bracket(self._big(r"\prod", expr))


def _unicode(s: str) -> str:
    s = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), s)
    s = re.sub(r"\*\*\((-\d+)\)", lambda m: m.group(1).translate(_SUPERSCRIPT), s)
    return s.replace("**", "^").replace("*", "·")


def text(expr, *, values: Mapping | None = None, digits: int = 4, notation: Notation | None = None) -> str:
    """``expr`` as one line of unicode text, with ``values`` substituted for their symbols.

    Parameters
    ----------
    expr : sympy.Expr
    values : mapping of symbol to float, optional
        Symbols to print as numbers (negative ones in parentheses).
    digits : int
        Decimals of those numbers.
    notation : mapping, optional
        How indexed quantities (``J[j]``) print: label -> (text, LaTeX) functions of the index.

    Examples
    --------
    >>> import sympy as sp
    >>> a, h = sp.symbols("a h")
    >>> text(h*(1 - sp.tanh(a)**2))
    'h·(1 - tanh(a)²)'
    """
    return _unicode(_TextPrinter(values, digits, notation).doprint(_basic(expr)))


def latex(expr, *, values: Mapping | None = None, digits: int = 4, notation: Notation | None = None,
          mul_symbol: str | None = None) -> str:
    r"""``expr`` as LaTeX (math mode), with ``values`` substituted for their symbols.

    Products of substituted numbers are written with ``\cdot``.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a")
    >>> latex(1 - sp.tanh(a)**2)
    '1 - \\tanh^{2}{\\left(a \\right)}'
    """
    if values and mul_symbol is None:
        mul_symbol = "dot"
    printer = _LatexPrinter(values, digits, notation, mul_symbol=mul_symbol)
    out = printer.doprint(_basic(expr))
    return "".join(_GREEK.get(ch, ch) for ch in out) if not out.isascii() else out


#: unicode letters that can reach LaTeX through symbol names, as macros
_GREEK = {"θ": r"\theta ", "τ": r"\tau ", "η": r"\eta ", "δ": r"\delta ", "∂": r"\partial ", "α": r"\alpha ",
          "β": r"\beta ", "ε": r"\varepsilon ", "σ": r"\sigma ", "λ": r"\lambda ", "μ": r"\mu "}
