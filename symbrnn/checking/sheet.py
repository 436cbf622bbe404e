"""Answer sheets: a flat TOML table or JSON object from quantity names to the numbers written, as text.

Values are kept as strings, so that the written precision is known
(``"0.716"`` has 3 decimals). A TOML number (``h_2 = 0.716``) is read back by
its shortest decimal form, which loses trailing zeros: quote numbers to keep
them. JSON numbers keep their text. An empty string is a number not written.
Nothing in a sheet is evaluated.

Examples
--------
>>> read_sheet('h_2 = "0.716"\\n"dL/dU" = "-0.077"\\nL = 0.0466\\n', "a.toml")
{'h_2': '0.716', 'dL/dU': '-0.077', 'L': '0.0466'}
>>> read_sheet('{"h_2": 0.7170, "L_3": "3.2e-2"}', "a.json")
{'h_2': '0.7170', 'L_3': '3.2e-2'}
"""

from __future__ import annotations

import json
from pathlib import Path

import tomllib

from ..core import errors
from ..declare.spec import read_text

__all__ = ["load_sheet", "read_sheet", "template"]

#: the most entries a sheet may have (a hand derivation has a few hundred at most)
MAX_ENTRIES = 100_000


def _json(text: str, source: str) -> object:
    try:
        return json.loads(text, parse_float=str, parse_int=str, parse_constant=str)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise errors.SpecError(f"{source}: not valid JSON: {exc}") from None


def _toml(text: str, source: str) -> object:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        raise errors.SpecError(f"{source}: not valid TOML: {exc}") from None


def _entry(key: str, value, source: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise errors.SpecError(f"{source}: {key!r}: an answer is a number written as text, e.g. {key!r} = \"0.716\"")
    return value if isinstance(value, str) else repr(value)


def read_sheet(text: str, source: str = "<answers>") -> dict[str, str]:
    """The entries of an answer sheet's text, in its order: JSON if ``source`` ends in .json or the text
    starts with ``{``, else TOML; empty entries left out."""
    text = str(text).removeprefix("\ufeff")
    if source.endswith(".json") or (not source.endswith(".toml") and text.lstrip().startswith("{")):
        data = _json(text, source)
    else:
        data = _toml(text, source)
    if not isinstance(data, dict):
        raise errors.SpecError(f"{source}: an answer sheet is a table of names and numbers, e.g. h_2 = \"0.716\"")
    if len(data) > MAX_ENTRIES:
        raise errors.SpecError(f"{source}: {len(data)} entries; an answer sheet has at most {MAX_ENTRIES}")
    out = {}
    for key, value in data.items():
        entry = _entry(key, value, source)
        if entry.strip():
            out[key] = entry
    return out


def load_sheet(path: str | Path) -> dict[str, str]:
    """Read an answer sheet file (TOML or JSON)."""
    return read_sheet(read_text(path, "answers"), str(path))


_GROUPS = (("forward values", ("initial", "state", "node", "loss", "total_loss")),
           ("terms", ("explicit", "partial", "implicit", "chain", "total", "delta", "contribution", "result")),
           ("updated params", ("update",)))


_LEFT_OUT = {"contribution": "the shares of each step (dL/dW[t][i,j])", "update": "the updated params (W_new[i,j])",
             "explicit": "the forward-mode terms (∂h_t/∂θ, dh_t/dθ)"}


def template(program, *, answers: dict[str, str] | None = None, leave_out: tuple[str, ...] = ()) -> str:
    """A TOML answer sheet with every key of ``program`` but the data (the given ``answers`` filled in, the rest
    empty), but for the keys of the kinds ``leave_out`` (``"contribution"``, ``"update"``: for a large cell), which
    a comment names.

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> from symbrnn.checking.program import build_program
    >>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8], "y": [.5, .6]}
    >>> print(template(build_program(elman(), 2, values)).splitlines()[2:5])
    ['# forward values', '"h_0" = ""', '"a_1" = ""']
    """
    answers = answers or {}
    cell = program.cell.origin or program.cell
    lines = [f"# answer sheet of cell {cell.name!r}, T = {program.T}: write each number as text, e.g. \"0.716\";",
             "# leave out (or leave empty) what you did not compute"]
    if leave_out:
        lines.append("# left out, as the cell is large (each is checkable all the same): "
                     + "; ".join(_LEFT_OUT[k] for k in leave_out))
    for title, kinds in _GROUPS:
        keys = [k for k in program.keys() if program[k].kind in kinds and program[k].kind not in leave_out]
        if keys:
            lines.append(f"# {title}")
            lines += [f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(answers.get(k, ''))}" for k in keys]
    return "\n".join(lines) + "\n"
