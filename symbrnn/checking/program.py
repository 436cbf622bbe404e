"""The quantities a hand derivation writes, each with the expression that defines it in earlier ones.

A :class:`Program` lists every checkable quantity of a cell at T steps under
the names ``symbrnn eval --json`` prints: the forward values (``h_2``,
``yhat_3``, ``L_3``, the loss ``L``), every term of the forward-mode and the
reverse-mode derivation for each param (``∂h_3/∂U``, ``∂h_3/∂h_2``,
``implicit(dh_3/dU)``, ``dh_3/dU``, ``δh_2``, ``dL/dU[3]``, ``dL/dU``) and the
updated params (``U_new``). Each quantity's definitions are sympy expressions
in the names of earlier quantities, params and data, taken from the unrolled
graph and the derivation's terms: so a quantity can be recomputed from any
numbers put in for the ones it reads. A second definition writes an
activation by the name of the quantity it computes (``1 - h_3**2`` for
``1 - tanh(a_3)**2``), as a hand derivation does.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> p = build_program(elman(), 3, values)
>>> [str(e) for e in p["∂h_3/∂U"].defs]
['h_2*(1 - tanh(a_3)**2)', 'h_2*(1 - h_3**2)']
>>> str(p["U_new"].defs[0]), p.shift("dh_3/dU", -1)
('U - 0.1*dL/dU', 'dh_2/dU')
>>> round(p.exact["dL/dU"], 10), round(p.exact["U_new"], 10)
(-0.0769709608, 0.5076970961)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import sympy as sp

from ..core import errors
from ..core.kinds import INPUT, PARAM, STATE, TARGET
from ..core.symbols import step
from ..declare.functions import Softmax, logsumexp
from ..declare.lower import lowered
from ..declare.values import resolve_values
from ..derive.matrix.total import is_whole
from ..derive.total import derive
from ..derive.unroll import Unrolled
from ..numeric.optimizers import SGD, Adam
from .numeric import evaluate

__all__ = ["Program", "Quantity", "build_program", "update_key"]

FORWARD_KINDS = ("input", "target", "initial", "state", "node", "loss", "total_loss")


@dataclass(frozen=True)
class Quantity:
    """One checkable quantity.

    Attributes
    ----------
    key : str
        Its name on an answer sheet (``"dh_3/dU"``).
    kind : str
        A forward kind (``input``, ``target``, ``initial``, ``state``, ``node``, ``loss``,
        ``total_loss``), a term kind (``explicit``, ``partial``, ``implicit``, ``chain``,
        ``total``, ``delta``, ``contribution``, ``result``) or ``update``.
    defs : tuple of sympy.Expr
        Its definitions in earlier quantities' names (none for data).
    t : int or None
        Its step.
    family : str
        Shared by the same quantity at every step (``"total:h:U"``).
    """

    key: str
    kind: str
    defs: tuple
    t: int | None
    family: str


def update_key(param: str) -> str:
    """The sheet's name of an updated param: ``U_new``, ``W_new[1,0]`` for a component.

    Examples
    --------
    >>> update_key("U"), update_key("W[1,0]")
    ('U_new', 'W_new[1,0]')
    """
    base, bracket, index = param.partition("[")
    return f"{base}_new{bracket}{index}"


class Program:
    """Every checkable quantity of ``cell`` at ``T`` steps, in an order where each comes after what it reads.

    Built by :func:`build_program`. ``program[key]`` is a :class:`Quantity`;
    ``leaves`` holds the params' and data's numbers, ``exact`` every
    quantity's exact value.
    """

    def __init__(self, cell, T: int, quantities: list[Quantity], leaves: dict[str, float], roles: dict[str, str]):
        self.cell, self.T, self.leaves, self.roles = cell, T, leaves, roles
        merged: dict[str, Quantity] = {}
        for q in quantities:  # a term shared by several derivations (∂h_3/∂h_2) is one quantity
            old = merged.get(q.key)
            if old is None:
                merged[q.key] = q
            else:
                extra = tuple(e for e in q.defs if e not in old.defs)
                merged[q.key] = Quantity(old.key, old.kind, old.defs + extra, old.t, old.family)
        order, self._graph = _order(merged)
        self.quantities = {k: merged[k] for k in order}
        self.index = {k: i for i, k in enumerate(self.quantities)}
        self.steps = {(q.family, q.t): q.key for q in self.quantities.values() if q.t is not None}

    def __getitem__(self, key: str) -> Quantity:
        return self.quantities[key]

    def __contains__(self, key: str) -> bool:
        return key in self.quantities

    def keys(self) -> list[str]:
        """Every key, in order."""
        return list(self.quantities)

    def shift(self, key: str, dt: int) -> str | None:
        """The same quantity ``dt`` steps away (``dh_2/dU`` for ``dh_3/dU``, -1), or None."""
        q = self.quantities[key]
        return None if q.t is None else self.steps.get((q.family, q.t + dt))

    def downstream(self, key: str) -> set[str]:
        """The quantities some definition of which reads ``key``, directly or through others."""
        return nx.descendants(self._graph, key)

    def reads(self, expr) -> list[str]:
        """The quantities (not params) ``expr`` reads, in order."""
        names = {s.name for s in expr.free_symbols if s.name in self.quantities}
        return sorted(names, key=self.index.__getitem__)

    @cached_property
    def exact(self) -> dict[str, float]:
        """Every quantity's exact value (float64), from its first definition."""
        env = dict(self.leaves)
        for key, q in self.quantities.items():
            if q.defs:
                env[key] = evaluate(q.defs[0], env.__getitem__)
        return {k: env[k] for k in self.quantities}


def _order(quantities: dict[str, Quantity]) -> tuple[list[str], nx.DiGraph]:
    position = {k: i for i, k in enumerate(quantities)}
    g = nx.DiGraph()
    g.add_nodes_from(quantities)
    for key, q in quantities.items():
        for e in q.defs:
            g.add_edges_from((s.name, key) for s in e.free_symbols if s.name in quantities and s.name != key)
    return list(nx.lexicographical_topological_sort(g, key=position.__getitem__)), g


def _forward(low, T: int, vals) -> tuple[list[Quantity], dict[str, float]]:
    unrolled = Unrolled(low, T)
    leaves = dict(vals.params)
    out = []
    for name, column in vals.series.items():
        kind = low.kind(name)
        for t, v in enumerate(column, 1):
            key = step(name, t).name
            leaves[key] = v
            out.append(Quantity(key, kind, (), t, name))
    for sym in unrolled.order:
        kind = unrolled.graph.nodes[sym.name]["kind"]
        out.append(Quantity(sym.name, kind, (sp.sympify(unrolled.expr(sym)),), sym.t, sym.base))
    loss = low.loss_name
    out.append(Quantity(loss, "total_loss", (unrolled.loss,), None, loss))
    return out, leaves


def _family(term, wrt: str) -> str:
    if term.kind == "partial":
        return f"partial:{term.quantity}:{term.via.base}"
    if term.kind == "delta":
        return f"delta:{term.quantity}"
    return f"{term.kind}:{term.quantity}:{wrt}"


def _terms(cell, T: int, wrt: str, modes=("forward", "reverse")) -> list[Quantity]:
    out = []
    for mode in modes:
        parts: dict[tuple, sp.Expr] = {}  # a total is also explicit + implicit (or chain), by their names
        for term in derive(cell, T, wrt=wrt, mode=mode).terms:
            defs = (term.expr,)
            if term.kind in ("explicit", "implicit", "chain"):
                parts[term.kind == "explicit", term.quantity, term.t] = term.ref
            elif term.kind == "total":
                named = parts.get((True, term.quantity, term.t), 0) + parts.get((False, term.quantity, term.t), 0)
                defs += (named,) if named != term.expr else ()
            out.append(Quantity(str(term.symbol), term.kind, defs, term.t, _family(term, wrt)))
    return out


def _matrix_terms(cell, T: int, base: str) -> list[Quantity]:
    """The reverse-mode terms of the matrix derivation of dL/d``base``, component by component.

    Its deltas are the ones a hand derivation of a shaped cell writes (seed 000's LSTM): δq_t = dL/dq_t for
    every quantity q of step t, the gates' δa_t, δi_t, δf_t, δo_t and the pre-activations' δz_t among them, so
    δc_t includes the path through h_t of the same step. The shares are ``dL/dW[t][i,j]``, step first.
    """
    out = []
    for term in derive(cell, T, wrt=base, mode="reverse").terms:
        indices = [",".join(map(str, i)) for i in np.ndindex(*term.symbol.shape)] if term.symbol.shape else [""]
        for index, symbol, expr in zip(indices, term.symbol.flat(), term.expr.flat(), strict=True):
            part = f"[{index}]" if index else ""
            owner = base if term.kind in ("contribution", "result") else term.quantity
            out.append(Quantity(symbol.name, term.kind, (sp.sympify(expr),), term.t, f"{term.kind}:{owner}{part}"))
    return out


def _reverse_by_matrix(cell, wrts: list[str]) -> list[str]:
    """The whole params (of a shaped cell) whose reverse-mode terms come from the matrix derivation."""
    if not cell.shaped:
        return []
    bases = dict.fromkeys(w.partition("[")[0] for w in wrts)
    return [b for b in bases if is_whole(cell, b)]


def _update(wrt: str, optimizer) -> Quantity:
    theta, g = sp.Symbol(wrt, real=True), sp.Symbol(f"dL/d{wrt}", real=True)
    lr = sp.Float(optimizer.lr)
    if isinstance(optimizer, Adam):  # the first step: V̂ = g, Ŝ = g² after bias correction
        b1, b2, eps = (sp.Float(v) for v in (optimizer.beta1, optimizer.beta2, optimizer.eps))
        Vh, Sh = (1 - b1) * g / (1 - b1), (1 - b2) * g**2 / (1 - b2)
        denom = sp.sqrt(Sh + eps) if optimizer.eps_inside_sqrt else sp.sqrt(Sh) + eps
        expr = theta - lr * Vh / denom
    else:
        expr = theta - lr * g
    return Quantity(update_key(wrt), "update", (expr,), None, f"update:{wrt}")


def cross_entropy(expr, softmaxes: dict):
    """``logsumexp(z) − Σ_k y_k z_k`` written as ``−Σ_k y_k log ŷ_k``, as a hand derivation writes the loss, where
    ``softmaxes`` names each ŷ_k = softmax(z)_k (its sympy form -> its symbol); None for any other expression.

    The two agree for targets that sum to 1, which a cell with this loss asks of its targets.

    Examples
    --------
    >>> z0, z1, y0, y1, p0, p1 = sp.symbols("z0 z1 y0 y1 yhat0 yhat1")
    >>> cross_entropy(logsumexp(z0, z1) - y0 * z0 - y1 * z1, {Softmax(0, z0, z1): p0, Softmax(1, z0, z1): p1})
    -y0*log(yhat0) - y1*log(yhat1)
    """
    for lse in sorted(expr.atoms(logsumexp), key=sp.default_sort_key):
        zs = lse.args
        named = [softmaxes.get(Softmax(k, *zs)) for k in range(len(zs))]
        if None in named:
            continue
        rest = sp.expand(expr - lse)
        coefficients = [rest.coeff(z) for z in zs]
        linear = sp.expand(rest - sum(c * z for c, z in zip(coefficients, zs, strict=True))) == 0
        if linear and not any(c.has(*zs) for c in coefficients):
            return sp.Add(*(c * sp.log(p) for c, p in zip(coefficients, named, strict=True)))
    return None


def _named_alternatives(quantities: list[Quantity]) -> list[Quantity]:
    """A second definition with each activation written by the name of the quantity it computes, and a
    cross-entropy loss by the softmax's outputs (−Σ y_k log ŷ_k)."""
    names = {q.defs[0]: sp.Symbol(q.key, real=True) for q in quantities
             if q.kind in ("state", "node") and q.defs and isinstance(q.defs[0], sp.Function)}
    softmaxes = {e: n for e, n in names.items() if isinstance(e, Softmax)}
    out = []
    for q in quantities:
        alternatives = []
        loss = cross_entropy(q.defs[0], softmaxes) if q.kind == "loss" and softmaxes else None
        if loss is not None:
            alternatives.append(loss)
        if q.kind not in FORWARD_KINDS:
            for e in q.defs:
                alt = e.xreplace(names)
                if alt != e and alt not in alternatives:
                    alternatives.append(alt)
        out.append(Quantity(q.key, q.kind, q.defs + tuple(alternatives), q.t, q.family))
    return out


def param_roles(low) -> dict[str, str]:
    """``"bias"`` for a param added on its own in some expression of the cell, else ``"weight"``."""
    roles = {p: "weight" for p in low.names(PARAM)}
    for name in low.names():
        if low.kind(name) in (INPUT, TARGET, PARAM):
            continue
        for e in (low.expr(name), low.init(name) if low.kind(name) == STATE else None):
            for part in sp.Add.make_args(sp.sympify(e)) if e is not None else ():
                if part.is_Symbol and part.name in roles:
                    roles[part.name] = "bias"
    return roles


_COMPONENT = re.compile(r"^(.*)\[[\d,]+\]$")


def params_of(cell, keys) -> list[str]:
    """The params (components) whose terms are checkable: every param of a scalar cell; the ones ``keys`` name."""
    low = lowered(cell)
    params = list(low.names(PARAM))
    if not cell.shaped or keys is None:
        return params
    text = " ".join(keys)
    named = [p for p in params if re.search(rf"(d|∂|^|\s){re.escape(p)}(\)|\[|$|\s)", text)
             or update_key(p) in text]
    shared = any(k.startswith(("δ", "∂")) and not named for k in keys)
    return named or (params[:1] if shared else [])


def forward_keys(keys) -> list[str]:
    """The keys only a forward-mode derivation defines: ∂q_t/∂θ, dq_t/dθ, dL_t/dθ and the named parts of a
    total; not dL/dθ (∂L/∂θ), the deltas, the shares or the updated params.

    Examples
    --------
    >>> forward_keys(["dL/dW[0,1]", "∂L/∂W[0,1]", "δh[0]_2", "dh[0]_2/dW[0,1]", "∂h[1]_2/∂h[0]_1", "W_new[0,1]"])
    ['dh[0]_2/dW[0,1]', '∂h[1]_2/∂h[0]_1']
    """
    return [k for k in keys if k.startswith(("∂", "d", "implicit(", "explicit(", "chain("))
            and not k.startswith(("dL/d", "∂L/∂"))]


def build_program(cell, T: int, values, *, wrts=None, forward=None, optimizer=None) -> Program:
    """The :class:`Program` of ``cell`` at ``T`` steps for ``values``, with the terms for the params ``wrts``.

    Parameters
    ----------
    cell : Cell
    T : int
    values : mapping
        As for :func:`symbrnn.gradients`.
    wrts : list of str, optional
        Params (components) whose terms and updates to include (default: every param of a scalar cell).
    forward : list of str, optional
        Of ``wrts``, the components whose forward-mode terms (∂h_t/∂θ, dh_t/dθ) to include as well (default:
        all). The reverse-mode terms of a shaped cell's whole params come from the matrix derivation, which
        costs far less than one componentwise derivation of a large cell.
    optimizer : SGD or Adam, optional
        The update step (default ``SGD(0.1)``).
    """
    optimizer = optimizer or SGD(0.1)
    if getattr(optimizer, "clip", None) is not None:
        raise errors.SpecError("check: the update with clipping by norm is not checked (it couples every"
                               " param's step); give the optimizer without clip")
    low = lowered(cell)
    vals = resolve_values(cell, T, values)
    quantities, leaves = _forward(low, T, vals)
    wrts = params_of(cell, None) if wrts is None else list(wrts)
    matrix = _reverse_by_matrix(cell, wrts)
    forward = set(wrts if forward is None else forward)
    for wrt in wrts:
        modes = ("forward",) * (wrt in forward) + ("reverse",) * (wrt.partition("[")[0] not in matrix)
        quantities += _terms(cell, T, wrt, modes) if modes else []
    for base in matrix:
        quantities += _matrix_terms(cell, T, base)
    quantities += [_update(wrt, optimizer) for wrt in wrts]
    return Program(cell, T, _named_alternatives(quantities), leaves, param_roles(low))
