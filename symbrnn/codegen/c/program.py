"""The C backend of the BPTT program: the plan written in C, built once, called through ctypes.

Examples
--------
>>> import numpy as np
>>> from symbrnn.codegen.plan import BPTTPlan
>>> from symbrnn.cells import elman
>>> program = CProgram(BPTTPlan(elman()), name="elman")
>>> seq = np.array([[1, .8, .6], [.5, .6, .7]])          # x, then y: one row per quantity
>>> loss, grads = program.run(3, seq, np.array([.5, .5, .5, .2, .1]), np.array([0.0]))
>>> round(loss, 12), round(float(grads[1]), 12)           # the loss and dL/dU
(0.046575036937, -0.07697096081)
"""

from __future__ import annotations

import ctypes

import numpy as np

from ..plan import BPTTPlan
from .build import build_library
from .source import c_source

__all__ = ["CProgram"]

_P = ctypes.c_void_p
_L = ctypes.c_long


class CProgram:
    """One cell's BPTT program compiled from C (independent of T).

    Parameters
    ----------
    plan : BPTTPlan
    name : str
        The cell's name (for the source's comment and error messages).

    Attributes
    ----------
    source : str
        The C source.
    """

    def __init__(self, plan: BPTTPlan, *, name: str):
        self.source = c_source(plan, name=name)
        self._n_data, self._n_params, self._n_states = len(plan.data), len(plan.params), len(plan.states)
        self._n_stored = len(plan.stored)
        lib = build_library(self.source, what=f"the BPTT program of cell {name!r}")
        self._one, self._many = lib.bptt, lib.bptt_batch
        self._one.restype, self._one.argtypes = ctypes.c_double, [_L, _P, _P, _P, _P, _P]
        self._many.restype, self._many.argtypes = None, [_L, _L, _P, _P, _L, _P, _L, _P, _P, _P]

    def run(self, T: int, seq: np.ndarray, params: np.ndarray, inits: np.ndarray):
        """Loss and gradients (params', then per initial state) of one sequence.

        ``seq`` is a C-contiguous float array of shape (number of data, T);
        ``params`` and ``inits`` are float arrays of the params and initial states.
        """
        store = np.empty(self._n_stored * (T + 1))
        grad = np.empty(self._n_params + self._n_states)
        loss = self._one(T, seq.ctypes.data, params.ctypes.data, inits.ctypes.data, store.ctypes.data,
                         grad.ctypes.data)
        return loss, grad

    def run_batch(self, T: int, seq: np.ndarray, params: np.ndarray, inits: np.ndarray):
        """Losses (N,) and gradients (N, params + states) of N sequences.

        ``seq`` has shape (N, number of data, T); ``params`` and ``inits`` are
        (N, k) or (1, k) (shared by every sequence). All C-contiguous floats.
        """
        N = seq.shape[0]
        store = np.empty(self._n_stored * (T + 1))
        grad = np.empty((N, self._n_params + self._n_states))
        loss = np.empty(N)
        p_step = self._n_params if params.shape[0] == N and N > 1 else 0
        i_step = self._n_states if inits.shape[0] == N and N > 1 else 0
        self._many(N, T, seq.ctypes.data, params.ctypes.data, p_step, inits.ctypes.data, i_step, store.ctypes.data,
                   grad.ctypes.data, loss.ctypes.data)
        return loss, grad
