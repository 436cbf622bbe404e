"""How a derivation gets its numbers: symbrnn.numeric installs its functions here when it is imported.

The derive layer never imports the numeric one; a derivation's ``value()``
and ``evaluate()`` call what this registry holds.

Examples
--------
>>> sorted(_NUMBERS)   # installed by symbrnn.numeric
['evaluate', 'matrix_evaluate', 'matrix_value', 'value']
"""

from __future__ import annotations

from ..core import errors

__all__ = ["compute_numbers_with", "numbers_for"]

_NUMBERS: dict = {}


def compute_numbers_with(**functions) -> None:
    """Install what derivations call for their numbers (``value``, ``evaluate``, ``matrix_value``, ...)."""
    _NUMBERS.update(functions)


def numbers_for(what: str):
    """The installed function ``what``."""
    if what not in _NUMBERS:  # pragma: no cover - importing symbrnn installs them
        raise errors.SymbrnnError("derivations compute numbers with symbrnn.numeric: import symbrnn first")
    return _NUMBERS[what]
