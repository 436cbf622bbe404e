"""The derivation's recursions run on numbers only: fast loss and gradients, no sympy per step.

The same recursions as :mod:`symbrnn.derive` (forward: dh_t/dθ = explicit +
Σ J · dh_{t-1}/dθ; reverse: δh_t = ∂L_t/∂h_t + Σ δ_{t+1} · J_{t+1}), fed by
the compiled step kernels. Reverse mode computes the deltas once for every
param. The tests pin these numbers to the term-by-term evaluation of the
symbolic derivation.

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
from collections.abc import Mapping
from functools import cached_property

from ..codegen.kernels import kernels_for
from ..core import errors
from ..core.symbols import Now
from ..declare.cell import INPUT, PARAM, STATE, TARGET, Cell
from ..declare.lower import assemble, expand_wrt, lowered, regroup
from ..declare.values import resolve_values
from ..derive.partials import CellPartials
from ..derive.unroll import check_steps
from .programs import program_for

__all__ = ["ARRAYS_FROM", "STRATEGIES", "CompiledCell", "compile_cell", "loss_and_gradients"]


def _templates(P: CellPartials, levels, params) -> dict:
    out = {}
    for v in levels:
        for p in params:
            out[v, p] = P.partial(v, p)
        for z in P.frontier(v):
            out[v, z] = P.partial(v, z)
    return out


STRATEGIES = ("auto", "arrays", "bptt", "straight", "terms")
#: ``strategy="auto"`` runs the array-level program for a cell with a state of at least this many components
ARRAYS_FROM = 8


def loss_and_gradients(cell: Cell, T: int, values, *, wrt=None, mode: str = "reverse", strategy: str = "auto",
                       backend: str = "python"):
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
        operations (:mod:`symbrnn.codegen.arrays.plan`: a matrix product per step, for
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
        return program.run(T, values, wrt=wrt, backend=backend, arrays=arrays, straight=straight)
    shaped, cell = cell, lowered(cell)
    vals = resolve_values(cell, T, values)
    params = cell.names(PARAM)
    states = tuple(n for n in cell._step_order() if cell.kind(n) == STATE)
    asked = list(shaped.names(PARAM)) if wrt is None else [str(getattr(w, "name", w)) for w in wrt]
    plan = expand_wrt(shaped, asked)
    wrt = [c for _, _, comps in plan for c in comps]
    for w in wrt:
        if w not in params and w not in {f"{s}_0" for s in states}:
            raise errors.WrtError(f"wrt={w}: not a param or an initial state of cell {cell.name!r}")
    levels = states + (cell.loss_name,)
    kernels = kernels_for(cell)
    P = kernels.partials
    kernels.use_templates(_templates(P, levels, [cell.symbol(p) for p in params]))
    forward = kernels.forward(vals)
    loss = sum(forward[cell.loss_name][1:])
    index = kernels.template_index()
    rows = [None] + [kernels.template_row(t, forward, vals) for t in range(1, T + 1)]
    # per level: (template position, state read, 0 if read at the same step else 1) for its frontier
    reads = {v: [(index[v, z], z.name, 0 if isinstance(z, Now) else 1) for z in P.frontier(v)] for v in levels}
    explicit = {(v, w): index[v, cell.symbol(w)] for v in levels for w in wrt if w in params}

    def init_derivative(s: str, w: str) -> float:
        init = cell.init(s)
        return float(w == f"{s}_0" or (init.is_Symbol and init.name == w))

    if mode == "forward":
        grads = {}
        for w in wrt:
            D = {s: init_derivative(s, w) for s in states}  # d(state)/dw at the previous step
            total = 0.0
            for t in range(1, T + 1):
                row, now = rows[t], {}
                for v in levels:
                    d = row[explicit[v, w]] if (v, w) in explicit else 0.0
                    for i, s, lag in reads[v]:
                        d += row[i] * (D[s] if lag else now[s])
                    now[v] = d
                total += now[cell.loss_name]
                D = now
            grads[w] = total
        return loss, assemble(plan, grads)

    # reverse: delta[s] is dL/ds_t; the loss's own delta is 1 at every step
    ones = {cell.loss_name: 1.0}
    later = {**ones, **{s: 0.0 for s in states}}  # deltas at step t + 1
    shares = {w: 0.0 for w in wrt}
    for t in range(T, -1, -1):
        delta = {**ones, **{s: 0.0 for s in states}} if t else {s: 0.0 for s in states}
        for v in levels:  # readers at step t (same step) and t + 1 (previous values)
            if t >= 1:
                for i, s, lag in reads[v]:
                    if not lag:
                        delta[s] += delta[v] * rows[t][i]
            if t + 1 <= T:
                for i, s, lag in reads[v]:
                    if lag:
                        delta[s] += later[v] * rows[t + 1][i]
        if t >= 1:
            for (v, w), i in explicit.items():
                shares[w] += delta[v] * rows[t][i]
        later = {**delta, **ones}
    grads = {w: shares[w] + sum(later[s] * init_derivative(s, w) for s in states) for w in wrt}
    return loss, assemble(plan, grads)


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


class CompiledCell:
    """A cell compiled to numeric code, independent of T: step kernels and a generated BPTT program.

    Attributes
    ----------
    cell : Cell

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> f = compile_cell(elman())
    >>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    >>> round(f.loss(values), 12)
    0.046575036937
    >>> [round(h, 6) for h in f.forward(values)["h"]]
    [0.0, 0.604368, 0.71736, 0.695577]
    >>> round(f.gradients(values)["V"], 12)
    -0.33592684577
    >>> print(f.source.splitlines()[0])
    def bptt(T, _seq_x, _seq_y, w, U, V, b, c, h_init):
    >>> round(f.gradients(values, backend="c")["V"], 12)    # the same program in C
    -0.33592684577

    A batch: N sequences at once (per-step data of shape (N, T)), one gradient each:

    >>> import numpy as np
    >>> batch = {**values, "x": np.tile(values["x"], (4, 1)), "y": np.tile(values["y"], (4, 1))}
    >>> losses, grads = f.batch(batch)
    >>> losses.shape, grads["V"].shape, round(float(grads["V"][3]), 12)
    ((4,), (4,), -0.33592684577)
    """

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell = cell
        self._program = program_for(cell)  # its programs and this cell's step kernels are built on first use

    @cached_property
    def _low(self) -> Cell:
        return lowered(self.cell)

    @cached_property
    def _kernels(self):
        low = self._low
        kernels = kernels_for(low)
        P = kernels.partials
        states = tuple(n for n in low._step_order() if low.kind(n) == STATE)
        levels = states + (low.loss_name,)
        kernels.use_templates(_templates(P, levels, [low.symbol(p) for p in low.names(PARAM)]))
        return kernels

    def __repr__(self) -> str:
        return f"CompiledCell({self.cell.name!r})"

    def forward(self, values, *, T: int | None = None) -> dict[str, list]:
        """Every per-step quantity: name -> list indexed by step (index 0 holds initial states).

        T defaults to the length of the per-step data. A shaped quantity's
        entries are numpy arrays of its shape.
        """
        trace = self._kernels.forward(resolve_values(self._low, _steps_of(self.cell, values, T), values))
        return regroup(self.cell, trace)

    def loss(self, values, *, T: int | None = None) -> float:
        """The total loss L = Σ_t L_t."""
        return float(sum(self.forward(values, T=T)[self.cell.loss_name][1:]))

    def gradients(self, values, *, T: int | None = None, wrt=None, mode: str = "reverse", strategy: str = "auto",
                  backend: str = "python") -> dict[str, float]:
        """dL/dθ for every param (or for ``wrt``, which may include initial states ``"h_0"``); arrays if shaped.

        ``strategy`` and ``backend`` are those of :func:`loss_and_gradients`.
        """
        return self.loss_and_gradients(values, T=T, wrt=wrt, mode=mode, strategy=strategy, backend=backend)[1]

    def loss_and_gradients(self, values, *, T: int | None = None, wrt=None, mode: str = "reverse",
                           strategy: str = "auto", backend: str = "python"):
        """The total loss and the gradients in one pass (see :func:`loss_and_gradients`)."""
        return loss_and_gradients(self.cell, _steps_of(self.cell, values, T), values, wrt=wrt, mode=mode,
                                  strategy=strategy, backend=backend)

    def batch(self, values, *, T: int | None = None, wrt=None, backend: str = "numpy"):
        """Losses and gradients of N sequences (or N parameter sets) at once.

        Per-step data have shape ``(N, T, *shape)``; each param its own shape
        (shared) or ``(N, *shape)``. Returns an array of N losses and, per
        name, an array ``(N, *shape)`` of each sequence's own gradient.
        ``backend`` is ``"numpy"`` (vectorised over the batch) or ``"c"``.
        """
        return self._program.run_batch(values, T=T, wrt=wrt, backend=backend)

    @property
    def source(self) -> str:
        """The generated Python source of the gradient: the BPTT program, forward loop then backward loop."""
        return self._program.source

    @property
    def c_source(self) -> str:
        """The same BPTT program in C (what ``backend="c"`` compiles)."""
        return self._program.c_source

    @property
    def array_source(self) -> str:
        """The BPTT program written with array operations (``strategy="arrays"``), for a cell that has that form."""
        return self._program.checked_array_program().source

    @property
    def kernel_source(self) -> str:
        """The generated Python source of the step kernels: the forward kernel, then the term kernel."""
        return self._kernels.forward_source + "\n" + self._kernels.terms_source


def _steps_of(cell: Cell, values, T: int | None) -> int:
    """T as given, or the length of the per-step data in ``values``."""
    if T is not None:
        return check_steps(T)
    if not isinstance(values, Mapping):
        raise errors.ValuesError(f"values must be a mapping of names to numbers, got {type(values).__name__}")
    by_name = {str(getattr(k, "name", k)): v for k, v in values.items()}
    for n in cell.names(INPUT) + cell.names(TARGET):
        seq = by_name.get(n)
        if hasattr(seq, "__len__") and not isinstance(seq, (str, bytes)):
            return len(seq)
    raise errors.MissingValueError(
        f"cannot tell T: values has no per-step data for cell {cell.name!r}; give T=... or the inputs as sequences"
    )


def compile_cell(cell: Cell) -> CompiledCell:
    """Compile ``cell`` to numeric functions: loss, forward values and gradients for any T."""
    return CompiledCell(cell)
