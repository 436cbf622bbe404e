"""Term: one labelled chain-rule quantity of a derivation, and lookups over a list of them.

Kinds of term:

============  ==============================================================
explicit      ∂v_t/∂θ: v's dependence on θ at step t; for a state, h_{t-1} held fixed,
              for the loss, the state values it reads held fixed
partial       ∂v_t/∂σ against a state value σ: the step Jacobian J_t = ∂h_t/∂h_{t-1}
              for a state, ∂L_t/∂h_t for the loss
implicit      Σ ∂h_t/∂h_{t-1} · dh_{t-1}/dθ: a state's dependence through previous states
chain         Σ ∂L_t/∂h_t · dh_t/dθ: the loss's dependence through the states it reads
total         dv_t/dθ = explicit + implicit (or + chain for the loss) (forward mode)
delta         δσ = dL/dσ for a state value σ (reverse mode)
contribution  Σ_v δv_t · ∂v_t/∂θ: step t's share of the result (reverse mode)
result        the derivative asked for (dL/dθ)
============  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

__all__ = ["KINDS", "Term", "TermIndex"]

KINDS = ("explicit", "partial", "implicit", "chain", "total", "delta", "contribution", "result")


@dataclass(frozen=True)
class Term:
    """One labelled quantity of a derivation: its symbol, its expression and, once evaluated, its number.

    Attributes
    ----------
    kind : str
        One of ``explicit``, ``partial``, ``implicit``, ``chain``, ``total``,
        ``delta``, ``contribution``, ``result``.
    quantity : str
        The quantity it belongs to (``"h"``, ``"L"``).
    t : int or None
        Its step (None for the result).
    symbol : sympy.Symbol
        The name later terms use for it (``∂h_3/∂U``).
    expr : sympy.Expr
        Its definition, in earlier terms' symbols and forward values.
    via : sympy.Symbol or None
        For partials, the state value differentiated against (``h_2``).
    value : float or None
        Its number, on terms of an :class:`~symbrnn.Evaluation`.
    """

    kind: str
    quantity: str
    t: int | None
    symbol: sp.Symbol
    expr: sp.Expr
    via: sp.Symbol | None = None
    value: float | None = None
    template: tuple | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        text = f"{self.symbol} = {self.expr}"
        return text if self.value is None else f"{text} = {self.value!r}"

    @property
    def ref(self) -> sp.Expr:
        """What later terms write for this one: its symbol, or its constant if it is one."""
        return self.expr if self.expr.is_Number else self.symbol


def _index(terms) -> dict[tuple, tuple[Term, ...]]:
    """Terms by (kind, quantity, t), with None standing for any, each list in evaluation order."""
    index: dict[tuple, list[Term]] = {}
    for term in terms:
        # dict.fromkeys: a field that is None itself (the result's step) is counted once
        for kind in dict.fromkeys((term.kind, None)):
            for quantity in dict.fromkeys((term.quantity, None)):
                for t in dict.fromkeys((term.t, None)):
                    index.setdefault((kind, quantity, t), []).append(term)
    return {key: tuple(found) for key, found in index.items()}


class TermIndex:
    """Lookups over ``self.terms`` by kind, quantity and step."""

    terms: tuple[Term, ...]
    default_quantity: str | None

    def select(self, kind: str | None = None, quantity: str | None = None, t: int | None = None) -> tuple[Term, ...]:
        """All terms matching the given kind, quantity and step, in evaluation order.

        Each lookup is a dict access: the index over every (kind, quantity,
        step) pattern is built once per term list, so rendering T steps is
        linear in T.
        """
        cached = self.__dict__.get("_select_index")
        if cached is None or cached[0] is not self.terms:
            cached = (self.terms, _index(self.terms))
            self.__dict__["_select_index"] = cached
        return cached[1].get((kind, quantity, t), ())

    def _quantity(self, kind: str, t: int, quantity: str | None) -> str:
        q = quantity or self.default_quantity
        if q is None:
            states = list(self.cell.names("state"))
            if not states:
                raise KeyError(f"the cell has no states: give the quantity, e.g. {kind}({t}, quantity='L')")
            raise KeyError(
                f"the cell has several states ({', '.join(states)}):"
                f" say which, e.g. {kind}({t}, quantity={states[0]!r})"
            )
        return q

    def _one(self, kind: str, t: int, quantity: str | None) -> Term:
        q = self._quantity(kind, t, quantity)
        found = self.select(kind, q, t)
        if not found:
            raise KeyError(f"no {kind} term for {q} at step {t} in this {self.mode}-mode derivation")
        return found[0]

    def step(self, t: int) -> tuple[Term, ...]:
        """Every term of step ``t``."""
        return self.select(t=t)

    def explicit(self, t: int, quantity: str | None = None) -> Term:
        """The explicit term ∂v_t/∂θ (v defaults to the cell's only state)."""
        return self._one("explicit", t, quantity)

    def implicit(self, t: int, quantity: str | None = None) -> Term:
        """The implicit term Σ ∂v_t/∂σ · dσ/dθ (forward mode)."""
        return self._one("implicit", t, quantity)

    def chain(self, t: int) -> Term:
        """The loss's chain term Σ ∂L_t/∂h_t · dh_t/dθ (forward mode)."""
        return self._one("chain", t, self.cell.loss_name)

    def total(self, t: int, quantity: str | None = None) -> Term:
        """The total derivative dv_t/dθ (forward mode)."""
        return self._one("total", t, quantity)

    def partials(self, t: int, quantity: str | None = None) -> tuple[Term, ...]:
        """The partials ∂v_t/∂σ against each state value σ that v reads."""
        return self.select("partial", self._quantity("partials", t, quantity), t)

    def loss_gradient(self, t: int) -> Term:
        """dL_t/dθ, the gradient of the per-step loss (forward mode)."""
        return self._one("total", t, self.cell.loss_name)

    def delta(self, t: int, quantity: str | None = None) -> Term:
        """δσ_t = dL/dσ_t for a state (reverse mode; t = 0 is the initial state)."""
        return self._one("delta", t, quantity)

    def contribution(self, t: int) -> Term:
        """Step t's share Σ_v δv_t · ∂v_t/∂θ of the result (reverse mode)."""
        found = self.select("contribution", t=t)
        if not found:
            raise KeyError(f"no contribution term at step {t} in this {self.mode}-mode derivation")
        return found[0]

    def __str__(self) -> str:
        width = max(len(term.kind) for term in self.terms)
        lines = []
        for term in self.terms:
            text = f"{term.kind:>{width}}  {term.symbol} = {term.expr}"
            lines.append(text if term.value is None else f"{text} = {term.value!r}")
        return "\n".join(lines)

    @property
    def result(self) -> Term:
        """The derivative asked for."""
        return self.select("result")[-1]
