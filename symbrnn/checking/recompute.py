"""Follow-through: recompute a quantity from a student's own earlier numbers.

:class:`Recompute` puts the numbers given for some quantities (``fixed``:
the ones the student wrote) in place of the exact ones and recomputes any
quantity from its definition, computing on the way every quantity it reads
that the student did not write (its *region*). A rule of
:mod:`symbrnn.checking.slips` recomputes the wrong way by rewriting the
definitions of the region, or by adjusting the numbers read.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.checking.program import build_program
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> p = build_program(elman(), 3, values)
>>> r = Recompute(p, {"h_1": 0.6})        # the student wrote h_1 = 0.6
>>> round(r.value("h_2"), 6), r.region(p["h_2"].defs[0], "h_2"), r.frontier("h_2")
(0.716298, ['a_2'], ['h_1'])
"""

from __future__ import annotations

from collections.abc import Callable

from .numeric import evaluate
from .program import Program

__all__ = ["Budget", "Recompute", "SearchLimit", "minimal_uses"]

Rewrite = Callable[[str, object], object]
Adjust = Callable[[str, float], float]


class SearchLimit(Exception):
    """The search for a slip evaluated more definitions than its :class:`Budget` allows."""


class Budget:
    """How many definitions the search for one verdict may evaluate (it counts, so the verdict is the same on
    every machine); a large cell's search stops there rather than run for minutes.

    Examples
    --------
    >>> b = Budget(10)
    >>> b.spend(8); b.left
    2
    >>> b.spend(3)
    Traceback (most recent call last):
    ...
    symbrnn.checking.recompute.SearchLimit: more than 10 definitions evaluated
    """

    def __init__(self, limit: int):
        self.limit, self.left = limit, limit

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise SearchLimit(f"more than {self.limit} definitions evaluated")


class Recompute:
    """Recompute quantities of ``program`` with the numbers ``fixed`` put in for the quantities they name.

    ``budget`` (a :class:`Budget`) counts the definitions evaluated; without one there is no limit.
    """

    def __init__(self, program: Program, fixed: dict[str, float], budget: Budget | None = None):
        self.program, self.fixed, self.budget = program, fixed, budget
        self.choice: dict[str, object] = {}
        self._regions: dict[tuple, list[str]] = {}

    def definition(self, key: str):
        """The definition an unwritten quantity is computed by: the one that reads the most written numbers."""
        if key not in self.choice:
            defs = self.program[key].defs
            self.choice[key] = max(defs, key=lambda e: sum(r in self.fixed for r in self.program.reads(e)))
        return self.choice[key]

    def _open(self, name: str, key: str) -> bool:
        """Whether ``name`` is computed on the way (not written, not data, not a param, not the key)."""
        q = self.program.quantities.get(name)
        return q is not None and bool(q.defs) and name not in self.fixed and name != key

    def region(self, top, key: str) -> list[str]:
        """The unwritten quantities computed on the way to ``top`` (``key``'s definition), in order."""
        if (top, key) not in self._regions:
            self._regions[top, key] = self._region(top, key)
        return self._regions[top, key]

    def _region(self, top, key: str) -> list[str]:
        seen: set[str] = set()
        todo = [r for r in self.program.reads(top) if self._open(r, key)]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo += [r for r in self.program.reads(self.definition(name)) if self._open(r, key) and r not in seen]
        return sorted(seen, key=self.program.index.__getitem__)

    def frontier(self, key: str, top=None) -> list[str]:
        """The written quantities ``key`` is recomputed from (through its unwritten region)."""
        top = self.program[key].defs[0] if top is None else top
        reads = set(self.program.reads(top))
        for name in self.region(top, key):
            reads.update(self.program.reads(self.definition(name)))
        found = [r for r in reads if r in self.fixed and r != key]
        return sorted(found, key=self.program.index.__getitem__)

    def value(self, key: str, top=None, *, rewrite: Rewrite | None = None, adjust: Adjust | None = None) -> float:
        """``key`` recomputed from its definition ``top`` (its first by default).

        ``rewrite(name, expr)`` changes every definition used (``key``'s and its
        region's); ``adjust(name, value)`` changes every number read.
        """
        top = self.program[key].defs[0] if top is None else top
        if rewrite is not None:
            top = rewrite(key, top)
        env: dict[str, float] = {}
        leaves = self.program.leaves

        def lookup(name: str) -> float:
            v = env[name] if name in env else self.fixed[name] if name in self.fixed and name != key else leaves[name]
            return adjust(name, v) if adjust is not None else v

        region = self.region(top, key)
        if self.budget is not None:
            self.budget.spend(len(region) + 1)
        for name in region:
            e = self.definition(name)
            env[name] = evaluate(rewrite(name, e) if rewrite is not None else e, lookup)
        return evaluate(top, lookup)


def minimal_uses(candidates: list[str], fixed: dict[str, float], exact: dict[str, float],
                 holds: Callable[[dict[str, float]], bool]) -> tuple[str, ...]:
    """The written numbers (of ``candidates``, which differ from the exact ones) that ``holds`` needs.

    Each candidate in turn is put back to its exact value; it is kept only if
    ``holds`` then fails.
    """
    current = dict(fixed)
    kept = []
    for name in candidates:
        trial = {**current, name: exact[name]}
        if holds(trial):
            current = trial
        else:
            kept.append(name)
    return tuple(kept)
