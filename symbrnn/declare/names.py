"""The names a cell's quantities may take: identifiers that no time-indexed name can be mistaken for.

A quantity is named like a Python identifier. ``h_0`` names a state h's
initial value and ``h_3`` the quantity h at step 3, so a param may not be
called ``h_3`` when h is a per-step quantity, nor anything ``h_0`` when h is
a state.

Examples
--------
>>> from symbrnn import Cell
>>> cell = Cell("demo")
>>> h = cell.state("h")
>>> check_new_name(cell, "h_0", "param")
Traceback (most recent call last):
...
symbrnn.InvalidNameError: 'h_0' is the name of state 'h''s initial value (wrt='h_0'); rename one of them
"""

from __future__ import annotations

import keyword
import re

from ..core import errors
from ..core.kinds import PARAM, STATE
from ..core.symbols import initial_name, split_step

__all__ = ["MAX_NAME_LENGTH", "check_name", "check_new_name"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

#: characters in a quantity's name
MAX_NAME_LENGTH = 64


def check_new_name(cell, name, kind: str | None = None, init=None) -> None:
    """Raise if ``name`` cannot name a new quantity of ``kind`` in ``cell`` (invalid, taken, or clashing).

    ``init`` is a new state's initial value: a state ``h1`` may start from a
    param named ``h1_0``, since both names then name the same value.
    """
    check_name(name)
    if name in cell:
        raise errors.DuplicateNameError(
            f"cell {cell.name!r} already has a {cell.kind(name)} named {name!r}; give each quantity its own name"
        )
    if kind is None:
        return
    own_init = getattr(init, "name", None) if kind == STATE else None
    own_init = own_init if own_init == initial_name(name) else None  # the param named h1_0 that h1 starts from
    _check_initial(cell, name, kind, own_init)
    _check_steps(cell, name, kind, own_init)


def check_name(name) -> None:
    """Raise :class:`~symbrnn.InvalidNameError` unless ``name`` is an identifier of at most
    :data:`MAX_NAME_LENGTH` characters (it is echoed cut short)."""
    if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
        raise errors.InvalidNameError(f"the name {name[:24]!r}... has {len(name):,} characters; a quantity's name"
                                      f" has at most {MAX_NAME_LENGTH}")
    if not isinstance(name, str) or not _NAME.fullmatch(name) or keyword.iskeyword(name):
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:60] + f"... ({len(repr(name)):,} characters)"
        raise errors.InvalidNameError(
            f"{shown} is not a valid quantity name; use letters, digits and _, starting with a letter"
        )


def _check_initial(cell, name: str, kind: str, own_init: str | None) -> None:
    """h_0 names state h's initial value (wrt="h_0"): no other quantity may take that name."""
    state = cell.initial_of(name)
    if state is None and kind == STATE and initial_name(name) in cell and own_init is None:
        state = name
    if state is not None:
        raise errors.InvalidNameError(
            f"'{initial_name(state)}' is the name of state {state!r}'s initial value"
            f" (wrt='{initial_name(state)}'); rename one of them"
        )


def _check_steps(cell, name: str, kind: str, own_init: str | None) -> None:
    """A param called h_3 would share its name with the per-step quantity h at step 3 (O(1) per name)."""
    if kind == PARAM:
        found = split_step(name)
        clash = (name, found[0], found[1]) if found and found[0] in cell and cell.kind(found[0]) != PARAM else None
    else:
        stepped = [p for p in cell.stepped_params(name) if p != own_init]
        parts = split_step(stepped[0]) if stepped else None
        clash = (stepped[0], name, parts[1]) if parts else None
    if clash:
        param_name, base, t = clash
        raise errors.InvalidNameError(f"param {param_name!r} would clash with {base!r} at step {t}; rename one of them")
