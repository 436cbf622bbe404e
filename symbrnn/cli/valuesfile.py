"""``symbrnn values``: a values file with every name a cell needs, as TOML (each entry commented) or JSON.

The numbers are those of :func:`symbrnn.declare.template.values_template`:
placeholders (params 0.1, inputs 1.0, targets 0.0, a distribution target
one-hot on its first class), or with ``--random`` a draw from
``numpy.random.default_rng(--seed)``. The file is what ``--values`` reads, so
``symbrnn values CELL | symbrnn eval CELL --values -`` runs as it is.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.declare.template import values_template
>>> print(values_text(values_template(elman(), 2), "toml"), end="")  # doctest: +ELLIPSIS
# values of cell 'elman' for T = 2 steps: placeholders (params 0.1, inputs 1.0, targets 0.0); edit them
<BLANKLINE>
# param, a number
w = 0.1
...
# target, one number per step (2 steps)
y = [0.0, 0.0]
>>> print(values_text(values_template(elman(), 2), "json"), end="")  # doctest: +ELLIPSIS
{
 "w": 0.1,
...
 "y": [0.0, 0.0]
}
"""

from __future__ import annotations

import json

from ..core import errors
from ..declare.spec import MAX_FILE_BYTES
from ..declare.template import DIGITS, ValuesTemplate, values_template
from .inputs import cell_from

__all__ = ["FORMATS", "cmd_values", "values_text"]

FORMATS = ("toml", "json")


def _inline(value) -> str:
    """A number or nested list on one line; JSON's text is also TOML's (floats as Python writes them)."""
    return json.dumps(value, allow_nan=False)


def _toml_value(value, per_step: bool) -> str:
    """A value in TOML: a number or vector on one line; else one line per row (per-step data: per step)."""
    if not isinstance(value, list) or not any(isinstance(v, list) for v in value):
        return _inline(value)
    rows = [f"  {_inline(row)}," + (f"  # t = {t}" if per_step else "") for t, row in enumerate(value, 1)]
    return "[\n" + "\n".join(rows) + "\n]"


def _header(t: ValuesTemplate) -> str:
    if t.seed is None:
        how = "placeholders (params 0.1, inputs 1.0, targets 0.0); edit them"
    else:
        how = f"drawn by numpy.random.default_rng({t.seed}), rounded to {DIGITS} decimals"
    return f"# values of cell {t.cell!r} for T = {t.T} steps: {how}\n"


def values_text(template: ValuesTemplate, fmt: str = "toml") -> str:
    """A values file's text: TOML with a comment above each entry saying what it is, or JSON."""
    if fmt == "json":
        lines = [f" {json.dumps(e.name)}: {_inline(e.value)}" for e in template.entries]
        return "{\n" + ",\n".join(lines) + ("\n" if lines else "") + "}\n"
    parts = [_header(template)]
    for e in template.entries:
        parts.append(f"\n# {e.description}\n{e.name} = {_toml_value(e.value, e.steps is not None)}\n")
    return "".join(parts)


def cmd_values(args, out) -> int:
    """Write the values file of ``args.cell`` (placeholders, or ``--random`` with ``--seed``)."""
    if args.seed is not None and not args.random:
        raise errors.SpecError("--seed N is the seed of --random: give --random too")
    cell = cell_from(args.cell, args)
    fmt = args.format or ("json" if (args.output or "").lower().endswith(".json") else "toml")
    seed = (args.seed or 0) if args.random else None
    text = values_text(values_template(cell, args.steps, seed=seed), fmt)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise errors.SpecError(f"the values file would be {size:,} bytes, and --values reads at most"
                               f" {MAX_FILE_BYTES:,}: use fewer --steps")
    out.write(text)
    return 0
