"""Display hooks: rich and Jupyter draw core objects with drawers that the render layer registers.

The core never imports rich, nor the render layer. A class whose objects
display subclasses :class:`Displayed`: its ``__rich__`` and ``_repr_latex_``
look up the drawers registered for the object's class (or for a base class)
with :func:`register`. The render layer registers its drawers when it is
imported; the package face names it with :func:`on_first_use`, so it is
imported (and rich loaded) only when something is first drawn.

Examples
--------
>>> class Note(Displayed):
...     pass
>>> register(Note, rich=lambda note: "a note", latex=lambda note: "$n$")
>>> Note().__rich__(), Note()._repr_latex_()
('a note', '$n$')
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Displayed", "drawer", "on_first_use", "register"]

KINDS = ("rich", "latex")
_DRAWERS: dict[type, dict[str, Callable]] = {}
_PENDING: list[Callable[[], object]] = []


def register(cls: type, *, rich: Callable | None = None, latex: Callable | None = None) -> None:
    """Draw objects of ``cls`` (and its subclasses) with ``rich(obj)`` and ``latex(obj)``."""
    drawers = _DRAWERS.setdefault(cls, {})
    for kind, draw in (("rich", rich), ("latex", latex)):
        if draw is not None:
            drawers[kind] = draw


def on_first_use(load: Callable[[], object]) -> None:
    """Call ``load`` (once) before the first lookup of a drawer: it imports what registers them."""
    _PENDING.append(load)


def _find(cls: type, kind: str) -> Callable | None:
    for klass in cls.__mro__:
        draw = _DRAWERS.get(klass, {}).get(kind)
        if draw is not None:
            return draw
    return None


def drawer(obj, kind: str) -> Callable:
    """The drawer of kind ``"rich"`` or ``"latex"`` registered for ``obj``'s class."""
    found = _find(type(obj), kind)
    while found is None and _PENDING:
        _PENDING.pop(0)()
        found = _find(type(obj), kind)
    if found is None:
        raise TypeError(f"no {kind} drawer is registered for {type(obj).__name__}; import symbrnn.render")
    return found


class Displayed:
    """Gives an object ``__rich__`` (terminal) and ``_repr_latex_`` (Jupyter), drawn by registered drawers."""

    def __rich__(self):
        """What rich prints for this object."""
        return drawer(self, "rich")(self)

    def _repr_latex_(self):
        """LaTeX for Jupyter."""
        return drawer(self, "latex")(self)
