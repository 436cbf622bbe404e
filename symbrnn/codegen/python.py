"""The BPTT plan as Python: the loop program, the straight-line program for one T, and the namespace they run in.

:func:`python_source` writes a :class:`~symbrnn.codegen.plan.BPTTPlan` as
``def bptt(T, data..., params..., initial states...)``: a forward loop that
keeps what the backward loop reads, then a backward loop with the step's
partials, deltas and gradient shares. The same text runs on Python floats
(``backend="python"``: :mod:`math`) and on numpy arrays with a leading batch
axis (``"numpy"``). :func:`straight_source` writes the plan out for one T.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.codegen.plan import BPTTPlan
>>> print(python_source(BPTTPlan(elman()), CodePrinter().doprint).splitlines()[0])
def bptt(T, _seq_x, _seq_y, w, U, V, b, c, h_init):
>>> fn = compile_program(python_source(BPTTPlan(elman()), CodePrinter().doprint), "python", "elman")
>>> loss, grads = fn(2, [1.0, 0.8], [0.5, 0.6], .5, .5, .5, .2, .1, 0.0)
>>> round(loss, 12)   # ½(ŷ_1 − y_1)² + ½(ŷ_2 − y_2)², h_t = tanh(0.5·x_t + 0.5·h_{t-1} + 0.2)
0.014769696641
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from ..declare.forms import numeric_forms
from .plan import BPTTPlan
from .printing import CodePrinter, free_names, no_numeric_form

__all__ = ["CodePrinter", "backward_step", "compile_program", "forward_step", "namespace", "python_source",
           "straight_source"]


def namespace(backend: str) -> dict:
    """What a generated program may call on ``backend`` (``"python"`` or ``"numpy"``)."""
    space = {k: getattr(np, k) for k in dir(np) if not k.startswith("_")}
    space.update(numeric_forms("numpy"))
    if backend == "python":  # plain floats: math is several times faster than numpy on scalars
        space.update(numeric_forms("python"))
    else:
        space["erf"] = np.vectorize(math.erf, otypes=[float])
    space["reduce"] = functools.reduce  # sympy's printer writes Max and Min as reduce(maximum, ...)
    space["__builtins__"] = {"range": range, "len": len}
    return space


def compile_program(source: str, backend: str, where: str):
    """``bptt`` of a generated source, after checking its namespace has every name the source reads."""
    space = namespace(backend)
    unknown = sorted(free_names(source) - set(space) - set(space["__builtins__"]))
    if unknown:  # a sympy function the printer writes with a name no backend here provides
        raise no_numeric_form(unknown, f"the generated program of {where}", backend)
    exec(compile(source, f"<symbrnn {where}>", "exec"), space)  # our own generated code, never user text
    return space["bptt"]


def python_source(plan: BPTTPlan, code) -> str:
    """The plan as ``def bptt(T, data..., params..., initial states...)``; ``code`` prints an expression.

    The function returns the total loss and the list of gradients: the
    params', then dL/ds_0 per state.
    """
    n = plan.ident
    data, params, states, stored = plan.data, plan.params, plan.states, plan.stored
    args = [f"_seq_{n[d]}" for d in data] + [n[p] for p in params] + [f"{n[s]}_init" for s in states]
    lines = [f"def bptt(T, {', '.join(args)}):"]
    lines += [f"    _s_{n[q]} = [None] * (T + 1)" for q in stored]
    lines += [f"    _s_{n[s]}[0] = {n[s]}_init" for s in plan.prevs]
    lines += [f"    {n[s + '.prev']} = {n[s]}_init" for s in states]
    lines += ["    _loss = 0.0", "    for t in range(1, T + 1):"]
    lines += [f"        {n[d]} = _seq_{n[d]}[t - 1]" for d in data]
    lines += [f"        {line}" for line in forward_step(plan, code)]
    lines += [f"        _s_{n[q]}[t] = {n[q]}" for q in stored]
    lines += [f"        {n[s + '.prev']} = {n[s]}" for s in states]
    lines += [f"    _g_{n[p]} = 0.0" for p in params]
    lines += [f"    _k_{n[s]} = 0.0" for s in states]
    lines += ["    for t in range(T, 0, -1):"]
    lines += [f"        {n[d]} = _seq_{n[d]}[t - 1]" for d in plan.back_data]
    lines += [f"        {n[q]} = _s_{n[q]}[t]" for q in plan.back_stored]
    lines += [f"        {n[s + '.prev']} = _s_{n[s]}[t - 1]" for s in plan.prevs]
    lines += [f"        {line}" for line in backward_step(plan, code)]
    outputs = [f"_g_{n[p]}" for p in params] + [f"_k_{n[s]}" for s in states]
    lines.append(f"    return _loss, [{', '.join(outputs)}]")
    return "\n".join(lines) + "\n"


def forward_step(plan: BPTTPlan, code) -> list[str]:
    """One forward step's statements (the step's data already read), ending with the loss added up."""
    n = plan.ident
    return [f"{n[q]} = {code(e)}" for q, e in plan.forward] + [f"_loss = _loss + {n[plan.loss]}"]


def backward_step(plan: BPTTPlan, code) -> list[str]:
    """One backward step's statements: the step partials, the deltas, the gradients' shares, the carries."""
    n = plan.ident
    lines = [f"{code(sym)} = {code(e)}" for sym, e in plan.temps]

    def times(v: str | None, e) -> str:
        factor = code(e)
        if v is None:
            return factor
        return f"_d_{n[v]}*{factor}" if factor.isidentifier() else f"_d_{n[v]}*({factor})"

    for s, parts in plan.deltas:
        lines.append(f"_d_{n[s]} = {' + '.join([f'_k_{n[s]}'] + [code(e) for e in parts])}")
    for p, parts in plan.grads:
        if parts:
            lines.append(f"_g_{n[p]} = _g_{n[p]} + {' + '.join(times(v, e) for v, e in parts)}")
    for s, parts in plan.carries:
        lines.append(f"_k_{n[s]} = {' + '.join(times(v, e) for v, e in parts) if parts else '0.0'}")
    return lines


def straight_source(plan: BPTTPlan, T: int, code) -> str:
    """The plan for one T as straight-line code: ``def bptt(data..., params..., initial states...)``, no loops.

    Step t's values are named ``_t{t}_<name>`` (step 0 holds the initial
    states); the backward steps reuse the names of their partials and deltas.
    """
    n = plan.ident
    states = plan.states
    forward, backward = forward_step(plan, code), backward_step(plan, code)
    args = [f"_seq_{n[d]}" for d in plan.data] + [n[p] for p in plan.params] + [f"_t0_{n[s]}" for s in states]
    lines = [f"def bptt({', '.join(args)}):", "    _loss = 0.0"]
    for t in range(1, T + 1):
        rename = _step_names(plan, t)
        lines += [f"    {rename(f'{n[d]} = _seq_{n[d]}[{t - 1}]')}" for d in plan.data]
        lines += [f"    {rename(line)}" for line in forward]
    lines += [f"    _g_{n[p]} = 0.0" for p in plan.params] + [f"    _k_{n[s]} = 0.0" for s in states]
    for t in range(T, 0, -1):
        rename = _step_names(plan, t)
        lines += [f"    {rename(line)}" for line in backward]
    outputs = [f"_g_{n[p]}" for p in plan.params] + [f"_k_{n[s]}" for s in states]
    lines.append(f"    return _loss, [{', '.join(outputs)}]")
    return "\n".join(lines) + "\n"


def _step_names(plan: BPTTPlan, t: int):
    """A renaming of one step's statements: each quantity to its step-t name, each previous state to step t - 1's."""
    n = plan.ident
    names = {n[q]: f"_t{t}_{n[q]}" for q, _ in plan.forward}
    names.update({n[d]: f"_t{t}_{n[d]}" for d in plan.data})
    names.update({n[f"{s}.prev"]: f"_t{t - 1}_{n[s]}" for s in plan.states})
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    return lambda line: pattern.sub(lambda m: names[m.group(1)], line)
