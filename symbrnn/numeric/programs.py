"""The generated BPTT programs of one cell, run on checked values: every strategy's and backend's program.

The cell is differentiated once (:class:`~symbrnn.derive.partials.CellPartials`);
this module writes the result as the program a person would write by hand:
a forward loop that computes and keeps every quantity, and a reverse loop
that, at each step, computes the step partials (with common subexpressions
shared, and ``tanh(a_t)`` read back as ``h_t`` where the cell defines it so),
the deltas δs_t = ∂L_t/∂s_t + Σ δ_{t+1} · ∂(level)_{t+1}/∂s_t, and adds each
level's explicit partials into the gradients. The source does not depend on
T, so it is generated and compiled once per cell.

The same source runs on Python floats (the ``"python"`` backend: functions
from :mod:`math`, fastest for one sequence) and on numpy arrays with a
leading batch axis (the ``"numpy"`` backend: N sequences, or N parameter
sets, at once); :mod:`symbrnn.codegen` also writes it in C, written out
for one T (straight-line), and with array operations (numpy, JAX).
:class:`BPTTProgram` builds each on first use and runs it; values a
program cannot compute (an overflow) go to the reference recursion, whose
error names the quantity and the step.

Examples
--------
>>> from symbrnn.cells import elman
>>> program = BPTTProgram(elman())
>>> print(program.source)
def bptt(T, _seq_x, _seq_y, w, U, V, b, c, h_init):
    _s_h = [None] * (T + 1)
    _s_yhat = [None] * (T + 1)
    _s_h[0] = h_init
    h_prev = h_init
    _loss = 0.0
    for t in range(1, T + 1):
        x = _seq_x[t - 1]
        y = _seq_y[t - 1]
        a = U*h_prev + b + w*x
        h = tanh(a)
        yhat = V*h + c
        L = (1/2)*(-y + yhat)**2
        _loss = _loss + L
        _s_h[t] = h
        _s_yhat[t] = yhat
        h_prev = h
    _g_w = 0.0
    _g_U = 0.0
    _g_V = 0.0
    _g_b = 0.0
    _g_c = 0.0
    _k_h = 0.0
    for t in range(T, 0, -1):
        x = _seq_x[t - 1]
        y = _seq_y[t - 1]
        h = _s_h[t]
        yhat = _s_yhat[t]
        h_prev = _s_h[t - 1]
        _c0 = 1 - h**2
        _c1 = -y + yhat
        _d_h = _k_h + V*_c1
        _g_w = _g_w + _d_h*(_c0*x)
        _g_U = _g_U + _d_h*(_c0*h_prev)
        _g_V = _g_V + _c1*h
        _g_b = _g_b + _d_h*_c0
        _g_c = _g_c + _c1
        _k_h = _d_h*(U*_c0)
    return _loss, [_g_w, _g_U, _g_V, _g_b, _g_c, _k_h]
<BLANKLINE>
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> from symbrnn.declare.values import resolve_values
>>> loss, grads = program.run(resolve_values(program.cell, 3, values))
>>> round(loss, 12), round(grads["U"], 12)
(0.046575036937, -0.07697096081)
"""

from __future__ import annotations

import math
import weakref
from functools import cached_property

import numpy as np

from ..codegen.arrays.program import ArrayProgram
from ..codegen.arrays.rules import Unsupported
from ..codegen.c.program import CProgram
from ..codegen.c.source import c_source
from ..codegen.jax import JaxProgram
from ..codegen.plan import BPTTPlan
from ..codegen.python import CodePrinter, backward_step, compile_program, forward_step, python_source, straight_source
from ..core import errors
from ..core.symbols import check_steps
from ..declare.cell import Cell
from ..declare.lower import lowered
from ..declare.values import Values, resolve_batch
from .layout import Layout
from .recursion import reference

__all__ = ["BACKENDS", "BPTTProgram", "program_for"]

BACKENDS = ("python", "numpy", "c", "jax")
STRAIGHT_FASTER_LINES = 300  # up to this many statements the straight-line program beats the loop (measured)
STRAIGHT_MAX_LINES = 50_000  # a larger straight-line program is refused even when forced
STRAIGHT_KEPT = 8  # straight-line programs kept per cell (one per T)


def _code(expr) -> str:
    return CodePrinter().doprint(expr)  # the plan's expressions are sympy objects, never text


class BPTTProgram:
    """The generated forward-and-backward programs of one cell (independent of T), built on first use.

    Parameters
    ----------
    cell : Cell
        Scalar or shaped (a shaped cell runs on its components, or on whole arrays).

    Attributes
    ----------
    source : str
        The generated Python source of ``bptt(T, data..., params..., initial states...)``,
        which returns the total loss and the gradients, then dL/ds_0 per state.
    """

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell, self.version = cell, cell.version
        self._c: CProgram | None = None
        self._straight: dict[int, object] = {}  # T -> straight-line program, most recently used last
        self._runs: dict[int, int] = {}  # T -> runs of the componentwise Python program

    def __repr__(self) -> str:
        return f"BPTTProgram({self.cell.name!r})"

    @cached_property
    def layout(self) -> Layout:
        """How values become the componentwise programs' arguments, and outputs gradients (made on first use)."""
        return Layout(self.cell)

    @cached_property
    def plan(self) -> BPTTPlan:
        """What the componentwise program computes (:class:`~symbrnn.codegen.plan.BPTTPlan`)."""
        return BPTTPlan(lowered(self.cell))

    @cached_property
    def source(self) -> str:
        """The Python source of the componentwise program."""
        return python_source(self.plan, _code)

    @cached_property
    def _functions(self) -> dict:
        where = f"bptt of {self.cell.name!r}"
        return {backend: compile_program(self.source, backend, where) for backend in ("python", "numpy")}

    def function(self, backend: str):
        """The componentwise program compiled for ``backend`` (python, numpy or c)."""
        if backend not in BACKENDS:
            raise errors.SymbrnnError(f"backend={backend!r}: use one of {', '.join(BACKENDS)}")
        if backend == "c":
            return self.c_program.run
        if backend == "jax":
            raise errors.SymbrnnError("backend='jax' runs the array program: use strategy='arrays' or 'auto'")
        return self._functions[backend]

    # ------------------------------------------------------------------ C
    @property
    def c_program(self) -> CProgram:
        """The program compiled from C (built on first use; needs a C compiler)."""
        if self._c is None:
            self._c = CProgram(self.plan, name=self.cell.name)
        return self._c

    @property
    def c_source(self) -> str:
        """The C source of the same program (written without compiling it)."""
        return self._c.source if self._c is not None else c_source(self.plan, name=self.cell.name)

    # ------------------------------------------------------------------ array-level programs
    @cached_property
    def _array_program(self) -> ArrayProgram | Unsupported:
        try:
            return ArrayProgram(self.cell)
        except Unsupported as why:
            return why
        except Exception as exc:  # noqa: BLE001 - a form the writer did not foresee: run componentwise instead
            return Unsupported(f"{type(exc).__name__} while writing it: {exc}")

    @property
    def array_program(self) -> ArrayProgram | None:
        """The program written with array operations (:mod:`symbrnn.codegen.arrays`), or None if the cell has none."""
        got = self._array_program
        return None if isinstance(got, Unsupported) else got

    def has_array_program(self) -> bool:
        """True if the cell can be written with array operations."""
        return self.array_program is not None

    def checked_array_program(self) -> ArrayProgram:
        """The array-level program, or a SymbrnnError saying which part of the cell has no array form."""
        got = self._array_program
        if isinstance(got, Unsupported):
            raise errors.SymbrnnError(
                f"strategy='arrays': cell {self.cell.name!r} has no array form ({got}); use strategy='bptt'"
            )
        return got

    @cached_property
    def jax_program(self) -> JaxProgram:
        """The array-level program on JAX (lax.scan, jit); needs JAX with float64 enabled."""
        return JaxProgram(self.checked_array_program())

    # ------------------------------------------------------------------ straight-line programs
    @cached_property
    def _step_lines(self) -> int:
        return len(forward_step(self.plan, _code)) + len(backward_step(self.plan, _code))

    def straight_lines(self, T: int) -> int:
        """About how many statements the straight-line program for T has (T times one step's)."""
        return T * self._step_lines

    def straight_source(self, T: int) -> str:
        """The componentwise program written out for this T, with no loops (:func:`.codegen.python.straight_source`)."""
        T = check_steps(T)
        if self.straight_lines(T) > STRAIGHT_MAX_LINES:
            raise errors.SymbrnnError(
                f"strategy='straight' writes every step out: T={T} makes about {self.straight_lines(T):,}"
                f" statements for cell {self.cell.name!r} (at most {STRAIGHT_MAX_LINES:,}); use strategy='bptt'"
            )
        return straight_source(self.plan, T, _code)

    def straight_function(self, T: int):
        """The straight-line program for this T, compiled (the last few T are kept)."""
        fn = self._straight.pop(T, None)
        if fn is None:
            fn = compile_program(self.straight_source(T), "python", f"straight bptt of {self.cell.name!r}, T={T}")
        self._straight[T] = fn  # the most recently used last
        while len(self._straight) > STRAIGHT_KEPT:
            self._straight.pop(next(iter(self._straight)))
        return fn

    def prefers_straight(self, T: int) -> bool:
        """True from the second run at the same small T: the straight-line program is faster there.

        Measured (benchmarks, 2026-12-01): 0.56-0.9× the loop program's time up to about 300
        statements, about the same beyond; building it costs 3-20 ms, so a single run keeps the loop.
        """
        seen = self._runs.get(T, 0)
        self._runs[T] = seen + 1
        return (T in self._straight or seen >= 1) and self.straight_lines(T) <= STRAIGHT_FASTER_LINES

    # ------------------------------------------------------------------ running
    def run(self, vals: Values, *, wrt=None, backend: str = "python", arrays: bool = False, straight: bool = False):
        """The total loss and the gradients of one sequence of checked values (see :func:`.resolve_values`).

        ``wrt`` may name params, their components and initial states (``"h_0"``);
        by default every param. Values that make a step overflow or divide
        by zero raise the same :class:`~symbrnn.ValuesError` as the
        reference path, naming the quantity and the step. With ``arrays``,
        the array-level program runs (numpy or JAX), not the componentwise one; with
        ``straight``, the componentwise program written out for this T.
        """
        T = vals.T
        if arrays:
            return self._run_arrays(vals, wrt, backend)
        fn = self.straight_function(T) if straight else self.function(backend)
        try:
            with np.errstate(all="raise"):
                if straight:
                    loss, out = fn(*self.layout.python_args(vals))
                elif backend == "c":
                    loss, out = fn(T, *self.layout.c_args(vals))
                else:
                    loss, out = fn(T, *self.layout.python_args(vals))
            finite = np.isfinite(out).all() if isinstance(out, np.ndarray) else all(math.isfinite(g) for g in out)
            ok = math.isfinite(loss) and bool(finite)
        except (ArithmeticError, ValueError):  # math's overflow and domain errors, numpy's FloatingPointError
            ok = False
        if not ok:
            return reference(self.cell, T, vals, wrt=wrt)  # the checked path names the step that fails
        return float(loss), self.layout.gradients(out, wrt)

    def _run_arrays(self, vals: Values, wrt, backend: str = "numpy"):
        program = self.jax_program if backend == "jax" else self.checked_array_program()
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                loss, out = program.run(vals.T, vals.arrays)  # a ValueError here would be a bug of ours: not caught
            ok = math.isfinite(loss) and all(np.isfinite(g).all() for g in out.values())
        except ArithmeticError:  # numpy's FloatingPointError: the checked path names the step
            ok = False
        if not ok:
            return reference(self.cell, vals.T, vals, wrt=wrt)
        return float(loss), self.layout.array_gradients(out, wrt)

    def run_batch(self, values, *, T: int | None = None, wrt=None, backend: str = "numpy"):
        """Loss and gradients of N sequences (and/or N parameter sets) at once.

        Per-step data have shape ``(N, T, *shape)``; a param either has its own
        shape (shared by all N sequences) or ``(N, *shape)`` (one set per
        sequence). Returns the N losses and, per name, the N gradients (shape
        ``(N, *shape)``): each sequence's own, not their sum. ``backend`` is
        ``"numpy"`` (vectorised over the batch axis) or ``"c"`` (a C loop over
        the sequences).
        """
        if backend not in ("numpy", "c"):
            raise errors.SymbrnnError(f"backend={backend!r}: a batch runs on 'numpy' or 'c'")
        batch = resolve_batch(self.cell, values, T)
        N, T = batch.N, batch.T
        parts = self.layout.batch_args(batch)
        with np.errstate(all="ignore"):  # numpy returns inf/nan: those sequences are found below
            if backend == "c":
                loss, grad = self.c_program.run_batch(T, *self.layout.c_batch_args(parts, N, T))
                out = list(grad.T)
            else:
                loss, out = self.function("numpy")(T, *parts)
        loss = np.broadcast_to(np.asarray(loss, dtype=float), (N,))
        out = [np.broadcast_to(np.asarray(g, dtype=float), (N,)) for g in out]
        bad = ~np.isfinite(loss)
        for g in out:
            bad |= ~np.isfinite(g)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            try:
                reference(self.cell, T, batch.sequence(k), wrt=wrt)
            except errors.ValuesError as exc:
                raise errors.ValuesError(f"sequence {k} of the batch: {exc}") from None
            raise errors.ValuesError(f"sequence {k} of the batch overflows; check its values")  # pragma: no cover
        return loss.copy(), self.layout.gradients(out, wrt, batch=N)


_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def program_for(cell: Cell) -> BPTTProgram:
    """The BPTT programs of ``cell``, generated once and reused until the cell changes."""
    cached = _PROGRAMS.get(cell)
    if cached is None or cached.version != cell.version:
        cached = BPTTProgram(cell)
        _PROGRAMS[cell] = cached
    return cached
