"""The generic-T form printed: dL/dθ for any number of steps T, with Σ and Π over indexed step quantities.

The form itself is :class:`symbrnn.derive.generic.GenericDerivative`;
:class:`GenericForm` adds how its indexed quantities print (∂L_t/∂h_t,
∂h_j/∂h_{j-1}, ...) as text and LaTeX.

Examples
--------
>>> from symbrnn.cells import elman
>>> print(GenericForm(elman(), "U"))
dL/dU = Σ_{t=1..T} ∂L_t/∂h_t·Σ_{k=1..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂U
>>> print(GenericForm(elman(), "h_0", mode="reverse"))
dL/dh_0 = Σ_{t=1..T} ∂L_t/∂h_t·(Π_{j=1..t} ∂h_j/∂h_{j-1})
"""

from __future__ import annotations

import sympy as sp

from ..derive.generic import GenericDerivative
from .text import frac_latex, frac_text, latex, sub_latex, sub_text, text

__all__ = ["GenericForm"]


class GenericForm(GenericDerivative):
    """:class:`~symbrnn.derive.generic.GenericDerivative` with its printing: ``str()``, :meth:`text`, :meth:`latex`."""

    def __str__(self) -> str:
        cut = "" if self.truncate is None else f"   (τ = {self.truncate})"
        return f"dL/d{self.wrt} = {self.text()}{cut}"

    # ------------------------------------------------------------------- printing
    @property
    def legend(self) -> tuple[tuple[str, str], ...]:
        """What the vector symbols stand for (empty for a cell with one state)."""
        if not self.vector:
            return ()
        return ((f"{self.s}_t", "(" + ", ".join(f"{s}_t" for s in self.states) + ")"),)

    def notation(self) -> dict:
        """How the indexed quantities print, for :func:`~symbrnn.render.text.text` and ``latex``."""
        s, L = self.s, self.loss
        th_text = self.wrt.name
        th_latex = sp.latex(self.wrt)
        s_latex = sp.latex(sp.Symbol(s))
        L_latex = sp.latex(sp.Symbol(L))

        def at(i, lag=0):
            return i - lag

        return {
            "D": (lambda i: frac_text("d", f"{s}_{sub_text(i)}", th_text),
                  lambda i: frac_latex("d", f"{s_latex}_{sub_latex(i)}", th_latex), 3),
            "X": (lambda i: frac_text("∂", f"{L}_{sub_text(i)}", th_text),
                  lambda i: frac_latex("∂", f"{L_latex}_{sub_latex(i)}", th_latex), 1),
            "G0": (lambda i: frac_text("∂", f"{L}_{sub_text(i)}", f"{s}_{sub_text(i)}"),
                   lambda i: frac_latex("∂", f"{L_latex}_{sub_latex(i)}", f"{s_latex}_{sub_latex(i)}"), 1),
            "G1": (lambda i: frac_text("∂", f"{L}_{sub_text(i)}", f"{s}_{sub_text(at(i, 1))}"),
                   lambda i: frac_latex("∂", f"{L_latex}_{sub_latex(i)}", f"{s_latex}_{sub_latex(at(i, 1))}"), 1),
            "J": (lambda i: frac_text("∂", f"{s}_{sub_text(i)}", f"{s}_{sub_text(at(i, 1))}"),
                  lambda i: frac_latex("∂", f"{s_latex}_{sub_latex(i)}", f"{s_latex}_{sub_latex(at(i, 1))}"), 3),
            "E": (lambda i: frac_text("∂", f"{s}_{sub_text(i)}", th_text),
                  lambda i: frac_latex("∂", f"{s_latex}_{sub_latex(i)}", th_latex), 3),
        }

    def text(self) -> str:
        """The right-hand side as one line of text."""
        return text(self.expr, notation=self.notation())

    def latex(self) -> str:
        """The right-hand side as LaTeX."""
        return latex(self.expr, notation=self.notation())

    def lhs_latex(self) -> str:
        """The left-hand side dL/dθ as LaTeX."""
        return frac_latex("d", sp.latex(sp.Symbol(self.loss)), sp.latex(self.wrt))
