"""The array-level BPTT program written for JAX: two ``lax.scan`` loops, compiled with ``jax.jit``.

The statements are those of :class:`~symbrnn.codegen.arrays.plan.ArrayPlan` (forward step,
backward step); this module wraps them in ``lax.scan`` (the forward loop keeps
what the backward loop reads; the backward loop carries the deltas and the
gradients, in reverse) and runs them with ``jax.numpy``. JAX is an optional
extra (``pip install jax``); it must compute in float64
(``jax.config.update("jax_enable_x64", True)``).

Examples
--------
>>> from symbrnn.codegen.arrays.plan import ArrayPlan
>>> from symbrnn.cells import elman
>>> print(jax_source(ArrayPlan(elman(2, 3, 1))).splitlines()[0])
def bptt(T, _seq_x, _seq_y, w, U, V, b, c, _init_h):
"""

from __future__ import annotations

import functools

import numpy as np

from ..core import errors
from ..declare.forms import numeric_forms
from .arrays.plan import ArrayPlan
from .arrays.program import ArrayProgram, _unbroadcast

__all__ = ["JaxProgram", "jax_source"]


def jax_source(plan: ArrayPlan) -> str:
    """The plan's forward and backward steps as ``bptt(T, data..., params..., initial states...)`` over lax.scan."""
    n = plan.ident
    states = [n[s] for s in plan.states]
    data = [n[d] for d in plan.data]
    params = [n[p] for p in plan.params]
    stored = list(plan.stored)
    back_now = [n[d] for d in plan.back_data] + stored
    carry = [f"_k_{s}" for s in states] + [f"_g_{p}" for p in params]
    zeros = [f"_zero_{s}" for s in states] + [f"zeros({plan.cell.shape(p)!r})" for p in plan.params]
    args = [f"_seq_{d}" for d in data] + params + [f"_init_{s}" for s in states]
    lines = [f"def bptt(T, {', '.join(args)}):"]
    lines += [f"    {var} = {code}" for var, code in plan.constants]
    lines += [f"    _zero_{n[s]} = zeros({plan.cell.shape(s)!r})" for s in plan.states]
    lines += ["", "    def _forward(_carry, _now):", f"        {_tuple(n[s + '.prev'] for s in plan.states)} = _carry",
              f"        {_tuple(data)} = _now"]
    lines += [f"        {line}" for line in plan.forward_lines]
    lines += [f"        return {_tuple(states)}, {_tuple([n[plan.loss], *stored])}", ""]
    lines += [f"    _, {_tuple(['_L', *(f'_s_{v}' for v in stored)])} = scan(",
              f"        _forward, {_tuple(f'_init_{s}' for s in states)}, {_tuple(f'_seq_{d}' for d in data)},"
              " length=T)", ""]
    lines += ["    def _backward(_carry, _now):", f"        {_tuple(carry)} = _carry",
              f"        {_tuple(back_now)} = _now"]
    lines += [f"        {line}" for line in plan.backward_lines]
    lines += [f"        return {_tuple(carry)}, None", ""]
    seqs = [f"_seq_{n[d]}" for d in plan.back_data] + [f"_s_{v}" for v in stored]
    lines += [f"    {_tuple(carry)}, _ = scan(", f"        _backward, {_tuple(zeros)}, {_tuple(seqs)}, length=T,"
              " reverse=True)"]
    outputs = [f"_g_{p}" for p in params] + [f"_k_{s}" for s in states]
    lines.append(f"    return sum(_L), [{', '.join(outputs)}]")
    return "\n".join(lines) + "\n"


def _tuple(names) -> str:
    names = list(names)
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"  # () for none


def _namespace(jax) -> dict:
    jnp = jax.numpy
    space = {k: getattr(jnp, k) for k in dir(jnp) if not k.startswith("_")}
    forms = numeric_forms("jax", jax)
    space.update(forms)
    space.update(
        scan=jax.lax.scan, reduce=functools.reduce, _softmax=forms["softmax"], _logsumexp=forms["logsumexp_vector"],
        _scatter=lambda g, key, shape: jnp.zeros(shape).at[key].set(g),
        _spread=lambda g, axis, shape: jnp.broadcast_to(g if axis is None else jnp.expand_dims(g, axis), shape),
        _unbroadcast=_unbroadcast,
    )
    space["__builtins__"] = {"range": range, "len": len, "slice": slice}
    return space


def _jax():
    try:
        import jax
    except ImportError:
        raise errors.BackendError("backend='jax' needs JAX: pip install jax (or use backend='numpy')") from None
    if not jax.config.read("jax_enable_x64"):
        raise errors.BackendError(
            "backend='jax' computes in float64: call jax.config.update('jax_enable_x64', True) before it"
        )
    return jax


class JaxProgram:
    """The array-level program of a cell on JAX, jit-compiled once per T (the source does not depend on T).

    Parameters
    ----------
    program : ArrayProgram
        The numpy array program (its plan, and how initial states are given).
    """

    def __init__(self, program: ArrayProgram):
        jax = _jax()
        self._program, self._jnp = program, jax.numpy
        self.source = jax_source(program.plan)
        space = _namespace(jax)
        exec(compile(self.source, f"<symbrnn jax bptt of {program.cell.name!r}>", "exec"), space)  # generated code
        self._fn = jax.jit(space["bptt"], static_argnums=0)

    def run(self, T: int, arrays: dict) -> tuple[float, dict]:
        """Loss and gradients, as :meth:`symbrnn.codegen.arrays.plan.ArrayProgram.run` gives them."""
        jnp, plan, cell = self._jnp, self._program.plan, self._program.cell
        args = [jnp.asarray(arrays[d]) for d in plan.data] + [jnp.asarray(arrays[p]) for p in plan.params]
        args += [jnp.broadcast_to(jnp.asarray(arrays[p]), cell.shape(s)) if p is not None else jnp.asarray(value)
                 for s, (p, value) in zip(plan.states, self._program.inits, strict=True)]
        loss, out = self._fn(T, *args)
        return self._program.assemble(float(loss), [np.asarray(g) for g in out])
