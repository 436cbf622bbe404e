"""An :class:`~symbrnn.checking.exercise.Exercise` as a problem sheet: the cell, the values, what to compute.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.checking.exercise import exercise
>>> from symbrnn.render.doc import to_text
>>> print("\\n".join(to_text(exercise_doc(exercise(elman(), 2, seed=0, digits=3)), width=72).splitlines()[:3]))
───────────── Exercise: BPTT by hand, cell 'elman', T = 2 ──────────────
The cell (one step t)
  inputs: x; targets: y; params: w, U, V, b, c; states: h (h_0 = 0)
"""

from __future__ import annotations

import numpy as np

from ..checking.exercise import Exercise
from ..core.kinds import INPUT, PARAM
from .cellview import cell_equations, cell_quantities
from .doc import Doc, Paragraph, Section, Table

__all__ = ["exercise_doc", "values_table"]


def _number(v) -> str:
    return f"{float(v):g}"


def _components(name: str, value) -> list[tuple[str, str]]:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return [(name, _number(arr))]
    return [(f"{name}[{','.join(map(str, i))}]", _number(arr[i])) for i in np.ndindex(*arr.shape)]


def values_table(ex: Exercise) -> Table:
    """The params, then the data step by step (``x_1``, ``x[0]_2``), a row per number."""
    cell = ex.cell.origin or ex.cell
    rows = []
    for name, value in ex.values.items():
        if cell.kind(name) == PARAM:
            rows += [(n, v, "param") for n, v in _components(name, value)]
        else:
            what = "input" if cell.kind(name) == INPUT else "target"
            for t, step in enumerate(value, 1):
                rows += [(f"{n}_{t}", v, what) for n, v in _components(name, step)]  # x[0]_2
    return Table(("quantity", "value", "kind"), tuple(rows), align="lrl")


def _asked(ex: Exercise) -> list[Section]:
    sections = []
    for title, keys in ex.groups:
        if not keys:
            continue
        note = {"update": f"one SGD step, η = {ex.lr:g}: θ_new = θ − η·dL/dθ",
                "backward pass": "the deltas δq_t = dL/dq_t, from the last step back",
                "gradients": "dL/dθ, summed over the steps"}.get(title)
        blocks = (Paragraph.of(note),) if note else ()
        sections.append(Section(f"Compute: the {title}", blocks + (Table(("quantity", "your answer"),
                                                                          tuple((k, "") for k in keys), align="ll"),)))
    return sections


def exercise_doc(ex: Exercise) -> Doc:
    """The problem sheet: the cell's equations, the values, and the quantities to compute, by group."""
    cell = ex.cell.origin or ex.cell
    how = Paragraph.of(f"Work the cell by hand over T = {ex.T} steps from the values below and give each number"
                       f" to {ex.digits} decimals. The loss is L = Σ_t L_t. Exercise seed {ex.seed}: the same seed"
                       " gives the same sheet.")
    quantities = Paragraph.of("; ".join(str(cell_quantities(cell).parts[0]).split("\n")))
    return Doc(f"Exercise: BPTT by hand, cell {cell.name!r}, T = {ex.T}",
               (Section("The cell (one step t)", (quantities, cell_equations(cell))),
                Section("Values", (how, values_table(ex))), *_asked(ex)))
