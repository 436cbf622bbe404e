"""The update step of a worked solution: SGD, and Adam with bias correction (seed 003).

Each optimizer computes the new parameters and explains the step as
:class:`~symbrnn.render.doc.Row` equations with every number substituted.

Adam (Kingma and Ba), for each parameter θ with gradient g at step k::

    V_k = β1·V_{k-1} + (1 - β1)·g          S_k = β2·S_{k-1} + (1 - β2)·g²
    V̂_k = V_k / (1 - β1^k)                 Ŝ_k = S_k / (1 - β2^k)
    θ ← θ - α·V̂_k / (√Ŝ_k + ε)

Seed 003 writes the last line with ε under the root, α·V̂/√(Ŝ + ε); pass
``eps_inside_sqrt=True`` for that variant.

Examples
--------
>>> SGD(lr=0.1).step({"w": 0.5}, {"w": -0.2})
{'w': 0.52}
>>> new, state = Adam(lr=0.01).step({"w": 0.5}, {"w": -0.2})
>>> round(new["w"], 10), state.k, round(state.V["w"], 10), round(state.S["w"], 10)
(0.51, 1, -0.02, 4e-05)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .doc import M, Row
from .text import number

__all__ = ["SGD", "Adam", "AdamState"]


def _m(x: float, digits: int) -> M:
    """A number; very small ones in scientific notation so they do not print as 0."""
    if x != 0 and abs(x) < 10 ** (1 - digits):
        mantissa, exponent = f"{x:.{digits}e}".split("e")
        e = int(exponent)
        return M(f"{mantissa}e{e}", f"{mantissa} \\times 10^{{{e}}}")
    s = number(x, digits)
    return M(s, s)


def _g(x: float) -> M:
    """A hyperparameter as written: 0.9, 1e-08 (LaTeX: 10^{-8})."""
    text = f"{x:g}"
    if "e" not in text:
        return M(text, text)
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return M(text, power if mantissa == "1" else f"{mantissa} \\times {power}")


def _p(m: M) -> M:
    """In parentheses when negative or scientific."""
    if m.text.startswith("-") or "e" in m.text:
        return M(f"({m.text})", f"\\left({m.latex}\\right)")
    return m


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: θ ← θ - η·dL/dθ.

    Parameters
    ----------
    lr : float
        The learning rate η.
    """

    lr: float = 0.1

    def step(self, params: dict, grads: dict) -> dict:
        """The new parameters."""
        return {k: params[k] - self.lr * grads[k] for k in params}

    def explain(self, name: str, theta: float, grad: float, digits: int) -> tuple[tuple[Row, ...], float]:
        """The update of one parameter as a row, and its new value."""
        new = theta - self.lr * grad
        lr, t, g = f"{self.lr:g}", _m(theta, digits), _p(_m(grad, digits))
        rule = M(f"{name} - η·dL/d{name}", rf"{name} - \eta \frac{{dL}}{{d{name}}}")
        nums = M(f"{t.text} - {lr}·{g.text}", rf"{t.latex} - {lr} \cdot {g.latex}")
        rows = (Row((M(name, name), rule, nums, _m(new, digits)), op="←"),)
        return rows, new

    def describe(self) -> str:
        """One line: the rule and its hyperparameters."""
        return f"SGD with learning rate η = {self.lr:g}: θ ← θ - η·dL/dθ."


@dataclass
class AdamState:
    """Adam's running moments per parameter (V: first, S: second) after ``k`` steps."""

    k: int = 0
    V: dict = field(default_factory=dict)
    S: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction.

    Parameters
    ----------
    lr : float
        The step size α.
    beta1, beta2 : float
        Decay rates of the first (V) and second (S) moments.
    eps : float
    eps_inside_sqrt : bool
        Use α·V̂/√(Ŝ + ε) (seed 003) instead of α·V̂/(√Ŝ + ε).
    """

    lr: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    eps_inside_sqrt: bool = False

    def _one(self, theta, g, k, V0, S0):
        V = self.beta1 * V0 + (1 - self.beta1) * g
        S = self.beta2 * S0 + (1 - self.beta2) * g * g
        Vh, Sh = V / (1 - self.beta1 ** k), S / (1 - self.beta2 ** k)
        denom = math.sqrt(Sh + self.eps) if self.eps_inside_sqrt else math.sqrt(Sh) + self.eps
        return V, S, Vh, Sh, theta - self.lr * Vh / denom

    def step(self, params: dict, grads: dict, state: AdamState | None = None) -> tuple[dict, AdamState]:
        """The new parameters and moments after one step from ``state`` (zero moments by default)."""
        state = state or AdamState()
        k, new, out = state.k + 1, {}, AdamState(state.k + 1)
        for name in params:
            V, S, _, _, new[name] = self._one(params[name], grads[name], k, state.V.get(name, 0.0),
                                              state.S.get(name, 0.0))
            out.V[name], out.S[name] = V, S
        return new, out

    def explain(self, name: str, theta: float, grad: float, digits: int,
                state: AdamState | None = None) -> tuple[tuple[Row, ...], float]:
        """Adam's step for one parameter as rows (V, S, bias correction, update), and its new value."""
        state = state or AdamState()
        k = state.k + 1
        V0, S0 = state.V.get(name, 0.0), state.S.get(name, 0.0)
        V, S, Vh, Sh, new = self._one(theta, grad, k, V0, S0)
        b1, b2, g = f"{self.beta1:g}", f"{self.beta2:g}", _p(_m(grad, digits))
        n = lambda x: _m(x, digits)  # noqa: E731
        q = lambda x: _p(_m(x, digits))  # noqa: E731

        def sym(letter: str, hat: bool = False) -> M:
            mark, macro = ("\u0302", r"\hat ") if hat else ("", "")
            return M(f"{letter}{mark}_{k}[{name}]", f"{macro}{letter}_{{{k}}}[{name}]")

        rows = [
            Row((sym("V"), M(f"{b1}·{q(V0).text} + (1 - {b1})·{g.text}",
                             rf"{b1} \cdot {q(V0).latex} + (1 - {b1}) \cdot {g.latex}"), n(V)), "first moment"),
            Row((sym("S"), M(f"{b2}·{q(S0).text} + (1 - {b2})·{g.text}²",
                             rf"{b2} \cdot {q(S0).latex} + (1 - {b2}) \cdot {g.latex}^{{2}}"), n(S)), "second moment"),
            Row((sym("V", True), M(f"{q(V).text}/(1 - {b1}^{k})", rf"\frac{{{n(V).latex}}}{{1 - {b1}^{{{k}}}}}"),
                 n(Vh)), "bias correction"),
            Row((sym("S", True), M(f"{q(S).text}/(1 - {b2}^{k})", rf"\frac{{{n(S).latex}}}{{1 - {b2}^{{{k}}}}}"),
                 n(Sh)), "bias correction"),
        ]
        eps, lr, vh, sh = _g(self.eps), f"{self.lr:g}", sym("V", True), sym("S", True)
        if self.eps_inside_sqrt:
            rule = M(f"{name} - α·{vh.text}/√({sh.text} + ε)",
                     rf"{name} - \alpha \frac{{{vh.latex}}}{{\sqrt{{{sh.latex} + \varepsilon}}}}")
            nums = M(f"{n(theta).text} - {lr}·{q(Vh).text}/√({n(Sh).text} + {eps.text})",
                     rf"{n(theta).latex} - {lr} \cdot \frac{{{n(Vh).latex}}}{{\sqrt{{{n(Sh).latex} + {eps.latex}}}}}")
        else:
            rule = M(f"{name} - α·{vh.text}/(√{sh.text} + ε)",
                     rf"{name} - \alpha \frac{{{vh.latex}}}{{\sqrt{{{sh.latex}}} + \varepsilon}}")
            nums = M(f"{n(theta).text} - {lr}·{q(Vh).text}/(√{n(Sh).text} + {eps.text})",
                     rf"{n(theta).latex} - {lr} \cdot \frac{{{n(Vh).latex}}}{{\sqrt{{{n(Sh).latex}}} + {eps.latex}}}")
        rows.append(Row((M(name, name), rule, nums, n(new)), "update", op="←"))
        return tuple(rows), new

    def describe(self) -> str:
        """One line: the rule and its hyperparameters."""
        where = "√(Ŝ + ε)" if self.eps_inside_sqrt else "(√Ŝ + ε)"
        return (f"Adam with α = {self.lr:g}, β1 = {self.beta1:g}, β2 = {self.beta2:g}, ε = {self.eps:g},"
                f" bias-corrected moments, θ ← θ - α·V̂/{where}.")
