"""check_gradients: the engine against high-precision finite differences, for your own cells.

The loss is recomputed step by step in mpmath at ``dps`` digits, straight from
the cell's expressions (no derivative code of symbrnn is involved), and each
gradient is a central difference with a step small enough that its error is far
below float64 resolution.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> report = check_gradients(elman(), T=3, values=values)
>>> report.ok
True
>>> report["U"].engine - float(report["U"].reference) < 1e-14
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import sympy as sp

from .codegen.kernels import identifiers
from .core import progress
from .core.kinds import INPUT, PARAM, STATE, TARGET
from .core.symbols import initial_name, now, param, prev
from .declare.cell import Cell
from .declare.forms import MPMATH_FUNCTIONS
from .declare.lower import expand_wrt, lowered
from .declare.values import resolve_values
from .derive.total import derive
from .numeric.compiled import compile_cell

__all__ = ["GradientComparison", "GradientReport", "check_gradients", "mp_loss"]


@dataclass(frozen=True)
class GradientComparison:
    """The engine's gradient for one param beside the finite-difference reference."""

    name: str
    engine: float
    reference: mpmath.mpf
    abs_error: float
    ok: bool


class GradientReport(dict):
    """Param name -> :class:`GradientComparison`; ``ok`` is True when the loss and all gradients agree.

    ``loss_engine`` and ``loss_reference`` are the compiled and the mpmath loss.
    """

    loss_engine: float = float("nan")
    loss_reference = None
    loss_ok: bool = True

    @property
    def ok(self) -> bool:
        return self.loss_ok and all(c.ok for c in self.values())

    #: the columns of :meth:`rows`
    COLUMNS = ("param", "engine", "finite differences", "abs error")

    def rows(self, digits: int = 17) -> list[tuple[str, str, str, str]]:
        """Each param's line, then the loss's, as text (``digits`` significant digits, MISMATCH marked)."""
        out = []
        for c in self.values():
            flag = "" if c.ok else "  MISMATCH"
            out.append((c.name, f"{c.engine:.{digits}g}", mpmath.nstr(c.reference, digits),
                        f"{c.abs_error:.2e}{flag}"))
        flag = "" if self.loss_ok else "MISMATCH"
        out.append(("loss L", f"{self.loss_engine:.{digits}g}", mpmath.nstr(self.loss_reference, digits), flag))
        return out

    def __str__(self) -> str:
        lines = [f"{self.COLUMNS[0]:<10} {self.COLUMNS[1]:>24} {self.COLUMNS[2]:>24} {self.COLUMNS[3]:>10}"]
        lines += [f"{a:<10} {b:>24} {c:>24} {d:>10}".rstrip() for a, b, c, d in self.rows()]
        return "\n".join(lines)


def mp_loss(cell: Cell, T: int, values, *, dps: int = 50):
    """A function of the params (dict name -> mpf) giving the total loss in mpmath.

    For a shaped cell the params are its components (``"W[1,0]"``).
    """
    cell = lowered(cell)
    vals = resolve_values(cell, T, values)
    order = cell.order()
    states = [n for n in order if cell.kind(n) == STATE]
    data = cell.names(INPUT) + cell.names(TARGET)
    params = cell.names(PARAM)
    args = [prev(s) for s in states] + [now(n) for n in list(data) + list(order)] + [param(p) for p in params]
    ids = identifiers(cell)
    plain = [ids[a] for a in args]
    modules = [MPMATH_FUNCTIONS, "mpmath"]
    fns = {n: sp.lambdify(plain, cell.expr(n).xreplace(ids), modules=modules) for n in order}

    def loss(theta: dict) -> mpmath.mpf:
        with mpmath.workdps(dps):
            p = [mpmath.mpf(theta[q]) for q in params]
            prevs = {s: _initial(cell, s, theta) for s in states}
            total = mpmath.mpf(0)
            for t in range(T):
                env = {n: mpmath.mpf(vals.series[n][t]) for n in data}
                for n in order:
                    row = [prevs[s] for s in states] + [env.get(m, mpmath.mpf(0)) for m in list(data) + list(order)]
                    env[n] = fns[n](*row, *p)
                prevs = {s: env[s] for s in states}
                total += env[cell.loss_name]
            return total

    return loss


def _initial(cell: Cell, state: str, theta: dict):
    if initial_name(state) in theta:  # the initial state itself is being varied
        return mpmath.mpf(theta[initial_name(state)])
    init = cell.init(state)
    return mpmath.mpf(theta[init.name]) if init.is_Symbol else mpmath.mpf(float(init))


def check_gradients(
    cell: Cell,
    T: int,
    values,
    *,
    wrt: Sequence[str] | None = None,
    mode: str = "reverse",
    dps: int = 50,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    raise_on_mismatch: bool = False,
) -> GradientReport:
    """Compare the engine's dL/dθ with central finite differences at ``dps`` digits.

    Parameters
    ----------
    cell, T, values
        As for :func:`symbrnn.gradients`.
    wrt : list of str, optional
        The params (and initial states, as ``"h_0"``) to check (default: all params).
        A shaped param or state is checked component by component; the
        report is keyed by component (``"W[1,0]"``).
    mode : {"reverse", "forward"}
        Which derivation of the engine to check.
    dps : int
        mpmath working precision in decimal digits.
    rtol, atol : float
        A gradient agrees if ``|engine - reference| <= atol + rtol * |reference|``.
    raise_on_mismatch : bool
        Raise :class:`~symbrnn.GradientCheckError` instead of returning a failing report.
    """
    from .core.errors import GradientCheckError

    # names, whatever was given: "U", a param symbol, h.at(0), "h_0", "W[1,0]", a whole shaped param
    names = [str(getattr(w, "name", w)) for w in wrt] if wrt is not None else list(cell.names(PARAM))
    names = [c for _, _, comps in expand_wrt(cell, names) for c in comps]
    vals = resolve_values(lowered(cell), T, values)
    loss = mp_loss(cell, T, values, dps=dps)
    report = GradientReport()
    with mpmath.workdps(dps):
        base = {q: mpmath.mpf(v) for q, v in vals.params.items()}
        report.loss_reference = loss(base)
        report.loss_engine = compile_cell(cell).loss(values, T=T)
        loss_err = abs(mpmath.mpf(report.loss_engine) - report.loss_reference)
        report.loss_ok = bool(loss_err <= atol + rtol * abs(report.loss_reference))
        for name in progress.track(names, "checking gradients against finite differences"):
            d = derive(cell, T, wrt=name, mode=mode)
            engine = d.value(values)
            up = dict(base)
            if name not in up:  # an initial state, e.g. "h_0"
                up[name] = mpmath.mpf(vals.initial[d.wrt.base])
            eps = mpmath.mpf(10) ** (-(dps // 3)) * max(1, abs(up[name]))  # relative to the value
            down = dict(up)
            up[name] += eps
            down[name] -= eps
            ref = (loss(up) - loss(down)) / (2 * eps)
            err = float(abs(mpmath.mpf(engine) - ref))
            report[name] = GradientComparison(name, engine, ref, err, err <= atol + rtol * float(abs(ref)))
    if raise_on_mismatch and not report.ok:
        raise GradientCheckError(f"gradients of cell {cell.name!r} disagree with finite differences:\n{report}")
    return report
