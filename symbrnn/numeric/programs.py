"""Generated BPTT: one Python function per cell that runs the forward and the backward loop.

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
sets, at once).

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
>>> loss, grads = program.run(3, values)
>>> round(loss, 12), round(grads["U"], 12)
(0.046575036937, -0.07697096081)
"""

from __future__ import annotations

import functools
import math
import weakref
from functools import cached_property

import numpy as np
from sympy.printing.numpy import NumPyPrinter

from ..codegen.arrays.plan import Unsupported
from ..codegen.arrays.program import ArrayProgram, _free_names
from ..codegen.c.program import CProgram
from ..codegen.c.source import c_source
from ..codegen.jax import JaxProgram
from ..codegen.plan import BPTTPlan, backward_step, forward_step, python_source, straight_source
from ..core import errors
from ..declare.cell import INPUT, PARAM, STATE, TARGET, Cell
from ..declare.functions import NUMPY_FUNCTIONS
from ..declare.lower import assemble, components, expand_wrt, lowered
from ..declare.tensor import split_component
from ..declare.values import resolve_values
from ..derive.unroll import check_steps
from .recursion import reference

__all__ = ["BACKENDS", "BPTTProgram", "program_for"]

BACKENDS = ("python", "numpy", "c", "jax")
STRAIGHT_FASTER_LINES = 300  # up to this many statements the straight-line program beats the loop (measured)
STRAIGHT_MAX_LINES = 50_000  # a larger straight-line program is refused even when forced
STRAIGHT_KEPT = 8  # straight-line programs kept per cell (one per T)
T_AXIS = object()  # stands for the steps' axis in a quantity's expected shape


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softmax(k, *z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return e[int(k)] / math.fsum(e)


def _logsumexp(*z):
    m = max(z)
    return m + math.log(math.fsum(math.exp(v - m) for v in z))


def _namespace(backend: str) -> dict:
    space = {k: getattr(np, k) for k in dir(np) if not k.startswith("_")}
    space.update(NUMPY_FUNCTIONS)
    if backend == "python":  # plain floats: math is several times faster than numpy on scalars
        space.update(
            tanh=math.tanh, exp=math.exp, log=math.log, sqrt=math.sqrt, sin=math.sin, cos=math.cos,
            cosh=math.cosh, sinh=math.sinh, sigmoid=_sigmoid, relu=lambda x: x if x > 0 else 0.0,
            Softmax=_softmax, logsumexp=_logsumexp,
        )
    space["reduce"] = functools.reduce  # sympy's printer writes Max and Min as reduce(maximum, ...)
    space["erf"] = math.erf if backend == "python" else np.vectorize(math.erf, otypes=[float])
    space["__builtins__"] = {"range": range, "len": len}
    return space


def _compiled(source: str, backend: str, where: str):
    """``bptt`` of a generated source, after checking its namespace has every name the source reads."""
    space = _namespace(backend)
    unknown = sorted(_free_names(source) - set(space) - set(space["__builtins__"]))
    if unknown:  # a sympy function the printer writes with a name no backend here provides
        raise errors.BackendError(
            f"the generated program of {where} calls {', '.join(map(repr, unknown))}, which has no numeric form"
            f" on backend={backend!r}; the symbolic derivation (derive) still works"
        )
    exec(compile(source, f"<symbrnn {where}>", "exec"), space)  # our own generated code, never user text
    return space["bptt"]


class _Printer(NumPyPrinter):
    """numpy's printer with bare function names (the namespace decides which implementation runs)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})


class BPTTProgram:
    """The generated forward-and-backward program of one cell (independent of T).

    Parameters
    ----------
    cell : Cell
        Scalar or shaped (a shaped cell runs on its components).

    Attributes
    ----------
    source : str
        The generated Python source of ``bptt(T, data..., params..., initial states...)``,
        which returns the total loss and the gradients, then dL/ds_0 per state.
    """

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell, self.version = cell, cell.version
        # how values map to the program's arguments; the programs themselves are generated on first use
        self._shapes = {n: ((T_AXIS,) if cell.kind(n) != PARAM else ()) + cell.shape(n)
                        for n in cell.names(INPUT) + cell.names(TARGET) + cell.names(PARAM)}
        self._default_plan = expand_wrt(cell, list(cell.names(PARAM)))
        self._c = None
        self._straight: dict[int, object] = {}  # T -> straight-line program, most recently used last
        self._runs: dict[int, int] = {}  # T -> runs of the componentwise Python program

    @cached_property
    def _low(self) -> Cell:
        return lowered(self.cell)

    @cached_property
    def plan(self) -> BPTTPlan:
        """What the componentwise program computes (:class:`~symbrnn.codegen.plan.BPTTPlan`)."""
        return BPTTPlan(self._low)

    @cached_property
    def source(self) -> str:
        """The Python source of the componentwise program."""
        return python_source(self.plan, _Printer().doprint)  # the plan's expressions are sympy objects, never text

    @cached_property
    def _functions(self) -> dict:
        where = f"bptt of {self.cell.name!r}"
        return {backend: _compiled(self.source, backend, where) for backend in ("python", "numpy")}

    @cached_property
    def _order(self) -> tuple[tuple, tuple, tuple]:
        """The lowered cell's states (in step order), data and params: the componentwise program's arguments."""
        low = self._low
        states = tuple(n for n in low._step_order() if low.kind(n) == STATE)
        return states, low.names(INPUT) + low.names(TARGET), low.names(PARAM)

    @property
    def _states(self) -> tuple:
        return self._order[0]

    @property
    def _data(self) -> tuple:
        return self._order[1]

    @property
    def _params(self) -> tuple:
        return self._order[2]

    @cached_property
    def _data_at(self) -> list:
        return [_split(n) for n in self._data]

    @cached_property
    def _params_at(self) -> list:
        return [_split(p) for p in self._params]

    @cached_property
    def _inits(self) -> list:
        low = self._low
        return [(self._params.index(low.init(s).name) if low.init(s).is_Symbol else float(low.init(s)))
                for s in self._states]

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

    # ------------------------------------------------------------------ straight-line programs
    @cached_property
    def _step_lines(self) -> int:
        printer = _Printer().doprint
        return len(forward_step(self.plan, printer)) + len(backward_step(self.plan, printer))

    def straight_lines(self, T: int) -> int:
        """About how many statements the straight-line program for T has (T times one step's)."""
        return T * self._step_lines

    def straight_source(self, T: int) -> str:
        """The componentwise program written out for this T, with no loops (:func:`.bptt_plan.straight_source`)."""
        T = check_steps(T)
        if self.straight_lines(T) > STRAIGHT_MAX_LINES:
            raise errors.SymbrnnError(
                f"strategy='straight' writes every step out: T={T} makes about {self.straight_lines(T):,}"
                f" statements for cell {self.cell.name!r} (at most {STRAIGHT_MAX_LINES:,}); use strategy='bptt'"
            )
        return straight_source(self.plan, T, _Printer().doprint)

    def straight_function(self, T: int):
        """The straight-line program for this T, compiled (the last few T are kept)."""
        fn = self._straight.pop(T, None)
        if fn is None:
            fn = _compiled(self.straight_source(T), "python", f"straight bptt of {self.cell.name!r}, T={T}")
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

    @cached_property
    def jax_program(self) -> JaxProgram:
        """The array-level program on JAX (lax.scan, jit); needs JAX with float64 enabled."""
        return JaxProgram(self.checked_array_program())

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

    def __repr__(self) -> str:
        return f"BPTTProgram({self.cell.name!r})"

    def run(self, T: int, values, *, wrt=None, backend: str = "python", arrays: bool = False,
            straight: bool = False):
        """The total loss and the gradients of one sequence, like :func:`symbrnn.numeric.gradients.loss_and_gradients`.

        ``wrt`` may name params, their components and initial states (``"h_0"``);
        by default every param. Values that make a step overflow or divide
        by zero raise the same :class:`~symbrnn.ValuesError` as the
        reference path, naming the quantity and the step. With ``arrays``,
        the array-level program runs (numpy), not the componentwise one; with
        ``straight``, the componentwise program written out for this T.
        """
        T = check_steps(T)
        if arrays:
            return self._run_arrays(T, values, wrt, backend)
        fn = self.straight_function(T) if straight else self._function(backend)
        try:
            with np.errstate(all="raise"):
                if straight:
                    loss, out = fn(*self._python_inputs(values, T))
                elif backend == "c":
                    loss, out = fn(T, *self._c_inputs(values, T))
                else:
                    loss, out = fn(T, *self._python_inputs(values, T))
            finite = np.isfinite(out).all() if isinstance(out, np.ndarray) else all(math.isfinite(g) for g in out)
            ok = math.isfinite(loss) and bool(finite)
        except (ArithmeticError, ValueError):  # math's overflow and domain errors, numpy's FloatingPointError
            ok = False
        if not ok:
            return self._reference(T, values, wrt)
        return float(loss), self._assemble(out, wrt)

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
        data, N, T = self._batch_inputs(values, T)
        try:
            with np.errstate(all="ignore"):
                if backend == "c":
                    loss, grad = self.c_program.run_batch(T, *_c_batch(data, N, T, len(self._data), len(self._params)))
                    out = list(grad.T)
                else:
                    loss, out = self._function("numpy")(T, *data)
        except (ArithmeticError, ValueError) as exc:  # pragma: no cover - numpy returns inf/nan instead
            raise errors.ValuesError(f"the batch fails ({exc}); check the values") from None
        loss = np.broadcast_to(np.asarray(loss, dtype=float), (N,))
        out = [np.broadcast_to(np.asarray(g, dtype=float), (N,)) for g in out]
        bad = ~np.isfinite(loss)
        for g in out:
            bad |= ~np.isfinite(g)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            try:
                self._reference(T, _pick_sequence(self.cell, values, k, N), wrt)
            except errors.ValuesError as exc:
                raise errors.ValuesError(f"sequence {k} of the batch: {exc}") from None
            raise errors.ValuesError(f"sequence {k} of the batch overflows; check its values")  # pragma: no cover
        return loss.copy(), self._assemble(out, wrt, batch=N)

    def _run_arrays(self, T: int, values, wrt, backend: str = "numpy"):
        program = self.jax_program if backend == "jax" else self.checked_array_program()
        arrays = self._fast_arrays(values, T)
        if arrays is None:
            arrays = self._checked_arrays(values, T)
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                loss, out = program.run(T, arrays)  # a ValueError here would be a bug of ours: it is not caught
            ok = math.isfinite(loss) and all(np.isfinite(g).all() for g in out.values())
        except ArithmeticError:  # numpy's FloatingPointError: the checked path names the step
            ok = False
        if not ok:
            return self._reference(T, values, wrt)
        return float(loss), self._assemble_arrays(out, wrt)

    def _checked_arrays(self, values, T: int) -> dict:
        """The values through the checked path (it says what is wrong), as one array per quantity."""
        series, params, _ = self._checked_inputs(values, T)
        cell, out = self.cell, {}
        columns = dict(zip(self._data, series, strict=True)) | dict(zip(self._params, params, strict=True))
        for n in cell.names(INPUT) + cell.names(TARGET) + cell.names(PARAM):
            parts = [columns[c] for c in components(cell, n)]
            arr = np.array(parts, dtype=float)
            out[n] = arr.T.reshape((T, *cell.shape(n))) if cell.kind(n) != PARAM else arr.reshape(cell.shape(n))
        return out

    def _assemble_arrays(self, grads: dict, wrt) -> dict:
        plan = self._default_plan if wrt is None else expand_wrt(self.cell, [str(getattr(w, "name", w)) for w in wrt])
        out, flat = {}, None
        for n, shape, comps in plan:
            if n in grads:  # a whole param or initial state
                out[n] = np.array(grads[n], dtype=float) if shape else float(grads[n])
                continue
            if flat is None:  # a component, such as W[1,0] or h[0]_0
                flat = {}
                for name, g in grads.items():
                    base = name[:-2] if name.endswith("_0") and name[:-2] in self.cell.names(STATE) else name
                    suffix = "_0" if base != name else ""
                    flat.update({c + suffix: v for c, v in zip(components(self.cell, base), np.ravel(g), strict=True)})
            if comps[0] not in flat:
                raise errors.WrtError(f"wrt={comps[0]}: not a param or an initial state of cell {self.cell.name!r}")
            out[n] = float(flat[comps[0]])
        return out

    # ------------------------------------------------------------------ helpers
    def _function(self, backend: str):
        if backend not in BACKENDS:
            raise errors.SymbrnnError(f"backend={backend!r}: use one of {', '.join(BACKENDS)}")
        if backend == "c":
            return self.c_program.run
        if backend == "jax":
            raise errors.SymbrnnError("backend='jax' runs the array program: use strategy='arrays' or 'auto'")
        return self._functions[backend]

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

    def _reference(self, T, values, wrt):
        return reference(self.cell, T, values, wrt=wrt)  # the checked path names the step that fails

    def _assemble(self, out, wrt, batch: int | None = None) -> dict:
        if wrt is None and batch is None and self._in_order:
            return self._whole_gradients(out)
        grads = dict(zip(self._params, out, strict=False))
        grads.update({f"{s}_0": g for s, g in zip(self._states, out[len(self._params):], strict=True)})
        if wrt is None:
            plan = self._default_plan
        else:
            plan = expand_wrt(self.cell, [str(getattr(w, "name", w)) for w in wrt])
        for _, _, comps in plan:
            for c in comps:
                if c not in grads:
                    raise errors.WrtError(f"wrt={c}: not a param or an initial state of cell {self.cell.name!r}")
        for s, i in zip(self._states, self._inits, strict=True):  # an initial state that is a param:
            if isinstance(i, int):  # its gradient includes dL/ds_0
                grads[self._params[i]] = grads[self._params[i]] + grads[f"{s}_0"]
        if batch is None:
            return assemble(plan, {k: float(v) for k, v in grads.items()})
        out = {}
        for n, shape, comps in plan:
            arr = np.stack([grads[c] for c in comps], axis=-1)
            out[n] = arr.reshape((batch, *shape))
        return out

    def _fast_arrays(self, values, T: int) -> dict | None:
        """Well-formed values as float arrays by name; None if anything is unusual."""
        if not isinstance(values, dict) or len(values) != len(self._shapes):
            return None
        arrays = {}
        for k, v in values.items():
            n = k if isinstance(k, str) else str(getattr(k, "name", k))
            want = self._shapes.get(n)
            try:
                raw = np.asarray(v)
            except (ValueError, TypeError):  # ragged or odd data: the checked path says what is wrong
                return None
            if want is None or raw.dtype.kind not in "iuf" or raw.shape != tuple(T if d is T_AXIS else d for d in want):
                return None
            arr = raw.astype(float)
            if not np.isfinite(arr).all():
                return None
            arrays[n] = arr
        return arrays if len(arrays) == len(self._shapes) else None

    def _checked_inputs(self, values, T: int) -> tuple[list, list, list]:
        """Per-step series, params and initial states through the checked path (it says what is wrong)."""
        vals = resolve_values(self._low, T, values)
        return ([vals.series[n] for n in self._data], [vals.params[p] for p in self._params],
                [vals.initial[s] for s in self._states])

    def _python_inputs(self, values, T: int) -> list:
        """The Python program's arguments: a list per data component, then floats."""
        arrays = self._fast_arrays(values, T)
        if arrays is None:
            series, params, inits = self._checked_inputs(values, T)
            return series + params + inits
        args = [arrays[base][(slice(None), *idx)].tolist() for base, idx in self._data_at]
        params = [float(arrays[base][idx]) for base, idx in self._params_at]
        return args + params + [params[i] if isinstance(i, int) else i for i in self._inits]

    def _c_inputs(self, values, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The C program's arguments: the data as one (data, T) array, the params, the initial states."""
        arrays = self._fast_arrays(values, T)
        if arrays is None:
            series, params, inits = self._checked_inputs(values, T)
            seq = np.array(series, dtype=float).reshape(len(self._data), T)
            return seq, np.array(params, dtype=float), np.array(inits, dtype=float)
        if self._in_order:  # the components are the quantities' own, row-major, one after the other
            data = [arrays[n].reshape(T, -1) for n in self._shaped_data]
            seq = np.ascontiguousarray(np.concatenate(data, axis=1).T) if data else np.empty((0, T))
            params = np.concatenate([np.ravel(arrays[p]) for p, _, _ in self._param_layout] or [np.empty(0)])
        else:  # pragma: no cover - lowering keeps that order
            seq = np.empty((len(self._data_at), T))
            for k, (base, idx) in enumerate(self._data_at):
                seq[k] = arrays[base][(slice(None), *idx)]
            params = np.array([arrays[base][idx] for base, idx in self._params_at], dtype=float)
        inits = np.array([params[i] if isinstance(i, int) else i for i in self._inits], dtype=float)
        return seq, params, inits

    @cached_property
    def _shaped_data(self) -> tuple:
        return self.cell.names(INPUT) + self.cell.names(TARGET)

    @cached_property
    def _in_order(self) -> bool:
        """True if the lowered data and params are each quantity's components in turn (row-major)."""
        cell = self.cell
        data = [c for n in cell.names(INPUT) + cell.names(TARGET) for c in components(cell, n)]
        params = [c for n in cell.names(PARAM) for c in components(cell, n)]
        return tuple(data) == tuple(self._data) and tuple(params) == tuple(self._params)

    def _whole_gradients(self, out) -> dict:
        """Every param's gradient (arrays if shaped) from the program's flat output, with no dict per component."""
        n = len(self._params)
        flat = np.array(out[:n], dtype=float)
        tail = np.asarray(out[n:], dtype=float)
        for k, i in enumerate(self._inits):  # an initial state that is a param: its gradient includes dL/ds_0
            if isinstance(i, int):
                flat[i] += tail[k]
        grads, at = {}, 0
        for p, shape, size in self._param_layout:
            grads[p] = flat[at:at + size].reshape(shape) if shape else float(flat[at])
            at += size
        return grads

    @cached_property
    def _param_layout(self) -> list:
        return [(p, self.cell.shape(p), math.prod(self.cell.shape(p))) for p in self.cell.names(PARAM)]

    def _batch_inputs(self, values, T):
        if not hasattr(values, "items"):
            raise errors.ValuesError(f"values must be a mapping of names to arrays, got {type(values).__name__}")
        given = {str(getattr(k, "name", k)): v for k, v in values.items()}
        cell = self.cell
        for k in given:
            if k not in cell.names() or cell.kind(k) not in (INPUT, TARGET, PARAM):
                raise errors.UnknownValueError(f"values: {k!r} is not a param, input or target of cell {cell.name!r}")
        arrays, N = {}, None
        for n in cell.names(INPUT) + cell.names(TARGET) + cell.names(PARAM):
            if n not in given:
                raise errors.MissingValueError(f"values: no value for {cell.kind(n)} {n!r}")
            try:
                arr = np.asarray(given[n], dtype=float)
            except (TypeError, ValueError):
                raise errors.ValuesError(f"values: {n!r} is not an array of numbers") from None
            shape = cell.shape(n)
            per_step = cell.kind(n) != PARAM
            lead = arr.ndim - len(shape)
            if arr.shape[lead:] != shape or lead not in ((2,) if per_step else (0, 1)):
                want = f"(N, T, {', '.join(map(str, shape))})" if per_step else f"{shape} or (N, *{shape})"
                raise errors.ValuesError(f"values: {n!r} has shape {arr.shape}; a batch needs {want}")
            if lead:
                if N is not None and arr.shape[0] != N:
                    raise errors.ValuesError(f"values: {n!r} has {arr.shape[0]} rows but the batch has {N}")
                N = arr.shape[0]
            if per_step:
                if T is not None and arr.shape[1] != T:
                    raise errors.SequenceLengthError(f"values: {n!r} has {arr.shape[1]} steps but T={T}")
                T = arr.shape[1]
            if not np.isfinite(arr).all():
                raise errors.ValuesError(f"values: {n!r} has a value that is not a finite number")
            arrays[n] = arr
        if T is None:
            raise errors.MissingValueError("cannot tell T: give T=... or the inputs as (N, T, ...) arrays")
        T = check_steps(T)
        if N is None:
            N = 1
        parts = []
        for n in self._data:
            base, idx = _split(n)
            parts.append(arrays[base][(slice(None), slice(None), *idx)].T.copy())  # (T, N)
        for p in self._params:
            base, idx = _split(p)
            parts.append(arrays[base][(Ellipsis, *idx)] if idx else arrays[base])
        for s in self._states:
            init = self._low.init(s)
            parts.append(parts[len(self._data) + self._params.index(init.name)] if init.is_Symbol else float(init))
        return parts, N, T


def _split(name: str) -> tuple[str, tuple]:
    found = split_component(name)
    return found if found else (name, ())


def _c_batch(parts: list, N: int, T: int, n_data: int, n_params: int):
    """The numpy batch arguments (data as (T, N) arrays, then params, then initial states) for the C loop."""
    seq = np.ascontiguousarray(np.stack(parts[:n_data], axis=0).transpose(2, 0, 1)) if n_data else np.empty((N, 0, T))

    def rows(values: list) -> np.ndarray:
        if not values:
            return np.empty((1, 0))
        shared = all(np.ndim(v) == 0 for v in values)
        cols = [np.asarray(v, dtype=float) if shared else np.broadcast_to(np.asarray(v, dtype=float), (N,))
                for v in values]
        return np.ascontiguousarray(np.stack(cols, axis=-1).reshape(1 if shared else N, len(values)))

    return seq, rows(parts[n_data:n_data + n_params]), rows(parts[n_data + n_params:])


def _pick_sequence(cell: Cell, values, k: int, N: int) -> dict:
    """Sequence ``k`` of a batch, as the values of one sequence."""
    out = {}
    for key, v in values.items():
        n = str(getattr(key, "name", key))
        arr = np.asarray(v, dtype=float)
        lead = arr.ndim - len(cell.shape(n))
        out[n] = arr[k] if lead and arr.shape[0] == N else arr
    return out


_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def program_for(cell: Cell) -> BPTTProgram:
    """The BPTT program of ``cell``, generated once and reused until the cell changes."""
    cached = _PROGRAMS.get(cell)
    if cached is None or cached.version != cell.version:
        cached = BPTTProgram(cell)
        _PROGRAMS[cell] = cached
    return cached
