"""check: mark a hand derivation's numbers right, carried (right from the student's own earlier numbers) or wrong.

- :func:`check` gives a :class:`Report` of :class:`Mark` objects;
- :mod:`.program`: every checkable quantity and the expression defining it in earlier ones;
- :mod:`.recompute`: follow-through, recomputing from the student's numbers;
- :mod:`.slips` and :mod:`.rewrites`: the hypotheses, rules that recompute a quantity the wrong way;
- :mod:`.written`, :mod:`.keys`, :mod:`.sheet`: written numbers, names, answer sheets;
- :mod:`.exercise`: hand-workable values, the quantities to compute and the answer key.

Layer: above analysis (it reads cells, derivations and numbers), below render (which draws a Report).

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> r = check(elman(), 3, values, {"h_1": "0.604", "d h_3 / d h_2": "-0.2581"})
>>> [(m.key, m.verdict, m.cause) for m in r]
[('h_1', 'right', None), ('∂h_3/∂h_2', 'wrong', 'the sign flipped')]
"""

from .exercise import Exercise, exercise
from .keys import nearest, resolve, spellings
from .program import Program, Quantity, build_program, update_key
from .report import VERDICTS, Mark, Report, check
from .sheet import load_sheet, read_sheet, template
from .slips import SLIPS, Slip, Variant
from .written import Written, agrees, read_number

__all__ = [
    "Exercise",
    "exercise",
    "SLIPS",
    "VERDICTS",
    "Mark",
    "Program",
    "Quantity",
    "Report",
    "Slip",
    "Variant",
    "Written",
    "agrees",
    "build_program",
    "check",
    "load_sheet",
    "nearest",
    "read_number",
    "read_sheet",
    "resolve",
    "spellings",
    "template",
    "update_key",
]
