"""JSON values files parsed strictly: no NaN or Infinity, no giant integers, no key given twice.

Python's json accepts ``NaN``, integers of any length (slow to convert, and
beyond any float) and an object that repeats a key (keeping the last one,
silently). A values file is data a user wrote by hand, so each of these is a
mistake to name, with the line where the parser found it.

Examples
--------
>>> parse_json('{"w": 0.5, "x": [1, 2]}', "v.json")
{'w': 0.5, 'x': [1, 2]}
>>> try:
...     parse_json('{"w": 1, "w": 2}', "v.json")
... except errors.SpecError as err:
...     print(err)
v.json: 'w' is given twice; give each name once
"""

from __future__ import annotations

import json

from ..core import errors

__all__ = ["MAX_INT_DIGITS", "parse_json"]

#: digits of the longest integer a values file may write (1.8e308, the largest float, has 309)
MAX_INT_DIGITS = 400


def parse_json(text: str, source: str):
    """The JSON document ``text`` (from ``source``, named in errors), or a :class:`~symbrnn.SpecError`."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_int, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise errors.SpecError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise errors.SpecError(f"{source}: not valid JSON: it nests too deeply") from None
    except errors.SpecError as exc:
        raise errors.SpecError(f"{source}: {exc}") from None


def _reject_constant(name: str):
    raise errors.SpecError(f"{name} is not a number; give finite numbers")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise errors.SpecError(f"an integer of {len(text.lstrip('-')):,} digits; numbers are at most about 1.8e308")
    return int(text)


def _unique_keys(pairs: list) -> dict:
    """A JSON object, refusing a key given twice (json would keep the last one silently)."""
    seen = {}
    for key, value in pairs:
        if key in seen:
            shown = key if len(key) <= 40 else key[:24] + f"... ({len(key):,} characters)"
            raise errors.SpecError(f"{shown!r} is given twice; give each name once")
        seen[key] = value
    return seen
