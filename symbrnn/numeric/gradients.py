"""loss_and_gradients: the total loss and dL/dθ, by the strategy asked for (or the fastest that applies).

The strategies are the generated programs of :mod:`symbrnn.numeric.programs`
(componentwise, array-level, straight-line; on Python, numpy, C or JAX) and
the reference recursion of :mod:`symbrnn.numeric.recursion`, which the tests
pin every program to.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> loss, grads = loss_and_gradients(elman(), 3, values)
>>> round(loss, 12), round(grads["U"], 12)
(0.046575036937, -0.07697096081)
"""

from __future__ import annotations

import math

from ..core import errors
from ..core.kinds import STATE
from ..core.symbols import check_steps
from ..declare.cell import Cell
from ..declare.values import resolve_values
from .finite import finite_result
from .programs import program_for
from .recursion import reference
from .steparrays import step_arrays
from .truncation import check_truncate, truncated_gradient

__all__ = ["ARRAYS_FROM", "STRATEGIES", "loss_and_gradients"]

STRATEGIES = ("auto", "arrays", "bptt", "straight", "terms")
#: ``strategy="auto"`` runs the array-level program for a cell with a state of at least this many components
ARRAYS_FROM = 8


def loss_and_gradients(cell: Cell, T: int, values, *, wrt=None, mode: str = "reverse", strategy: str = "auto",
                       backend: str = "python", truncate=None):
    """The total loss and dL/dθ for each param (and, if asked, initial state ``"h_0"``).

    Parameters
    ----------
    cell, T, values
        As for :func:`symbrnn.gradients`.
    wrt : list of str, optional
        Params and initial states (``"h_0"``); default every param.
    mode : {"reverse", "forward"}
    strategy : {"auto", "arrays", "bptt", "terms"}
        ``"bptt"`` runs the generated program of :mod:`symbrnn.numeric.programs`, one
        scalar statement per component (reverse mode only; the fastest for
        small cells); ``"arrays"`` runs the same BPTT written with array
        operations (:mod:`symbrnn.codegen.arrays`: a matrix product per step, for
        hidden sizes in the tens and hundreds; numpy); ``"terms"`` runs the
        derivation's recursion on the step kernels' template values (the
        reference the tests pin the programs to). ``"straight"`` runs the
        componentwise program written out for this T, with no loops (python
        backend). ``"auto"``, in reverse mode, is ``"arrays"`` for a cell
        with a state of :data:`ARRAYS_FROM` or more components (when the cell
        has an array form and the backend is not ``"c"``), else ``"bptt"``;
        on the python backend, from the second run at the same small T
        (up to about 300 statements written out), ``"straight"``.
    backend : {"python", "numpy", "c", "jax"}
        For ``"bptt"``: plain floats with :mod:`math`, numpy, or the same
        program written in C and built with the system's C compiler on first
        use (the fastest; cached on disk, see :mod:`symbrnn.codegen.c.build`). For
        ``"arrays"``: numpy (``"python"`` and ``"numpy"``), or ``"jax"``: the
        array program in two ``lax.scan`` loops under ``jax.jit`` (an
        optional extra, in float64).
    truncate : int or ("random", p, seed), optional
        Truncated BPTT (:mod:`symbrnn.numeric.truncation`): an int τ ≥ 1 keeps
        the terms that travel back fewer than τ steps (a loss at step t reaches
        the params through steps t − τ < k ≤ t; τ = 1 is the explicit terms
        only); ``("random", p, seed)`` keeps each step's link to the one before
        with probability p, weighted 1/p (unbiased). Runs on the step partials'
        arrays (strategy ``"auto"`` or ``"terms"``, backend python or numpy).

    Returns
    -------
    (float, dict)
        The loss, and the gradients by name: a float for a scalar, an array
        of the param's (or state's) shape for a shaped one.
    """
    T = check_steps(T)
    cell.validate()
    if mode not in ("forward", "reverse"):
        raise errors.WrtError(f"mode={mode!r}: use 'forward' (explicit + implicit terms) or 'reverse' (deltas)")
    if truncate is not None:
        return finite_result(*_truncated(cell, T, values, wrt, strategy, backend, truncate))
    if strategy not in STRATEGIES:
        raise errors.SymbrnnError(f"strategy={strategy!r}: use one of {', '.join(STRATEGIES)}")
    if strategy in ("bptt", "arrays", "straight") and mode != "reverse":
        raise errors.SymbrnnError(f"strategy={strategy!r} runs reverse mode; use mode='reverse' or strategy='terms'")
    if strategy != "terms" and mode == "reverse":  # the programs fall back here (strategy="terms") on bad values
        program = program_for(cell)
        arrays = _use_arrays(cell, program, strategy, backend)
        if strategy == "straight" and backend != "python":
            raise errors.SymbrnnError("strategy='straight' runs on the python backend; use backend='python'")
        straight = strategy == "straight" or (
            strategy == "auto" and backend == "python" and not arrays and program.prefers_straight(T))
        vals = resolve_values(cell, T, values)  # checked once, here; everything below reads these
        return finite_result(*program.run(vals, wrt=wrt, backend=backend, arrays=arrays, straight=straight))
    return finite_result(*reference(cell, T, resolve_values(cell, T, values), wrt=wrt, mode=mode))


def _truncated(cell: Cell, T: int, values, wrt, strategy: str, backend: str, truncate):
    truncate = check_truncate(truncate)
    if strategy not in ("auto", "terms") or backend not in ("python", "numpy"):
        raise errors.SymbrnnError(f"truncate={truncate!r} runs on the step partials with numpy; leave"
                                  f" strategy='auto' and backend='python' (got {strategy!r}, {backend!r})")
    arrays = step_arrays(cell, T, values, wrt=wrt)
    return arrays.loss, arrays.assemble(truncated_gradient(arrays, truncate))


def _use_arrays(cell: Cell, program, strategy: str, backend: str) -> bool:
    """Whether to run the array-level program (strategy "arrays", or "auto" on a big cell that has one)."""
    if strategy == "arrays" or (strategy == "auto" and backend == "jax"):
        if backend == "c":
            raise errors.SymbrnnError("strategy='arrays' runs on numpy or jax; use backend='numpy' or strategy='bptt'")
        program.checked_array_program()
        return True
    if strategy != "auto" or backend == "c" or not cell.shaped:
        return False
    if max((math.prod(cell.shape(s)) for s in cell.names(STATE)), default=0) < ARRAYS_FROM:
        return False
    return program.has_array_program()


