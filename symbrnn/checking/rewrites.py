"""Expression rewrites: a definition computed the wrong way, as a hand derivation might.

Each function takes what it needs to know of the program (the names of the
quantities a function computes: ``h_3`` for ``tanh(a_3)``) and returns the
rewritten expression; an expression a rewrite does not touch comes back as it is.

Examples
--------
>>> import sympy as sp
>>> a, h = sp.symbols("a_3 h_2")
>>> e = h * (1 - sp.tanh(a) ** 2)
>>> tanh_prime_as_one_minus(e, set()), activation_omitted(sp.tanh(a), sp.tanh)
(h_2*(1 - tanh(a_3)), a_3)
>>> [str(v) for v, _ in sum_and_product_slips(a + 2 * h)]
['2*h_2', '-a_3 + 2*h_2', 'a_3', 'a_3 - 2*h_2', 'a_3 + h_2', 'a_3 + h_2/2', 'a_3 + 2', 'a_3 + 2/h_2']
"""

from __future__ import annotations

import sympy as sp

from ..declare.functions import sigmoid

__all__ = [
    "activation_omitted",
    "derivative_omitted",
    "drop_recurrent",
    "sigmoid_prime_as",
    "sum_and_product_slips",
    "tanh_prime_as_one_minus",
]


def activation_omitted(expr, function):
    """Every application of ``function`` replaced by its argument (the pre-activation reported as the value)."""
    return expr.replace(lambda e: isinstance(e, function), lambda e: e.args[0])


def _is_tanh(e, tanh_names: set[str]) -> bool:
    return isinstance(e, sp.tanh) or (e.is_Symbol and e.name in tanh_names)


def _is_sigmoid(e, sigmoid_names: set[str]) -> bool:
    return isinstance(e, sigmoid) or (e.is_Symbol and e.name in sigmoid_names)


def tanh_prime_as_one_minus(expr, tanh_names: set[str]):
    """1 − tanh² written as 1 − tanh: tanh(u)² (or h² for h = tanh(u)) replaced by tanh(u) (h)."""
    return expr.replace(lambda e: e.is_Pow and e.exp == 2 and _is_tanh(e.base, tanh_names), lambda e: e.base)


def derivative_omitted(expr, tanh_names: set[str], sigmoid_names: set[str]):
    """The activation's derivative left out: 1 − tanh² and σ(1 − σ) taken as 1."""
    def tanh_prime(e):
        if not e.is_Add or len(e.args) != 2 or sp.S.One not in e.args:
            return False
        other = next(a for a in e.args if a != sp.S.One)
        return other.is_Mul and other.args[0] == -1 and len(other.args) == 2 and other.args[1].is_Pow \
            and other.args[1].exp == 2 and _is_tanh(other.args[1].base, tanh_names)

    out = expr.replace(tanh_prime, lambda e: sp.S.One)
    return _sigmoid_pairs(out, sigmoid_names, drop=("s", "1-s"))


def sigmoid_prime_as(expr, sigmoid_names: set[str], kept: str):
    """σ(1 − σ) written as σ (``kept="s"``) or as 1 − σ (``kept="1-s"``)."""
    return _sigmoid_pairs(expr, sigmoid_names, drop=("1-s",) if kept == "s" else ("s",))


def _sigmoid_pairs(expr, names: set[str], drop: tuple[str, ...]):
    def rewrite(e):
        factors = list(e.args)
        for s in [f for f in factors if _is_sigmoid(f, names)]:
            one_minus = 1 - s
            if s in factors and one_minus in factors:
                if "s" in drop:
                    factors.remove(s)
                if "1-s" in drop:
                    factors.remove(one_minus)
        return sp.Mul(*factors)

    return expr.replace(lambda e: e.is_Mul, rewrite)


def drop_recurrent(expr, recurrent: set[str]):
    """The addends that read one of ``recurrent`` (dh_{t-1}/dθ, δh_{t+1}) left out of a sum."""
    if not expr.is_Add:
        return sp.S.Zero if {s.name for s in expr.free_symbols} & recurrent else expr
    kept = [a for a in expr.args if not {s.name for s in a.free_symbols} & recurrent]
    return sp.Add(*kept)


def _parts(expr) -> list:
    """The sums and products a slip may be in: the expression, its arguments and theirs."""
    out, level = [], [expr]
    for _depth in range(3):
        out += [e for e in level if (e.is_Add or e.is_Mul) and e not in out]
        level = [a for e in level if e.is_Add or e.is_Mul for a in e.args]
    return out


def sum_and_product_slips(expr) -> list[tuple[sp.Expr, str]]:
    """Every way to slip once in one sum (a term left out, a sign flipped) or product (a factor left out, or
    divided by), with its description."""
    out: list[tuple[sp.Expr, str]] = []
    for part in _parts(expr):
        for arg in part.args:
            if part.is_Add:
                changes = ((part - arg, f"the term {arg} left out of a sum"),
                           (part - 2 * arg, f"the term {arg} taken with the wrong sign"))
            else:
                if arg == -1:
                    continue
                changes = ((part / arg, f"the factor {arg} left out of a product"),
                           (part / arg**2, f"divided by {arg} instead of multiplied"))
            for new, why in changes:
                slipped = expr.xreplace({part: new})
                if slipped != expr and all(slipped != s for s, _ in out):
                    out.append((slipped, why))
    return out
