"""The verdict on one written number: right, carried (right from the student's earlier numbers), or wrong and why.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.checking.program import build_program
>>> from symbrnn.checking.written import read_number
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> p = build_program(elman(), 3, values)
>>> sheet = {"h_1": 0.7, "h_2": 0.7398}             # h_1 is a_1: tanh left out; h_2 follows from it
>>> judge(p, "h_1", read_number("0.7"), sheet)
('wrong', 'the activation tanh omitted', ())
>>> judge(p, "h_2", read_number("0.7398"), sheet)
('carried', None, ('h_1',))
>>> judge(p, "h_2", read_number("0.7174"), sheet)
('right', None, ())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .program import Program
from .recompute import Budget, Recompute, SearchLimit, minimal_uses
from .slips import SLIPS, Variant
from .written import Written, agrees

__all__ = ["Situation", "explains", "judge"]

#: two numbers closer than this (relative) are the same number
SAME = 1e-12
#: the definitions the search for one verdict may evaluate (seconds); a hand-sized cell needs far fewer
SEARCH_LIMIT = 100_000
#: the cause given when the search stops at its limit
NOT_SEARCHED = "no slip found within the search limit (a large cell: write the numbers this one reads)"


@dataclass
class Situation:
    """What a rule needs to know: the quantity, what was written for it, and the whole sheet."""

    program: Program
    key: str
    written: Written
    sheet: dict[str, float]
    exprs: list = field(default_factory=list)
    budget: Budget | None = None

    def recompute(self, fixed: dict[str, float]) -> Recompute:
        """A :class:`Recompute` from the numbers ``fixed`` that spends this search's budget."""
        return Recompute(self.program, fixed, self.budget)

    @property
    def exact(self) -> dict[str, float]:
        return self.program.exact

    @cached_property
    def tanh_names(self) -> set[str]:
        return self._computing("tanh")

    @cached_property
    def sigmoid_names(self) -> set[str]:
        return self._computing("sigmoid")

    @cached_property
    def defs(self) -> list:
        """The quantity's definitions, the likeliest first: the one that reads the most written numbers, then
        the one that reads the latest quantities (a student uses the lines just above: 1 − h_3² rather than
        1 − tanh(a_3)², explicit + implicit rather than the chain)."""
        index = self.program.index

        def preference(e) -> tuple:
            reads = self.program.reads(e)
            written = sum(r in self.sheet for r in reads) / len(reads) if reads else 0.0
            return -written, -max((index[r] for r in reads), default=-1)

        return sorted(self.program[self.key].defs, key=preference)

    def _computing(self, function: str) -> set[str]:
        """The quantities whose definition is ``function`` applied to something (h_3 for tanh(a_3))."""
        return {k for k, q in self.program.quantities.items()
                if q.defs and type(q.defs[0]).__name__ == function and q.kind in ("state", "node")}


def _differing(r: Recompute, key: str, top, exact: dict[str, float]) -> list[str]:
    return [u for u in r.frontier(key, top) if abs(r.fixed[u] - exact[u]) > SAME * max(1.0, abs(exact[u]))]


def _recomputed(s: Situation, v: Variant, r: Recompute, top) -> float:
    if v.value is not None:
        return v.value
    own = v.own(top) if v.own is not None else top
    if v.transform is None and v.matches is None:
        return r.value(s.key, own, rewrite=v.rewrite, adjust=v.adjust)
    base = r.value(s.key, top)
    return v.transform(base) if v.transform is not None else base


def explains(s: Situation, v: Variant, r: Recompute) -> object:
    """The definition by which ``v`` gives the written number in the numbers of ``r``, or None."""
    tops = [v.top] if v.top is not None else s.defs
    for top in tops:
        value = _recomputed(s, v, r, top)
        if v.matches is not None:
            if v.matches(s.written, value):
                return top
        elif agrees(s.written, value) and not agrees(s.written, s.exact[s.key]):
            return top
    return None


def _uses(s: Situation, r: Recompute, top, holds) -> tuple[str, ...]:
    return minimal_uses(_differing(r, s.key, top, s.exact), r.fixed, s.exact, holds)


def _carried(s: Situation, follow: Recompute) -> tuple[str, ...] | None:
    for top in s.defs:
        if agrees(s.written, follow.value(s.key, top)):
            uses = _uses(s, follow, top, lambda trial, t=top: agrees(s.written, s.recompute(trial).value(s.key, t)))
            if uses:
                return uses
    return None


def _cause(s: Situation, follow: Recompute, at_exact: Recompute) -> tuple[str, tuple[str, ...]] | None:
    for slip in SLIPS:
        for r in (follow, at_exact):
            for variant in slip.variants(s, r):
                top = explains(s, variant, r)
                if top is None:
                    continue
                if r is at_exact:
                    return variant.cause, ()
                holds = lambda trial, v=variant: explains(s, v, s.recompute(trial)) is not None  # noqa: E731
                return variant.cause, _uses(s, follow, top, holds)
    return None


def judge(program: Program, key: str, written: Written, sheet: dict[str, float]) -> tuple[str, str | None, tuple]:
    """``(verdict, cause, uses)`` for the number ``written`` for ``key``, given every readable number of the sheet.

    The verdict is ``"right"``, ``"carried"`` (``uses`` names the student's
    numbers it follows from), ``"wrong"`` (``cause`` names the likeliest
    slip, or is None) or ``"unreadable"``.
    """
    if not written.readable:
        return "unreadable", f"cannot read {written.text!r} as a number", ()
    exact = program.exact
    if agrees(written, exact[key]):
        return "right", None, ()
    fixed = {k: v for k, v in sheet.items() if k != key}
    s = Situation(program, key, written, sheet, budget=Budget(SEARCH_LIMIT))
    follow, at_exact = s.recompute(fixed), s.recompute({k: exact[k] for k in fixed})
    try:
        uses = _carried(s, follow)
        if uses:
            return "carried", None, uses
        s.exprs = _exprs(s, follow)
        found = _cause(s, follow, at_exact)
    except SearchLimit:
        return "wrong", NOT_SEARCHED, ()
    if found is None:
        return "wrong", None, ()
    return "wrong", found[0], found[1]


def _exprs(s: Situation, r: Recompute) -> list:
    """The definitions recomputing ``s.key`` uses: its own and its region's."""
    out = list(s.program[s.key].defs)
    for top in s.program[s.key].defs:
        out += [r.definition(n) for n in r.region(top, s.key)]
    return out
