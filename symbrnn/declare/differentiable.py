"""Every function a cell uses must have a derivative sympy can write.

symbrnn differentiates every quantity. A function such as ``floor``, ``ceiling``,
``frac`` or ``Mod`` has no derivative sympy writes out: it stays
``Derivative(floor(x), x)``, which no backend can compute, and used to fail
deep inside a code printer. :func:`check_differentiable` refuses such a
function when the expression is declared, naming it and the fix.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> check_differentiable(sp.tanh(x) + sp.Abs(x), "node 'a'")
>>> try:
...     check_differentiable(sp.floor(x), "node 'a'")
... except errors.ExpressionError as err:
...     print(str(err).split(":")[0])
node 'a' uses floor, whose derivative sympy cannot write (it stays Derivative(floor(x), x))
"""

from __future__ import annotations

import functools

import sympy as sp

from ..core import errors

__all__ = ["check_differentiable"]


def check_differentiable(e: sp.Expr, where: str) -> None:
    """Raise :class:`~symbrnn.ExpressionError` if ``e`` applies a function whose derivative stays unevaluated."""
    for app in sorted(e.atoms(sp.Function), key=sp.default_sort_key):
        if not all(isinstance(a, sp.Expr) for a in app.args):
            continue  # Piecewise and the like: their arguments are (expr, condition) pairs, differentiated as such
        varying = tuple(i for i, a in enumerate(app.args) if a.free_symbols)
        if varying and not _writes_derivative(app.func, len(app.args), varying):
            name = getattr(app.func, "__name__", str(app.func))
            shown = sp.Derivative(app.func(*(sp.Symbol("x") if i in varying else a for i, a in enumerate(app.args))),
                                  sp.Symbol("x"))
            raise errors.ExpressionError(
                f"{where} uses {name}, whose derivative sympy cannot write (it stays {shown}): use a"
                " differentiable function instead (a smooth approximation), or compute it outside the cell"
                " and give it as an input"
            )


@functools.lru_cache(maxsize=None)
def _writes_derivative(func, nargs: int, varying: tuple) -> bool:
    """True if ``func``'s derivative in each argument of ``varying`` has no unevaluated Derivative."""
    z = [sp.Dummy(f"z{i}", real=True) for i in range(nargs)]
    try:
        applied = func(*z)
        return not any(applied.diff(z[i]).has(sp.Derivative, sp.Subs) for i in varying)
    except Exception:  # noqa: BLE001 - a function that cannot take plain real arguments is judged by its use
        return True
