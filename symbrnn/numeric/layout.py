"""How checked values become a generated program's arguments, and its outputs gradients by name.

The componentwise programs take one argument per component of the lowered
cell (a list of T numbers per datum, a float per param, then the initial
states) or, in C, one array of all the data and one of all the params; they
return the params' gradients and then dL/ds_0 per state, by component.
:class:`Layout` does both directions for one cell, once per cell.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.declare.values import resolve_values
>>> layout = Layout(elman())
>>> vals = resolve_values(elman(), 2, {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8], "y": [.5, .6]})
>>> layout.python_args(vals)
[[1.0, 0.8], [0.5, 0.6], 0.5, 0.5, 0.5, 0.2, 0.1, 0.0]
>>> layout.gradients([1.0, 2.0, 3.0, 4.0, 5.0, 0.5], None)
{'w': 1.0, 'U': 2.0, 'V': 3.0, 'b': 4.0, 'c': 5.0}
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ..core import errors
from ..core.kinds import INPUT, PARAM, TARGET
from ..core.symbols import initial_name
from ..declare.cell import Cell
from ..declare.lower import assemble, components, expand_wrt, lowered
from ..declare.tensor import split_component
from ..declare.values import Batch, Values

__all__ = ["Layout"]


def _split(name: str) -> tuple[str, tuple]:
    found = split_component(name)
    return found if found else (name, ())


class Layout:
    """The argument and result layout of one cell's componentwise programs.

    Attributes
    ----------
    states, data, params : tuple of str
        The lowered cell's states (in step order), data (inputs, then targets) and params: the arguments' order.
    inits : list
        Per state: the position of the param it starts from, or its initial value.
    """

    def __init__(self, cell: Cell):
        self.cell = cell
        self._shaped_data = cell.names(INPUT) + cell.names(TARGET)

    @cached_property
    def default_plan(self) -> list:
        """:func:`~symbrnn.declare.lower.expand_wrt` of every param (component names: made on first use)."""
        return expand_wrt(self.cell, list(self.cell.names(PARAM)))

    @cached_property
    def _order(self) -> tuple:
        low = lowered(self.cell)  # the components: made only for the componentwise programs
        states, data, params = low.states(), low.names(INPUT) + low.names(TARGET), low.names(PARAM)
        # lowering keeps each quantity's components together, row-major, in declaration order
        assert tuple(c for n in self._shaped_data for c in components(self.cell, n)) == data
        assert tuple(c for n in self.cell.names(PARAM) for c in components(self.cell, n)) == params
        inits = [params.index(low.init_param(s)) if low.init_param(s) else float(low.init(s)) for s in states]
        return states, data, params, inits

    @property
    def states(self) -> tuple:
        return self._order[0]

    @property
    def data(self) -> tuple:
        return self._order[1]

    @property
    def params(self) -> tuple:
        return self._order[2]

    @property
    def inits(self) -> list:
        return self._order[3]

    @cached_property
    def _data_at(self) -> list:
        return [_split(n) for n in self.data]

    @cached_property
    def _params_at(self) -> list:
        return [_split(p) for p in self.params]

    @cached_property
    def _param_layout(self) -> list:
        return [(p, self.cell.shape(p), math.prod(self.cell.shape(p))) for p in self.cell.names(PARAM)]

    # ------------------------------------------------------------------ arguments
    def python_args(self, vals: Values) -> list:
        """The Python program's arguments: a list per data component, then floats."""
        arrays = vals.arrays
        args = [arrays[base][(slice(None),) + tuple(idx)].tolist() for base, idx in self._data_at]
        params = [float(arrays[base][idx]) for base, idx in self._params_at]
        return args + params + [params[i] if isinstance(i, int) else i for i in self.inits]

    def c_args(self, vals: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The C program's arguments: the data as one (data, T) array, the params, the initial states."""
        arrays, T = vals.arrays, vals.T
        data = [arrays[n].reshape(T, -1) for n in self._shaped_data]
        seq = np.ascontiguousarray(np.concatenate(data, axis=1).T) if data else np.empty((0, T))
        params = np.concatenate([np.ravel(arrays[p]) for p, _, _ in self._param_layout] or [np.empty(0)])
        inits = np.array([params[i] if isinstance(i, int) else i for i in self.inits], dtype=float)
        return seq, params, inits

    def batch_args(self, batch: Batch) -> list:
        """The numpy program's arguments for a batch: (T, N) arrays per datum, then params and initial states."""
        arrays, parts = batch.arrays, []
        for base, idx in self._data_at:
            parts.append(arrays[base][(slice(None), slice(None)) + tuple(idx)].T.copy())  # (T, N)
        for base, idx in self._params_at:
            parts.append(arrays[base][(Ellipsis,) + tuple(idx)] if idx else arrays[base])
        for i in self.inits:
            parts.append(parts[len(self.data) + i] if isinstance(i, int) else i)
        return parts

    def c_batch_args(self, parts: list, N: int, T: int):
        """:meth:`batch_args` as the C loop's arguments: (N, data, T), then (N or 1, k) params and initial states."""
        n_data, n_params = len(self.data), len(self.params)
        seq = np.ascontiguousarray(np.stack(parts[:n_data], axis=0).transpose(2, 0, 1)) if n_data else \
            np.empty((N, 0, T))

        def rows(values: list) -> np.ndarray:
            if not values:
                return np.empty((1, 0))
            shared = all(np.ndim(v) == 0 for v in values)
            cols = [np.asarray(v, dtype=float) if shared else np.broadcast_to(np.asarray(v, dtype=float), (N,))
                    for v in values]
            return np.ascontiguousarray(np.stack(cols, axis=-1).reshape(1 if shared else N, len(values)))

        return seq, rows(parts[n_data:n_data + n_params]), rows(parts[n_data + n_params:])

    # ------------------------------------------------------------------ results
    def plan(self, wrt) -> list:
        """:func:`~symbrnn.declare.lower.expand_wrt` of the names asked for (every param if None)."""
        return self.default_plan if wrt is None else expand_wrt(self.cell, [str(getattr(w, "name", w)) for w in wrt])

    def gradients(self, out, wrt, batch: int | None = None) -> dict:
        """A componentwise program's outputs as gradients by name (arrays for shaped names; per sequence if batch)."""
        if wrt is None and batch is None:
            return self._whole_gradients(out)
        grads = dict(zip(self.params, out, strict=False))
        grads.update({initial_name(s): g for s, g in zip(self.states, out[len(self.params):], strict=True)})
        plan = self.plan(wrt)
        for _, _, comps in plan:
            for c in comps:
                if c not in grads:
                    raise errors.WrtError(f"wrt={c}: not a param or an initial state of cell {self.cell.name!r}")
        for s, i in zip(self.states, self.inits, strict=True):  # an initial state that is a param:
            if isinstance(i, int):  # its gradient includes dL/ds_0
                grads[self.params[i]] = grads[self.params[i]] + grads[initial_name(s)]
        if batch is None:
            return assemble(plan, {k: float(v) for k, v in grads.items()})
        return {n: np.stack([grads[c] for c in comps], axis=-1).reshape((batch, *shape)) for n, shape, comps in plan}

    def _whole_gradients(self, out) -> dict:
        """Every param's gradient (arrays if shaped) from the program's flat output, with no dict per component."""
        n = len(self.params)
        flat = np.array(out[:n], dtype=float)
        tail = np.asarray(out[n:], dtype=float)
        for k, i in enumerate(self.inits):  # an initial state that is a param: its gradient includes dL/ds_0
            if isinstance(i, int):
                flat[i] += tail[k]
        grads, at = {}, 0
        for p, shape, size in self._param_layout:
            grads[p] = flat[at:at + size].reshape(shape) if shape else float(flat[at])
            at += size
        return grads

    def array_gradients(self, grads: dict, wrt) -> dict:
        """The array program's gradients (whole params and initial states) for the names asked for."""
        names = list(self.cell.names(PARAM)) if wrt is None else [str(getattr(w, "name", w)) for w in wrt]
        out, flat = {}, None
        for n in names:
            if n in grads:  # a whole param or initial state
                out[n] = np.array(grads[n], dtype=float) if np.ndim(grads[n]) else float(grads[n])
                continue
            if flat is None:  # a component, such as W[1,0] or h[0]_0
                flat = self._components(grads)
            if n not in flat:
                raise errors.WrtError(f"wrt={n}: not a param or an initial state of cell {self.cell.name!r}")
            out[n] = float(flat[n])
        return out

    def _components(self, grads: dict) -> dict:
        flat: dict = {}
        for name, g in grads.items():
            state = self.cell.initial_of(name)
            names = [initial_name(c) for c in components(self.cell, state)] if state else \
                components(self.cell, name)
            flat.update(zip(names, np.ravel(g).tolist(), strict=True))
        return flat
