"""check(cell, T, values, answers): every written number marked right, carried or wrong, with the likely cause.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> answers = {"h_1": "0.604", "h_2": "0.7174", "yhat_2": "0.45", "dh_2/dU": "0.2934", "L_3": "3.18e-2"}
>>> report = check(elman(), 3, values, answers)
>>> [(m.key, m.verdict) for m in report]       # in the order they are computed
[('h_1', 'right'), ('h_2', 'right'), ('yhat_2', 'right'), ('L_3', 'right'), ('dh_2/dU', 'right')]
>>> report = check(elman(), 3, values, {"h_1": "0.7", "yhat_1": "0.45"})
>>> [(m.key, m.verdict, m.cause, m.uses) for m in report]       # doctest: +NORMALIZE_WHITESPACE
[('h_1', 'wrong', 'the activation tanh omitted', ()),
 ('yhat_1', 'carried', None, ('h_1',))]
>>> report.ok, report.counts()
(False, {'right': 0, 'carried': 1, 'wrong': 1, 'unreadable': 0})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..core import errors
from ..core.display import Displayed
from ..declare.values import steps_of
from .diagnose import judge
from .keys import nearest, resolve, spellings
from .program import Program, build_program, forward_keys, params_of
from .written import read_number

__all__ = ["VERDICTS", "Mark", "Report", "check"]

VERDICTS = ("right", "carried", "wrong", "unreadable")
#: the longest name an answer sheet may use
MAX_NAME = 200


@dataclass(frozen=True)
class Mark:
    """The verdict on one written number.

    Attributes
    ----------
    key : str
        The quantity (its canonical name).
    written : str
        As written.
    exact : float
    verdict : {"right", "carried", "wrong", "unreadable"}
    cause : str or None
        For a wrong number, the likeliest slip (None when no rule explains it).
    uses : tuple of str
        The student's own numbers a carried (or explained wrong) number follows from.
    """

    key: str
    written: str
    exact: float
    verdict: str
    cause: str | None = None
    uses: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The mark as JSON: key, written, exact, verdict, cause, uses."""
        return {"key": self.key, "written": self.written, "exact": self.exact, "verdict": self.verdict,
                "cause": self.cause, "uses": list(self.uses)}


class Report(Displayed):
    """Every written number's :class:`Mark`, in the order the quantities are computed.

    Attributes
    ----------
    cell : Cell
    T : int
    marks : tuple of Mark
    program : Program
        Every checkable quantity and its exact value.
    """

    def __init__(self, cell, T: int, marks: tuple[Mark, ...], program: Program):
        self.cell, self.T, self.marks, self.program = cell, T, marks, program

    def __iter__(self):
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        return f"Report(cell={self.cell.name!r}, T={self.T}: {counts or 'nothing written'})"

    def __getitem__(self, key: str) -> Mark:
        for m in self.marks:
            if m.key == key:
                return m
        raise KeyError(key)

    @property
    def ok(self) -> bool:
        """Whether every number is right or carried."""
        return all(m.verdict in ("right", "carried") for m in self.marks)

    def counts(self) -> dict[str, int]:
        """How many numbers have each verdict."""
        return {v: sum(m.verdict == v for m in self.marks) for v in VERDICTS}

    def as_json(self) -> list[dict]:
        """Every mark as a dict (see :meth:`Mark.as_dict`)."""
        return [m.as_dict() for m in self.marks]


def _text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return str(value)
    return value if isinstance(value, str) else repr(value)


def _resolved(answers: Mapping, program: Program, source: str) -> dict[str, str]:
    valid = set(program.keys())
    out: dict[str, str] = {}
    spelled: dict[str, str] = {}
    unknown = []
    for raw, value in answers.items():
        if len(str(raw)) > MAX_NAME:
            raise errors.SpecError(f"{source}: a name of {len(str(raw))} characters; names are at most {MAX_NAME}")
        key = resolve(str(raw), valid)
        if key is None:
            unknown.append(str(raw))
        elif key in out:
            raise errors.SpecError(f"{source}: {spelled[key]!r} and {raw!r} both name {key!r}; give it once")
        else:
            out[key], spelled[key] = _text(value), str(raw)
    if unknown:
        raw = unknown[0]
        near = ", ".join(nearest(raw, program.keys()))
        more = f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""
        raise errors.SpecError(
            f"{source}: no quantity {raw!r} in cell {(program.cell.origin or program.cell).name!r} at T ="
            f" {program.T}{more}; nearest: {near} ('symbrnn check CELL --values V --template' lists every key)")
    return out


def check(cell, T: int | None, values, answers: Mapping, *, optimizer=None, source: str = "answers") -> Report:
    """Mark every number of a hand derivation: right, carried from the student's earlier numbers, or wrong.

    Parameters
    ----------
    cell : Cell
    T : int or None
        Steps (None: the length of the sequences in ``values``).
    values : mapping
        The params and data, as for :func:`symbrnn.gradients`.
    answers : mapping
        Quantity name -> the number written, as text (``"0.716"``); names as
        ``symbrnn eval --json`` prints them or a spelling of
        :mod:`symbrnn.checking.keys`; updated params as ``U_new``.
    optimizer : SGD or Adam, optional
        The update the ``*_new`` numbers were made with (default SGD, η = 0.1).
    source : str
        What the answers are called in error messages (a file name).

    Returns
    -------
    Report

    Raises
    ------
    SpecError
        A name that is no quantity of the cell (the message lists the nearest ones).
    ValuesError, StepsError
        Unusable values or steps.
    """
    T = steps_of(cell, values, T)
    names = [s for raw in answers for s in spellings(str(raw))]
    wrts, shared = params_of(cell, names), forward_keys(names)  # a forward-mode term of no param (∂h_3/∂h_2):
    forward = [p for p in params_of(cell, shared) if p in wrts] or wrts[:1] * bool(shared)  # any param's has it
    program = build_program(cell, T, values, wrts=wrts, forward=forward, optimizer=optimizer)
    texts = _resolved(answers, program, source)
    written = {k: read_number(v) for k, v in texts.items()}
    sheet = {k: w.value for k, w in written.items() if w.readable}
    marks = []
    for key in program.keys():
        if key in written:
            verdict, cause, uses = judge(program, key, written[key], sheet)
            marks.append(Mark(key, texts[key], program.exact[key], verdict, cause, uses))
    return Report(cell, T, tuple(marks), program)
