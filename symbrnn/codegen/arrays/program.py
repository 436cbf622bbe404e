"""The array-level BPTT program compiled for numpy: the text of :class:`~symbrnn.codegen.arrays.plan.ArrayPlan`, run.

The generated program calls a few helpers besides numpy (summing an adjoint
back to a broadcast operand's shape, scattering a slice's adjoint; the
activations come from :mod:`symbrnn.declare.forms`); they are here, and :func:`namespace` is all the
program can reach.
"""

from __future__ import annotations

import functools

import numpy as np

from ...core.symbols import initial_name
from ...declare.cell import Cell
from ...declare.forms import numeric_forms
from ...declare.tensor import Tensor
from ..printing import free_names
from .plan import ArrayPlan, Unsupported

__all__ = ["ArrayProgram", "namespace"]


class ArrayProgram:
    """The array-level program of a cell, compiled (independent of T).

    Parameters
    ----------
    cell : Cell

    Raises
    ------
    Unsupported
        If part of the cell has no array form (a Tensor built from its components, say).

    Examples
    --------
    >>> import numpy as np
    >>> from symbrnn.cells import elman
    >>> program = ArrayProgram(elman(2, 3, 1))
    >>> rng = np.random.default_rng(0)
    >>> values = {"w": rng.normal(size=(3, 2)), "U": rng.normal(size=(3, 3)), "V": rng.normal(size=(1, 3)),
    ...           "b": np.zeros(3), "c": np.zeros(1), "x": rng.normal(size=(5, 2)), "y": rng.normal(size=(5, 1))}
    >>> loss, grads = program.run(5, values)
    >>> grads["U"].shape, grads["h_0"].shape
    ((3, 3), (3,))
    """

    def __init__(self, cell: Cell):
        self.cell = cell
        self.plan = plan = ArrayPlan(cell)
        self.source = plan.source
        space = namespace()
        unknown = free_names(self.source) - set(space) - set(space["__builtins__"])
        if unknown:  # e.g. a sympy function the printer writes with a name the program cannot call
            raise Unsupported(f"the name(s) {', '.join(sorted(unknown))} in the program")
        exec(compile(self.source, f"<symbrnn array bptt of {cell.name!r}>", "exec"), space)  # our generated code
        self._fn = space["bptt"]
        #: per state: (the param it starts from, or None; else its initial value as an array)
        self.inits = [self._initial(s) for s in plan.states]

    def __repr__(self) -> str:
        return f"ArrayProgram({self.cell.name!r})"

    def _initial(self, s: str) -> tuple[str | None, np.ndarray | None]:
        """(the param a state starts from, or None; else its initial value as an array)."""
        p = self.cell.init_param(s)
        if p is not None:
            return p, None
        init = self.cell.init(s)
        if isinstance(init, Tensor):
            return None, np.array(init.tolist(), dtype=float)
        return None, np.full(self.cell.shape(s), float(init))

    def run(self, T: int, arrays: dict) -> tuple[float, dict]:
        """Loss and gradients from well-formed arrays: data (T, *shape), params of their shapes.

        Returns the loss and a dict with each param's gradient (an initial
        state that is a param included) and ``"s_0"`` for each state s.
        """
        plan = self.plan
        args = [arrays[d] for d in plan.data] + [arrays[p] for p in plan.params]
        args += [np.broadcast_to(arrays[p], self.cell.shape(s)) if p is not None else value
                 for s, (p, value) in zip(plan.states, self.inits, strict=True)]
        loss, out = self._fn(T, *args)
        return self.assemble(loss, out)

    def assemble(self, loss, out: list) -> tuple[float, dict]:
        """The program's outputs (params' gradients, then per state) by name, initial states that are params added."""
        plan = self.plan
        names = list(plan.params) + [initial_name(s) for s in plan.states]
        shapes = [self.cell.shape(p) for p in plan.params] + [self.cell.shape(s) for s in plan.states]
        grads = {n: np.broadcast_to(np.asarray(g, dtype=float), shape)
                 for n, g, shape in zip(names, out, shapes, strict=True)}
        for s, (p, _) in zip(plan.states, self.inits, strict=True):
            if p is not None:  # a param broadcast to the state (a scalar to every component) gets the sum
                grads[p] = grads[p] + _unbroadcast(grads[initial_name(s)], self.cell.shape(p))
        return float(loss), grads


def _unbroadcast(g, shape):
    """The adjoint g of a broadcast result, summed back to an operand's shape (numpy or JAX arrays)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def _scatter(g, key, shape):
    out = np.zeros(shape)
    out[key] = g
    return out


def _spread(g, axis, shape):
    return np.broadcast_to(g if axis is None else np.expand_dims(g, axis), shape)


def namespace() -> dict:
    """What the generated array program may call."""
    space = {k: getattr(np, k) for k in dir(np) if not k.startswith("_")}
    forms = numeric_forms("numpy")
    space.update(forms)
    space.update(_unbroadcast=_unbroadcast, _scatter=_scatter, _spread=_spread, _softmax=forms.pop("softmax"),
                 _logsumexp=forms.pop("logsumexp_vector"), reduce=functools.reduce)
    del space["softmax"], space["logsumexp_vector"]
    space["__builtins__"] = {"range": range, "len": len, "slice": slice}
    return space

