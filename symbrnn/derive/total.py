"""derive(cell, T, wrt): the total derivative, every chain-rule term kept and labelled.

Forward mode (RTRL) carries dv_t/dθ forward: for each state,
dh_t/dθ = ∂h_t/∂θ (explicit, h_{t-1} held fixed) + ∂h_t/∂h_{t-1} · dh_{t-1}/dθ
(implicit), summed over the previous states h_t depends on; for the loss,
dL_t/dθ = ∂L_t/∂θ (explicit) + ∂L_t/∂h_t · dh_t/dθ (chain), over the state
values it reads. Reverse mode (BPTT) carries deltas backward:
δh_t = ∂L_t/∂h_t + δh_{t+1} · ∂h_{t+1}/∂h_t, and dL/dθ = Σ_t Σ_v δv_t · ∂v_t/∂θ.

Both build a straight-line program of :class:`~symbrnn.derive.terms.Term` objects
whose expressions refer to earlier terms by name, so the size is linear in T.

Examples
--------
>>> from symbrnn.cells import elman
>>> cell = elman()
>>> U = cell.symbol("U")
>>> d = derive(cell, T=3, wrt=U)
>>> d.explicit(3)
Term(kind='explicit', quantity='h', t=3, symbol=∂h_3/∂U, expr=h_2*(1 - tanh(a_3)**2), via=None, value=None)
>>> print(d.total(3).expr)
∂h_3/∂U + ∂h_3/∂h_2*dh_2/dU
>>> print(d.loss_gradient(3).expr)
∂L_3/∂h_3*dh_3/dU
>>> print(d.result.expr)
dL_1/dU + dL_2/dU + dL_3/dU
>>> r = derive(cell, T=3, wrt=U, mode="reverse")
>>> print(r.delta(2).expr)
∂L_2/∂h_2 + ∂h_3/∂h_2*δh_3
"""

from __future__ import annotations

from functools import cached_property

import sympy as sp

from ..core import errors, gcpause, progress
from ..core.display import Displayed
from ..core.kinds import INPUT, PARAM, STATE, TARGET, a
from ..core.symbols import MAX_SYMBOLIC_STEPS, Named, Now, Prev, Step, check_steps, initial_name, split_step, step
from ..declare.cell import Cell
from ..declare.lower import lowered
from ..declare.tensor import Tensor, component_name, shape_text
from .matrix.total import MatrixDerivative, is_whole
from .numbers import numbers_for
from .partials import CellPartials
from .terms import Term, TermIndex
from .unroll import Unrolled, step_substitution

__all__ = ["MODES", "TotalDerivative", "derive"]

MODES = ("forward", "reverse")


def _named(text: str) -> Named:
    return Named(text, real=True)


def resolve_wrt(cell: Cell, wrt) -> sp.Symbol:
    """The param symbol or initial-state symbol ``wrt`` refers to, or a :class:`WrtError`."""
    source = cell.origin if cell.origin is not None else cell  # a shaped cell's arrays, not its components
    params = ", ".join(source.names(PARAM)) or "none"
    initials = ", ".join(initial_name(s) for s in source.names(STATE)) or "none"
    example = next((n for n in source.names(PARAM) if source.shape(n)), None)
    whole = f", or a component such as {component_name(example, (0,) * len(source.shape(example)))}" if example else ""
    allowed = f"a param ({params}{whole}) or an initial state ({initials})"
    _refuse_whole_tensor(cell, wrt)
    if isinstance(wrt, str):
        name = wrt
    elif isinstance(wrt, sp.Symbol) and not isinstance(wrt, (Now, Prev)):
        name = wrt.name
    elif isinstance(wrt, (Now, Prev)):
        kind = cell.kind(wrt.name) if wrt.name in cell.names() else "unknown quantity"
        hint = f"; for its initial value use {wrt.name}.at(0)" if kind == STATE else ""
        raise errors.WrtError(f"wrt={wrt}: {wrt.name!r} is {a(kind)} of cell {cell.name!r}, not {allowed}{hint}")
    else:
        raise errors.WrtError(f"wrt={wrt!r}: expected {allowed}")
    if name in cell.names():
        kind = cell.kind(name)
        if kind == PARAM:
            return cell.symbol(name)
        hint = f"; for its initial value use wrt={initial_name(name)!r}" if kind == STATE else ""
        raise errors.WrtError(
            f"wrt={name}: {name!r} is {a(kind)} of cell {cell.name!r}; derive with respect to {allowed}{hint}"
        )
    state = cell.initial_of(name)
    if state is not None:
        return step(state, 0)
    raise errors.WrtError(f"wrt={name}: cell {cell.name!r} has no {name!r}; derive with respect to {allowed}")


def _refuse_whole_tensor(cell: Cell, wrt) -> None:
    """A shaped param or initial state is derived one component at a time: say so."""
    origin = cell.origin
    name = wrt.name if isinstance(wrt, Tensor) else wrt if isinstance(wrt, str) else None
    if origin is None or name is None:
        return
    state = origin.initial_of(name)
    if name in origin.names() and origin.kind(name) != PARAM:  # an input, target, state or node: not a wrt at all
        hint = f"; for its initial value use wrt={initial_name(name)!r}" if origin.kind(name) == STATE else ""
        params = ", ".join(origin.names(PARAM)) or "none"
        raise errors.WrtError(f"wrt={name}: {name!r} is {a(origin.kind(name))} of cell {origin.name!r}; derive"
                              f" with respect to a param ({params}) or an initial state{hint}")
    if name in origin.names() and origin.shape(name):
        example, shape = component_name(name, (0,) * len(origin.shape(name))), origin.shape(name)
    elif state is not None and origin.shape(state):
        example, shape = initial_name(component_name(state, (0,) * len(origin.shape(state)))), origin.shape(state)
    else:
        return
    raise errors.WrtError(
        f"wrt={name}: {name!r} has shape {shape_text(shape)}; a componentwise derivation takes one component"
        f" (wrt={example!r}); derive(cell, T, wrt={name!r}) gives the whole array's, in reverse mode"
    )


def resolve_of(cell: Cell, T: int, of) -> tuple[str, int | None]:
    """The quantity name and step the derivative is of; step None means the total loss."""
    loss = cell.loss_name
    if of is None or (isinstance(of, (str, sp.Symbol)) and str(getattr(of, "name", of)) == loss):
        return loss, None
    if isinstance(of, Step):
        base, t = of.base, of.t
    elif isinstance(of, str) and split_step(of):
        base, t = split_step(of)
    else:
        raise errors.WrtError(
            f"of={of!r}: give a quantity at a step, e.g. of=h.at(2) or of='h_2', or None for the total loss {loss}"
        )
    origin = cell.origin
    if base not in cell.names() and origin is not None and base in origin.names() and origin.shape(base):
        example = component_name(base, (0,) * len(origin.shape(base)))
        raise errors.WrtError(
            f"of={base}_{t}: {base!r} has shape {shape_text(origin.shape(base))}; give one component,"
            f" e.g. of='{example}_{t}'"
        )
    if base not in cell.names() or cell.kind(base) in (INPUT, TARGET, PARAM):
        what = a(cell.kind(base)) if base in cell.names() else "not a quantity of the cell"
        raise errors.WrtError(f"of={base}_{t}: {base!r} is {what}; give a state, node or the loss at a step")
    if not 1 <= t <= T:
        raise errors.WrtError(f"of={base}_{t}: step {t} is outside 1..{T}")
    return base, t


class TotalDerivative(TermIndex, Displayed):
    """The total derivative d(of)/d(wrt) of an unrolled cell, as labelled terms (symbolic, lazy).

    Built by :func:`derive`. The terms are built on first use; :meth:`value`
    and :meth:`evaluate` compile per-step kernels and compute numbers.

    Attributes
    ----------
    cell : Cell
    T : int
    wrt : sympy.Symbol
        A param, or an initial state such as ``h_0``.
    of : sympy.Symbol
        ``L`` (the total loss) or a quantity at a step such as ``h_3``.
    target : str
        The quantity ``of`` is (``"L"``, ``"h"``).
    of_step : int or None
        The step of ``of``; None for the total loss.
    mode : {"forward", "reverse"}
    states : tuple of str
        The cell's states in the order a step computes them.
    """

    def __init__(self, cell: Cell, T: int, wrt, of=None, mode: str = "forward"):
        self.T = check_steps(T, MAX_SYMBOLIC_STEPS)
        cell.validate()
        cell = lowered(cell)  # a shaped cell is derived componentwise: wrt W[1,0], h[2]_0, ...
        if mode not in MODES:
            raise errors.WrtError(f"mode={mode!r}: use 'forward' (explicit + implicit terms) or 'reverse' (deltas)")
        self.cell, self.mode = cell, mode
        self.wrt = resolve_wrt(cell, wrt)
        self.target, self.of_step = resolve_of(cell, self.T, of)
        self.of = sp.Symbol(self.target) if self.of_step is None else step(self.target, self.of_step)
        self.cell_partials = CellPartials(cell)
        self.states = cell.states()
        self.default_quantity = self.states[0] if len(self.states) == 1 else None

    def __repr__(self) -> str:
        return f"TotalDerivative(d{self.of}/d{self.wrt}, cell={self.cell.name!r}, T={self.T}, mode={self.mode!r})"

    @cached_property
    def unrolled(self) -> Unrolled:
        """The unrolled graph whose forward values the terms refer to."""
        return Unrolled(self.cell, self.T)

    @cached_property
    def terms(self) -> tuple[Term, ...]:
        """Every term in evaluation order, ending with the result."""
        with gcpause.paused():  # acyclic objects only: the collector's walks made long T superlinear
            return tuple(self._forward() if self.mode == "forward" else self._reverse())

    @property
    def expr(self) -> sp.Expr:
        """The result's expression in named terms (``dL_1/dU + dL_2/dU + ...``)."""
        return self.result.expr

    def expand(self, *, forward_values: bool = True) -> sp.Expr:
        """The closed form: every named term replaced by its expression, recursively.

        With ``forward_values`` the forward values (a_t, h_t, ...) are replaced
        too, leaving params, inputs and targets. Built only when asked for: it
        grows fast with T.
        """
        env: dict[sp.Symbol, sp.Expr] = {}
        for term in self.terms:
            env[term.symbol] = term.expr.xreplace(env)
        result = env[self.result.symbol]
        if forward_values:
            result = self.unrolled.expanded(result, keep_initial=isinstance(self.wrt, Step))
        return result

    def value(self, values) -> float:
        """The derivative's number for the given values (params, inputs and targets).

        For the total loss this runs the recursion on numbers only, without
        building the symbolic terms; :meth:`evaluate` gives every term's number.
        """
        return numbers_for("value")(self, values)

    def evaluate(self, values):
        """Every term's number: an :class:`~symbrnn.numeric.evaluate.Evaluation`."""
        return numbers_for("evaluate")(self, values)

    # ----------------------------------------------------------------- programs
    def _steps(self) -> range:
        return range(1, (self.of_step or self.T) + 1)

    def _tracked(self, steps: range):
        """``steps``, with one progress tick per step built (see :mod:`symbrnn.core.progress`)."""
        return progress.track(steps, f"deriving d{self.of}/d{self.wrt} ({self.mode} mode)")

    def _levels(self, t: int) -> list[str]:
        levels = list(self.states)
        if self.of_step is None:
            levels.append(self.cell.loss_name)
        elif t == self.of_step and self.target not in levels:
            levels.append(self.target)
        return levels

    def _init_derivative(self, state: str) -> sp.Integer:
        return sp.Integer(self.cell.init_derivative(state, self.wrt.name))

    def _explicit(self, v: str, t: int, sub: dict) -> Term:
        vt, theta = step(v, t).name, self.wrt.name
        if isinstance(self.wrt, Step):
            # an initial state has no explicit dependence at any step
            return Term("explicit", v, t, _named(f"∂{vt}/∂{theta}|explicit"), sp.S.Zero)
        expr = self.cell_partials.partial(v, self.wrt).xreplace(sub)
        return Term("explicit", v, t, _named(f"∂{vt}/∂{theta}"), expr, template=(v, self.wrt))

    def _partial_terms(self, v: str, t: int, sub: dict) -> list[Term]:
        vt = step(v, t).name
        return [
            Term("partial", v, t, _named(f"∂{vt}/∂{sub[z].name}"), self.cell_partials.partial(v, z).xreplace(sub),
                 via=sub[z], template=(v, z))
            for z in self.cell_partials.frontier(v)
        ]

    def _forward(self) -> list[Term]:
        theta, terms = self.wrt.name, []
        D = {step(s, 0): self._init_derivative(s) for s in self.states}
        for t in self._tracked(self._steps()):
            sub = step_substitution(self.cell, t)
            for v in self._levels(t):
                vt = step(v, t)
                explicit = self._explicit(v, t, sub)
                partials = self._partial_terms(v, t, sub)
                chain = sp.Add(*(p.ref * D[p.via] for p in partials))
                total = Term("total", v, t, _named(f"d{vt.name}/d{theta}"), explicit.ref + chain)
                terms += [explicit, *partials]
                kind = "implicit" if self.cell.kind(v) == STATE else "chain"
                terms.append(Term(kind, v, t, _named(f"{kind}(d{vt.name}/d{theta})"), chain))
                terms.append(total)
                D[vt] = total.ref
        if self.of_step is None:
            result = sp.Add(*(D[step(self.target, t)] for t in self._steps()))
        else:
            result = D[self.of]
        terms.append(Term("result", self.target, None, _named(f"d{self.of}/d{theta}"), result))
        return terms

    def _reverse(self) -> list[Term]:
        theta, terms = self.wrt.name, []
        delta: dict[Step, sp.Expr] = {}
        P: dict[tuple[str, int], dict[Step, sp.Expr]] = {}
        contributions = []
        last = self._steps()[-1]
        for t in self._tracked(self._steps()[::-1]):
            sub = step_substitution(self.cell, t)
            explicit = {}
            for v in self._levels(t):
                explicit[v] = self._explicit(v, t, sub)
                partials = self._partial_terms(v, t, sub)
                P[v, t] = {p.via: p.ref for p in partials}
                terms += [explicit[v], *partials]
            for v in reversed(self._levels(t)):
                vt = step(v, t)
                if self.cell.kind(v) != STATE or (v == self.target and t == self.of_step):
                    delta[vt] = sp.S.One  # the loss (or the target) itself
                    continue
                terms.append(self._delta(v, t, last, delta, P))
                delta[vt] = terms[-1].ref
            share = sp.Add(*(delta[step(v, t)] * explicit[v].ref for v in self._levels(t)))
            contributions.append(Term("contribution", self.target, t, _named(f"d{self.of}/d{theta}[{t}]"), share))
            terms.append(contributions[-1])
        result = sp.Add(*(c.ref for c in reversed(contributions)))
        for s in self.states:
            terms.append(self._delta(s, 0, last, delta, P))
            delta[step(s, 0)] = terms[-1].ref
            result += delta[step(s, 0)] * self._init_derivative(s)
        terms.append(Term("result", self.target, None, _named(f"d{self.of}/d{theta}"), result))
        return terms

    def _delta(self, s: str, t: int, last: int, delta: dict, P: dict) -> Term:
        """δs_t: Σ over the quantities that read s_t (same step: s_t, next step: s_{t-1})."""
        st = step(s, t)
        parts = []
        for u, readers in ((t, Now), (t + 1, Prev)):
            if not 1 <= u <= last:
                continue
            for c in self._levels(u):
                if readers(s, real=True) in self.cell_partials.frontier(c):
                    parts.append(delta[step(c, u)] * P[c, u][st])
        return Term("delta", s, t, _named(f"δ{st.name}"), sp.Add(*parts))


def derive(cell: Cell, T: int, wrt, *, of=None, mode: str | None = None) -> TotalDerivative | MatrixDerivative:
    """The total derivative of the loss (or of ``of``) with respect to ``wrt``, term by term.

    Parameters
    ----------
    cell : Cell
    T : int
        Number of steps (>= 1).
    wrt : param symbol, initial-state symbol or str
        A param (``U`` or ``"U"``) or an initial state (``h.at(0)`` or ``"h_0"``);
        for a shaped cell, a whole vector or matrix (``"W"``, ``"h_0"``) or one
        component (``"W[1,0]"``).
    of : None, step symbol or str, optional
        None for the total loss L = Σ_t L_t, or a quantity at a step
        (``h.at(2)``, ``"L_3"``).
    mode : {"forward", "reverse"}, optional
        Forward mode keeps explicit and implicit terms per step; reverse mode
        keeps the deltas. Both give the same numbers. By default forward, but
        reverse for a whole vector or matrix (forward mode gives the Jacobians
        dq_t/dθ there for a vector, and is refused for a matrix).

    Returns
    -------
    TotalDerivative, or for a whole vector or matrix a
    :class:`~symbrnn.derive.matrix.total.MatrixDerivative` (array terms)

    Raises
    ------
    StepsError, WrtError, CellError

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> cell = elman()
    >>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    >>> round(derive(cell, T=3, wrt="U").value(values), 12)
    -0.07697096081
    >>> round(derive(cell, T=3, wrt="U", mode="reverse").value(values), 12)
    -0.07697096081
    >>> from symbrnn.cells import lstm_gomez
    >>> print(derive(lstm_gomez(2, 1), T=2, wrt="W").contribution(2))
    dL/dW[2] = outer(δz_2, x_2)
    """
    user = cell.origin or cell
    if is_whole(user, wrt):
        return MatrixDerivative(user, T, wrt, of=of, mode=mode or "reverse")
    return TotalDerivative(cell, T, wrt, of=of, mode=mode or "forward")
