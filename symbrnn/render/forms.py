"""Closed forms of a derivation: recursive and fully expanded, abstract and concrete.

- :class:`RecursiveForm`: the equations of the derivation, one per total
  (forward mode: dh_t/dθ = ∂h_t/∂θ + ∂h_t/∂h_{t-1}·dh_{t-1}/dθ) or delta
  (reverse mode: δh_t = ∂L_t/∂h_t + ∂h_{t+1}/∂h_t·δh_{t+1}), each addend
  labelled (explicit, implicit, chain, direct, through h_{t+1}, ...).
- :class:`ExpandedForm`: the result as a sum of chain products,
  Σ_t Σ_k ∂L_t/∂h_t·(Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂θ written out, built
  from the recursion and only on request; :func:`count_products` says how big
  it would be without building it.
- :func:`concrete`: any of these with every partial symbol replaced by its
  expression (sech², σ(1-σ), ...), simplified only on request.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> d = derive(elman(), T=3, wrt="U")
>>> print(RecursiveForm(d).equations[-3])
dh_3/dU = ∂h_3/∂U [explicit] + ∂h_3/∂h_2·dh_2/dU [implicit]
>>> count_products(d)
6
>>> print(ExpandedForm(d).products[-1])
∂L_3/∂h_3·∂h_3/∂h_2·∂h_2/∂h_1·∂h_1/∂U
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from ..core.kinds import STATE
from ..derive.total import TotalDerivative
from .text import text

__all__ = ["Addend", "ChainProduct", "Equation", "ExpandedForm", "RecursiveForm", "concrete",
           "count_products", "leaves"]

LEAF_KINDS = ("explicit", "partial")
_NUMERATOR_STEP = re.compile(r"^[∂d](.+)_(\d+)/")


@dataclass(frozen=True)
class Addend:
    """One labelled addend of an equation: ``label`` is explicit, implicit, chain, direct, ..."""

    label: str
    expr: sp.Expr


@dataclass(frozen=True)
class Equation:
    """``lhs = Σ addends``, the equation of one total, delta, contribution or the result.

    Attributes
    ----------
    lhs : sympy.Symbol
    addends : tuple of Addend
    t : int or None
        The step (None for the result).
    kind : str
        The kind of the term it defines (``total``, ``delta``, ``contribution``, ``result``).
    """

    lhs: sp.Symbol
    addends: tuple[Addend, ...]
    t: int | None
    kind: str

    @property
    def rhs(self) -> sp.Expr:
        """The right-hand side as one sympy expression."""
        return sp.Add(*(a.expr for a in self.addends))

    def __str__(self) -> str:
        if not self.addends:
            return f"{self.lhs} = 0"
        return f"{self.lhs} = " + " + ".join(f"{text(a.expr)} [{a.label}]" for a in self.addends)


def _sorted_addends(expr: sp.Expr) -> list[sp.Expr]:
    return sorted((a for a in sp.Add.make_args(expr) if a != 0), key=sp.default_sort_key)


class RecursiveForm:
    """The derivation as recursive equations with labelled addends, in evaluation order.

    Parameters
    ----------
    d : TotalDerivative

    Attributes
    ----------
    equations : tuple of Equation

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> r = RecursiveForm(derive(elman(), T=2, wrt="U", mode="reverse"))
    >>> for eq in r.equations:
    ...     print(eq)
    δh_2 = ∂L_2/∂h_2 [direct]
    dL/dU[2] = ∂h_2/∂U·δh_2 [explicit]
    δh_1 = ∂L_1/∂h_1 [direct] + ∂h_2/∂h_1·δh_2 [through h_2]
    dL/dU[1] = ∂h_1/∂U·δh_1 [explicit]
    δh_0 = ∂h_1/∂h_0·δh_1 [through h_1]
    dL/dU = dL/dU[1] [step 1] + dL/dU[2] [step 2]
    """

    def __init__(self, d: TotalDerivative):
        self.derivative = d
        self._by_name = {t.symbol: t for t in d.terms}
        kinds = ("total", "result") if d.mode == "forward" else ("delta", "contribution", "result")
        equations = (self._equation(term) for term in d.terms if term.kind in kinds)
        # a step's share that is 0 (an initial state has no explicit terms) is left out, as in the result
        self.equations = tuple(eq for eq in equations if eq.addends or eq.kind != "contribution")

    def _equation(self, term) -> Equation:
        d = self.derivative
        if term.kind == "total":
            (explicit,) = d.select("explicit", term.quantity, term.t)
            (chain,) = d.select("implicit" if d.cell.kind(term.quantity) == STATE else "chain", term.quantity, term.t)
            label = "implicit" if chain.kind == "implicit" else "chain"
            addends = [Addend("explicit", explicit.ref)] if explicit.ref != 0 else []
            addends += [Addend(label, a) for a in _sorted_addends(chain.expr)]
        elif term.kind == "delta":
            addends = [Addend(self._through(a), a) for a in _sorted_addends(term.expr)]
        elif term.kind == "contribution":
            addends = [Addend("explicit", a) for a in _sorted_addends(term.expr)]
        else:
            addends = [Addend(self._source(a), a) for a in self._result_addends(term)]
        return Equation(term.symbol, tuple(addends), term.t, term.kind)

    def _result_addends(self, term) -> list[sp.Expr]:
        by_name = self._by_name

        def key(a):
            found = [by_name[s] for s in a.free_symbols if s in by_name]
            steps = [t.t for t in found if t.t is not None]
            return (0 if min(steps, default=0) > 0 else 1, min(steps, default=0), sp.default_sort_key(a))

        return sorted((a for a in sp.Add.make_args(term.expr) if a != 0), key=key)

    def _through(self, addend: sp.Expr) -> str:
        deltas = sorted((s.name[1:] for s in addend.free_symbols if s.name.startswith("δ")))
        return "through " + ", ".join(deltas) if deltas else "direct"

    def _source(self, addend: sp.Expr) -> str:
        by_name = self._by_name
        steps = sorted({by_name[s].t for s in addend.free_symbols if s in by_name and by_name[s].t is not None})
        if steps and steps[0] == 0:
            return "initial state"
        return "step " + ", ".join(map(str, steps)) if steps else "initial state"

    def __iter__(self):
        return iter(self.equations)


@dataclass(frozen=True)
class ChainProduct:
    """One product of the expanded form, factors in the order a hand writes the chain rule."""

    coeff: sp.Expr
    factors: tuple[sp.Expr, ...]

    @property
    def expr(self) -> sp.Expr:
        """The product as one sympy expression."""
        return self.coeff * sp.Mul(*self.factors)

    def __str__(self) -> str:
        parts = [text(f) if not f.is_Add else f"({text(f)})" for f in self.factors]
        head = "" if self.coeff == 1 else text(self.coeff) + "·"
        return head + "·".join(parts)


def leaves(d: TotalDerivative) -> dict[sp.Symbol, sp.Expr]:
    """The partial symbols of a derivation (explicit and partial terms) and their expressions."""
    return {t.symbol: t.expr for t in d.terms if t.kind in LEAF_KINDS}


def _recursion(d: TotalDerivative) -> dict[sp.Symbol, list[tuple[sp.Expr, tuple, tuple]]]:
    """Each non-leaf term as a list of (coefficient, leaf factors, recursive factors) per addend."""
    recursive = {t.symbol for t in d.terms if t.kind not in LEAF_KINDS}
    out = {}
    for term in d.terms:
        if term.kind in LEAF_KINDS:
            continue
        rows = []
        for addend in sp.Add.make_args(term.expr):
            if addend == 0:
                continue
            coeff, factors = addend.as_coeff_mul()
            leaf = tuple(sorted((f for f in factors if f not in recursive), key=sp.default_sort_key))
            rows.append((coeff, leaf, tuple(f for f in factors if f in recursive)))
        out[term.symbol] = rows
    return out


def count_products(d: TotalDerivative) -> int:
    """How many products the fully expanded form of ``d`` has, counted on the recursion (cheap).

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> [count_products(derive(elman(), T=T, wrt="U")) for T in (1, 2, 3, 10, 100)]
    [1, 3, 6, 55, 5050]
    """
    rows, memo = _recursion(d), {}
    for term in d.terms:  # evaluation order: every reference is counted before it is used
        if term.symbol in rows:
            memo[term.symbol] = sum(_prod(memo[r] for r in rec) for _, _, rec in rows[term.symbol])
    return memo[d.result.symbol]


def _prod(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out


class ExpansionTooLarge(ValueError):
    """The fully expanded form has more products than asked for."""


class ExpandedForm:
    """The result written out as a sum of chain products (abstract: partial symbols).

    Built from the recursion, only when constructed. Raises
    :class:`ExpansionTooLarge` when it would have more than ``max_products``
    products (see :func:`count_products`): for large T show the recursive or
    the generic-T form instead.

    Parameters
    ----------
    d : TotalDerivative
    max_products : int

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> e = ExpandedForm(derive(elman(), T=2, wrt="U"))
    >>> print(e)
    dL/dU = ∂L_1/∂h_1·∂h_1/∂U + ∂L_2/∂h_2·∂h_2/∂U + ∂L_2/∂h_2·∂h_2/∂h_1·∂h_1/∂U
    """

    def __init__(self, d: TotalDerivative, *, max_products: int = 64):
        n = count_products(d)
        if n > max_products:
            raise ExpansionTooLarge(
                f"the fully expanded d{d.of}/d{d.wrt} has {n} products at T={d.T} (more than {max_products});"
                " use the recursive or the generic-T form, or raise max_products"
            )
        self.derivative = d
        self.products = tuple(self._expand())

    def _expand(self) -> list[ChainProduct]:
        d = self.derivative
        rows, memo = _recursion(d), {}
        forward = d.mode == "forward"
        for term in d.terms:
            if term.symbol not in rows:
                continue
            out = []
            for coeff, leaf, rec in rows[term.symbol]:
                combos = [ChainProduct(coeff, leaf)]
                for r in rec:
                    combos = [ChainProduct(c.coeff * p.coeff,
                                           c.factors + p.factors if forward else p.factors + c.factors)
                              for c in combos for p in memo[r]]
                out += combos
            memo[term.symbol] = out
        return sorted(memo[d.result.symbol], key=self._hand_order)

    def _hand_order(self, p: ChainProduct) -> tuple:
        """By the loss step, then the path back in time (forward); by the explicit step first (reverse)."""
        steps = []
        for f in p.factors:
            m = _NUMERATOR_STEP.match(getattr(f, "name", ""))
            steps.append(int(m.group(2)) if m else -1)
        if self.derivative.mode == "reverse":
            steps.reverse()
        return (tuple(steps), [sp.default_sort_key(f) for f in p.factors])

    @cached_property
    def expr(self) -> sp.Expr:
        """The sum of the products as one sympy expression."""
        return sp.Add(*(p.expr for p in self.products))

    def concrete(self) -> tuple[ChainProduct, ...]:
        """The products with every partial replaced by its expression."""
        env = leaves(self.derivative)
        return tuple(ChainProduct(p.coeff, tuple(f.xreplace(env) for f in p.factors)) for p in self.products)

    def __str__(self) -> str:
        d = self.derivative
        body = " + ".join(map(str, self.products)) or "0"
        return f"d{d.of}/d{d.wrt} = {body}"


def concrete(d: TotalDerivative, expr: sp.Expr, *, simplify: bool = False) -> sp.Expr:
    """``expr`` with every partial symbol of ``d`` replaced by its expression (in forward values).

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> d = derive(elman(), T=3, wrt="U")
    >>> concrete(d, d.total(3).expr)
    dh_2/dU*U*(1 - tanh(a_3)**2) + h_2*(1 - tanh(a_3)**2)
    """
    out = expr.xreplace(leaves(d))
    return sp.simplify(out) if simplify else out
