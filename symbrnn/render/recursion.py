"""The recursion of a derivation at a generic step t, valid for every T (the abstract recursive form).

Forward mode::

    dh_t/dθ = ∂h_t/∂θ + ∂h_t/∂h_{t-1}·dh_{t-1}/dθ        (explicit + implicit)
    dL_t/dθ = ∂L_t/∂θ + ∂L_t/∂h_t·dh_t/dθ                (explicit + chain)

reverse mode::

    δh_t = ∂L_t/∂h_t + ∂h_{t+1}/∂h_t·δh_{t+1}             (direct + through h_{t+1})

Built from the cell's step partials; terms whose partial is zero for every
step are left out.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> for eq in generic_recursion(derive(elman(), T=3, wrt="U")):
...     print(eq)
dh_0/dU = 0
dh_t/dU = ∂h_t/∂U [explicit] + ∂h_t/∂h_{t-1}·dh_{t-1}/dU [implicit]
dL_t/dU = ∂L_t/∂h_t·dh_t/dU [chain]
dL/dU = Σ_{t=1..T} dL_t/dU [sum]
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import STATE
from ..core.symbols import Named, Now, Prev, Step
from ..derive.total import TotalDerivative
from .forms import Addend, Equation

__all__ = ["generic_recursion"]


def _n(name: str) -> Named:
    return Named(name, real=True)


def _at(name: str, lag: int) -> str:
    return {0: f"{name}_t", 1: f"{name}_{{t-1}}", -1: f"{name}_{{t+1}}"}[lag]


def _templates(d: TotalDerivative):
    theta = d.wrt

    def template(v: str) -> sp.Expr:
        return sp.S.Zero if isinstance(theta, Step) else d.cell_partials.partial(v, theta)

    return template


def generic_recursion(d: TotalDerivative) -> tuple[Equation, ...]:
    """The equations of ``d``'s recursion at a generic step t (``t`` is None in each :class:`Equation`).

    Parameters
    ----------
    d : TotalDerivative
        Its cell, ``wrt`` and mode are used; its T is not.

    Returns
    -------
    tuple of Equation
    """
    if d.of_step is not None:
        raise ValueError(f"the generic recursion is for the total loss, not d{d.of}/d{d.wrt}")
    return _forward(d) if d.mode == "forward" else _reverse(d)


def _initial(d: TotalDerivative, s: str) -> int:
    return d.cell.init_derivative(s, d.wrt.name)


def _forward(d: TotalDerivative) -> tuple[Equation, ...]:
    th, P, template = d.wrt.name, d.cell_partials, _templates(d)
    loss = d.cell.loss_name
    eqs = [Equation(_n(f"d{s}_0/d{th}"), (Addend("initial", sp.Integer(_initial(d, s))),)
                    if _initial(d, s) else (), 0, "total") for s in d.states]
    for v in (*d.states, loss):
        addends = []
        if template(v) != 0:
            addends.append(Addend("explicit", _n(f"∂{v}_t/∂{th}")))
        label = "implicit" if d.cell.kind(v) == STATE else "chain"
        for z in P.frontier(v):
            zt = _at(z.name, 1 if isinstance(z, Prev) else 0)
            addends.append(Addend(label, _n(f"∂{v}_t/∂{zt}") * _n(f"d{zt}/d{th}")))
        eqs.append(Equation(_n(f"d{v}_t/d{th}"), tuple(addends), None, "total"))
    t, T = sp.Symbol("t", integer=True, positive=True), sp.Symbol("T", integer=True, positive=True)
    total = sp.Sum(_n(f"d{loss}_t/d{th}"), (t, 1, T))
    eqs.append(Equation(_n(f"d{loss}/d{th}"), (Addend("sum", total),), None, "result"))
    return tuple(eqs)


def _reverse(d: TotalDerivative) -> tuple[Equation, ...]:
    th, P, template = d.wrt.name, d.cell_partials, _templates(d)
    loss = d.cell.loss_name
    levels = (*d.states, loss)
    eqs = []
    for s in reversed(d.states):
        addends = []
        for lag, readers in ((0, Now), (-1, Prev)):
            for c in levels:
                if readers(s, real=True) not in P.frontier(c):
                    continue
                partial = _n(f"∂{_at(c, lag)}/∂{s}_t")
                if c == loss:
                    addends.append(Addend("direct", partial))
                else:
                    addends.append(Addend(f"through {_at(c, lag)}", partial * _n(f"δ{_at(c, lag)}")))
        eqs.append(Equation(_n(f"δ{s}_t"), tuple(addends), None, "delta"))
    shares = []
    for v in levels:
        if template(v) != 0:
            delta = sp.S.One if v == loss else _n(f"δ{v}_t")
            shares.append(Addend("explicit", delta * _n(f"∂{v}_t/∂{th}")))
    t, T = sp.Symbol("t", integer=True, positive=True), sp.Symbol("T", integer=True, positive=True)
    result = []
    if shares:  # an initial state has no explicit term at any step: no shares
        eqs.append(Equation(_n(f"d{loss}/d{th}[t]"), tuple(shares), None, "contribution"))
        result.append(Addend("sum", sp.Sum(_n(f"d{loss}/d{th}[t]"), (t, 1, T))))
    result += [Addend("initial state", _n(f"δ{s}_0")) for s in d.states if _initial(d, s)]
    eqs.append(Equation(_n(f"d{loss}/d{th}"), tuple(result), None, "result"))
    return tuple(eqs)
