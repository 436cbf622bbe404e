"""Display hooks: rich and Jupyter draw core objects through :mod:`symbrnn.render`.

The render layer is imported only when something is displayed, so the core
never imports rich itself.
"""

from __future__ import annotations

__all__ = ["Displayed"]


class Displayed:
    """Gives a core object ``__rich__`` (terminal) and ``_repr_latex_`` (Jupyter)."""

    def __rich__(self):
        """What rich prints for this object (drawn by symbrnn.render)."""
        from ..render import renderable

        return renderable(self)

    def _repr_latex_(self):
        """LaTeX for Jupyter (symbrnn.render.repr_latex)."""
        from ..render import repr_latex

        return repr_latex(self)
