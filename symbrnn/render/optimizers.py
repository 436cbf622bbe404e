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

Clipping by norm first (:func:`symbrnn.numeric.optimizers.clip_by_norm`), its
rows, then the step with the clipped gradient g̃:

>>> from symbrnn.numeric.optimizers import clip_by_norm
>>> c = clip_by_norm({"w": 3.0, "u": 4.0}, 1.0)
>>> for row in clipping_rows(c, 4):
...     print(" = ".join(p.text for p in row.parts))
‖g‖ = √(dL/dw² + dL/du²) = √(3.0000² + 4.0000²) = 5.0000
s = min(1, κ/(‖g‖ + 10⁻⁶)) = min(1, 1/(5.0000 + 10⁻⁶)) = 0.2000
g̃_w = s·dL/dw = 0.2000·3.0000 = 0.6000
g̃_u = s·dL/du = 0.2000·4.0000 = 0.8000
>>> rows, new = explain(SGD(lr=0.1, clip=1.0), "w", 0.5, c.grads["w"], 4)
>>> [p.text for p in rows[0].parts]
['w', 'w - η·g̃_w', '0.5000 - 0.1·0.6000', '0.4400']

Several steps as one table (:func:`symbrnn.numeric.solution.train` takes them):

>>> from symbrnn.cells import elman
>>> from symbrnn.numeric.solution import train
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> table = updates_table(train(elman(), 3, values, wrt=["U"], optimizer=Adam(lr=0.1), updates=2), 4)
>>> [c if isinstance(c, str) else c.text for c in table.columns]
['k', 'θ', 'L', 'dL/dθ', 'V', 'S', 'θ after']
>>> [[c if isinstance(c, str) else c.text for c in row] for row in table.rows][0]
['1', 'U', '0.0466', '-0.0770', '-0.0077', '5.9245e-6', '0.6000']
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..numeric.optimizers import SGD, Adam, AdamState, Clipping
from .doc import M, Row, Table
from .text import number

__all__ = ["SGD", "Adam", "AdamState", "clipping_rows", "describe", "explain", "updates_table"]


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
    """One parameter's update as rows (Adam: V, S, bias correction, update), and its new value.

    ``grad`` is the gradient the step uses: for an optimizer that clips, the clipped one, g̃ (see
    :func:`clipping_rows`), and the rule is written with g̃."""
    clipped, optimizer = optimizer.clip is not None, replace(optimizer, clip=None)  # grad is what the step uses
    if isinstance(optimizer, Adam):
        return _explain_adam(optimizer, name, theta, grad, digits, state)
    new = optimizer.step({name: theta}, {name: grad})[name]
    lr, t, g = f"{optimizer.lr:g}", _m(theta, digits), _p(_m(grad, digits))
    rule = (M(f"{name} - η·g̃_{name}", rf"{name} - \eta \tilde g_{{{name}}}") if clipped
            else M(f"{name} - η·dL/d{name}", rf"{name} - \eta \frac{{dL}}{{d{name}}}"))
    nums = M(f"{t.text} - {lr}·{g.text}", rf"{t.latex} - {lr} \cdot {g.latex}")
    return (Row((M(name, name), rule, nums, _m(new, digits)), op="←"),), new


def describe(optimizer) -> str:
    """One line: the rule and its hyperparameters (and the clipping, when the optimizer clips)."""
    clip = "" if optimizer.clip is None else (
        f" The gradients are first clipped by norm to κ = {optimizer.clip:g}: each is multiplied by"
        " s = min(1, κ/(‖g‖ + 10⁻⁶)), ‖g‖ the norm of all of them together, and g̃ = s·dL/dθ is used.")
    g = "dL/dθ" if optimizer.clip is None else "g̃"
    if not isinstance(optimizer, Adam):
        return f"SGD with learning rate η = {optimizer.lr:g}: θ ← θ - η·{g}.{clip}"
    where = "√(Ŝ + ε)" if optimizer.eps_inside_sqrt else "(√Ŝ + ε)"
    return (f"Adam with α = {optimizer.lr:g}, β1 = {optimizer.beta1:g}, β2 = {optimizer.beta2:g},"
            f" ε = {optimizer.eps:g}, bias-corrected moments, θ ← θ - α·V̂/{where}.{clip}")


def clipping_rows(clipping: Clipping, digits: int, *, per_param: bool = True) -> tuple[Row, ...]:
    """The clipping by norm written out: ‖g‖ from each gradient's norm, the scale s, and (``per_param``)
    each scalar param's clipped gradient g̃ = s·dL/dθ."""
    given = clipping.given
    squares = [(f"dL/d{th}²", rf"\left(\frac{{dL}}{{d{th}}}\right)^2") if np.ndim(g) == 0
               else (f"‖dL/d{th}‖²", rf"\left\lVert \frac{{dL}}{{d{th}}} \right\rVert^2") for th, g in given.items()]
    nums = [_p(_m(float(g) if np.ndim(g) == 0 else float(np.sqrt(np.sum(np.square(g)))), digits))
            for g in given.values()]
    norm, s, c = _m(clipping.norm, digits), _m(clipping.scale, digits), f"{clipping.max_norm:g}"
    rule = M(f"√({' + '.join(t for t, _ in squares)})", rf"\sqrt{{{' + '.join(x for _, x in squares)}}}")
    numbers = M(f"√({' + '.join(f'{m.text}²' for m in nums)})", rf"\sqrt{{{' + '.join(f'{m.latex}^2' for m in nums)}}}")
    rows = [Row((M("‖g‖", r"\lVert g \rVert"), rule, numbers, norm), "every gradient together"),
            Row((M("s", "s"),
                 M("min(1, κ/(‖g‖ + 10⁻⁶))", r"\min\left(1, \frac{\kappa}{\lVert g \rVert + 10^{-6}}\right)"),
                 M(f"min(1, {c}/({norm.text} + 10⁻⁶))",
                   rf"\min\left(1, \frac{{{c}}}{{{norm.latex} + 10^{{-6}}}}\right)"), s),
                "clipped" if clipping.clipped else "not clipped: ‖g‖ ≤ κ")]
    for th, g in given.items():
        if per_param and np.ndim(g) == 0:
            d = _p(_m(float(g), digits))
            rows.append(Row((M(f"g̃_{th}", rf"\tilde g_{{{th}}}"), M(f"s·dL/d{th}", rf"s \frac{{dL}}{{d{th}}}"),
                             M(f"{s.text}·{d.text}", rf"{s.latex} \cdot {d.latex}"),
                             _m(float(clipping.grads[th]), digits))))
    return tuple(rows)


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


def updates_table(steps, digits: int) -> Table:
    """Update steps k = 1..K (:class:`~symbrnn.numeric.solution.UpdateStep`) of scalar params as one table,
    a row per step and param: the loss before the step, the param's gradient, the clipping scale s (when
    the optimizer clips), Adam's moments V and S after the step, and the param after it (seed 003's table;
    the param before step k is step k - 1's "after")."""
    adam, clip = steps[0].adam is not None, steps[0].clipping is not None
    columns: list = ["k", "θ", "L", M("dL/dθ", r"\frac{dL}{d\theta}")]  # θ before step k: step k - 1's "after"
    columns += ["s"] if clip else []  # the clipping scale, g̃ = s·dL/dθ
    columns += ["V", "S"] if adam else []
    columns.append("θ after")
    rows = []
    for step in steps:
        for j, th in enumerate(step.updated):
            row: list = [str(step.k) if j == 0 else "", th, _m(step.loss, digits) if j == 0 else "",
                         _m(float(step.gradients[th]), digits)]
            if clip:
                row.append(_m(step.clipping.scale, digits) if j == 0 else "")
            if adam:
                row += [_m(float(step.adam.V[th]), digits), _m(float(step.adam.S[th]), digits)]
            row.append(_m(float(step.updated[th]), digits))
            rows.append(tuple(row))
    return Table(tuple(columns), tuple(rows), title=f"{len(steps)} update steps")
