"""The update step of a worked solution written out: SGD and Adam (seed 003) as rows with every number.

The maths is :mod:`symbrnn.numeric.optimizers`'; :func:`explain` writes one
parameter's step as :class:`~symbrnn.render.doc.Row` equations, numbers
substituted, and :func:`describe` the rule in one line.

Examples
--------
>>> rows, new = explain(SGD(lr=0.1), "w", 0.5, -0.2, 4)
>>> [p.text for p in rows[0].parts], new
(['w', 'w - η·dL/dw', '0.5000 - 0.1·(-0.2000)', '0.5200'], 0.52)
>>> describe(Adam())
'Adam with α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-08, bias-corrected moments, θ ← θ - α·V̂/(√Ŝ + ε).'
"""

from __future__ import annotations

from ..numeric.optimizers import SGD, Adam, AdamState
from .doc import M, Row
from .text import number

__all__ = ["SGD", "Adam", "AdamState", "describe", "explain"]


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


def explain(optimizer, name: str, theta: float, grad: float, digits: int,
            state: AdamState | None = None) -> tuple[tuple[Row, ...], float]:
    """One parameter's update as rows (Adam: V, S, bias correction, update), and its new value."""
    if isinstance(optimizer, Adam):
        return _explain_adam(optimizer, name, theta, grad, digits, state)
    new = optimizer.step({name: theta}, {name: grad})[name]
    lr, t, g = f"{optimizer.lr:g}", _m(theta, digits), _p(_m(grad, digits))
    rule = M(f"{name} - η·dL/d{name}", rf"{name} - \eta \frac{{dL}}{{d{name}}}")
    nums = M(f"{t.text} - {lr}·{g.text}", rf"{t.latex} - {lr} \cdot {g.latex}")
    return (Row((M(name, name), rule, nums, _m(new, digits)), op="←"),), new


def describe(optimizer) -> str:
    """One line: the rule and its hyperparameters."""
    if not isinstance(optimizer, Adam):
        return f"SGD with learning rate η = {optimizer.lr:g}: θ ← θ - η·dL/dθ."
    where = "√(Ŝ + ε)" if optimizer.eps_inside_sqrt else "(√Ŝ + ε)"
    return (f"Adam with α = {optimizer.lr:g}, β1 = {optimizer.beta1:g}, β2 = {optimizer.beta2:g},"
            f" ε = {optimizer.eps:g}, bias-corrected moments, θ ← θ - α·V̂/{where}.")


def _explain_adam(adam: Adam, name: str, theta: float, grad: float, digits: int,
                  state: AdamState | None) -> tuple[tuple[Row, ...], float]:
    m = adam.moments(name, theta, grad, state)
    k, b1, b2, g = m.k, f"{adam.beta1:g}", f"{adam.beta2:g}", _p(_m(grad, digits))
    n = lambda x: _m(x, digits)  # noqa: E731
    q = lambda x: _p(_m(x, digits))  # noqa: E731

    def sym(letter: str, hat: bool = False) -> M:
        mark, macro = ("\u0302", r"\hat ") if hat else ("", "")
        return M(f"{letter}{mark}_{k}[{name}]", f"{macro}{letter}_{{{k}}}[{name}]")

    rows = [
        Row((sym("V"), M(f"{b1}·{q(m.V0).text} + (1 - {b1})·{g.text}",
                         rf"{b1} \cdot {q(m.V0).latex} + (1 - {b1}) \cdot {g.latex}"), n(m.V)), "first moment"),
        Row((sym("S"), M(f"{b2}·{q(m.S0).text} + (1 - {b2})·{g.text}²",
                         rf"{b2} \cdot {q(m.S0).latex} + (1 - {b2}) \cdot {g.latex}^{{2}}"), n(m.S)), "second moment"),
        Row((sym("V", True), M(f"{q(m.V).text}/(1 - {b1}^{k})", rf"\frac{{{n(m.V).latex}}}{{1 - {b1}^{{{k}}}}}"),
             n(m.V_hat)), "bias correction"),
        Row((sym("S", True), M(f"{q(m.S).text}/(1 - {b2}^{k})", rf"\frac{{{n(m.S).latex}}}{{1 - {b2}^{{{k}}}}}"),
             n(m.S_hat)), "bias correction"),
    ]
    rows.append(_adam_update_row(adam, name, theta, m, sym, n, q))
    return tuple(rows), m.new


def _adam_update_row(adam: Adam, name: str, theta: float, m, sym, n, q) -> Row:
    eps, lr, vh, sh = _g(adam.eps), f"{adam.lr:g}", sym("V", True), sym("S", True)
    if adam.eps_inside_sqrt:
        rule = M(f"{name} - α·{vh.text}/√({sh.text} + ε)",
                 rf"{name} - \alpha \frac{{{vh.latex}}}{{\sqrt{{{sh.latex} + \varepsilon}}}}")
        nums = M(f"{n(theta).text} - {lr}·{q(m.V_hat).text}/√({n(m.S_hat).text} + {eps.text})",
                 rf"{n(theta).latex} - {lr} \cdot \frac{{{n(m.V_hat).latex}}}"
                 rf"{{\sqrt{{{n(m.S_hat).latex} + {eps.latex}}}}}")
    else:
        rule = M(f"{name} - α·{vh.text}/(√{sh.text} + ε)",
                 rf"{name} - \alpha \frac{{{vh.latex}}}{{\sqrt{{{sh.latex}}} + \varepsilon}}")
        nums = M(f"{n(theta).text} - {lr}·{q(m.V_hat).text}/(√{n(m.S_hat).text} + {eps.text})",
                 rf"{n(theta).latex} - {lr} \cdot \frac{{{n(m.V_hat).latex}}}"
                 rf"{{\sqrt{{{n(m.S_hat).latex}}} + {eps.latex}}}")
    return Row((M(name, name), rule, nums, n(m.new)), "update", op="←")
