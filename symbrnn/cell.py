"""Cell: one time step of a recurrent network, declared as a networkx graph of sympy expressions.

Examples
--------
>>> import sympy as sp
>>> from symbrnn import Cell
>>> cell = Cell("elman")
>>> x = cell.input("x")
>>> y = cell.target("y")
>>> w, U, V, b, c = cell.params("w U V b c")
>>> h = cell.state("h", init=0)
>>> a = cell.node("a", w*x + U*h.prev + b)
>>> cell.update(h, sp.tanh(a))
>>> yhat = cell.node("yhat", V*h + c)
>>> cell.loss(sp.Rational(1, 2)*(yhat - y)**2)
L_t
>>> sorted(cell.graph.successors("h"))
['a', 'yhat']
>>> cell.graph.edges["h", "a"]["delay"], cell.graph.edges["h", "yhat"]["delay"]
(True, False)
>>> cell.graph.nodes["a"]["expr"]
U*h_{t-1} + b + w*x_t
>>> print(cell)
cell 'elman'
  inputs: x
  targets: y
  params: w, U, V, b, c
  a_t = U*h_{t-1} + b + w*x_t
  h_t = tanh(a_t)   (h_0 = 0)
  yhat_t = V*h_t + c
  L_t = (-y_t + yhat_t)**2/2
"""

from __future__ import annotations

import keyword
import numbers
import re
from collections.abc import Iterable

import networkx as nx
import sympy as sp
from sympy.core.function import AppliedUndef

from . import errors
from .symbols import Now, Prev, Step, now, param

__all__ = [
    "Cell",
    "DELAY",
    "EXPR",
    "INIT",
    "INPUT",
    "KIND",
    "KINDS",
    "LAGS",
    "LOSS",
    "NODE",
    "PARAM",
    "STATE",
    "SYMBOL",
    "TARGET",
]

# graph attribute keys, defined once
KIND, EXPR, INIT, SYMBOL = "kind", "expr", "init", "symbol"
DELAY, LAGS = "delay", "lags"

# kinds of quantity
INPUT, TARGET, PARAM, STATE, NODE, LOSS = "input", "target", "param", "state", "node", "loss"
KINDS = (INPUT, TARGET, PARAM, STATE, NODE, LOSS)
PER_STEP = (INPUT, TARGET, STATE, NODE, LOSS)
_COMPUTED = (STATE, NODE, LOSS)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_STEP_SUFFIX = re.compile(r"^(.+)_(\d+)$")


def a(kind: str) -> str:
    """``kind`` with its article: 'an input', 'a param'."""
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def as_expr(value, where: str, *, loss: bool = False) -> sp.Expr:
    """Turn a number or sympy expression into a sympy ``Expr``; reject everything else.

    Text is never parsed here: a string is an error. A matrix (or a list) is a
    :class:`NonScalarLossError` where a loss is expected.
    """
    if isinstance(value, bool) or value is None:
        raise errors.ExpressionError(f"{where}: expected a sympy expression or a number, got {value!r}")
    array_loss = loss and (isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0)
    if isinstance(value, sp.MatrixBase) or array_loss:
        shape = "x".join(map(str, getattr(value, "shape", (len(value),))))
        error = errors.NonScalarLossError if loss else errors.ExpressionError
        raise error(
            f"{where}: got a {shape} {'matrix' if isinstance(value, sp.MatrixBase) else 'array'} where a scalar"
            " is needed; reduce it to a scalar (e.g. a sum of its entries)"
        )
    if isinstance(value, sp.Expr):
        return value
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Rational):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        return sp.Float(float(value))
    if isinstance(value, str):
        raise errors.ExpressionError(
            f"{where}: got the text {value!r}; write the expression with the symbols the cell"
            " returned (e.g. w*x + U*h.prev + b), text is never parsed"
        )
    raise errors.ExpressionError(
        f"{where}: expected a sympy expression or a number, got {type(value).__name__}"
    )


class Cell:
    """One step of a recurrent cell: named quantities and their sympy expressions.

    Declare quantities with :meth:`input`, :meth:`target`, :meth:`param`,
    :meth:`state`, :meth:`node`, :meth:`update` and :meth:`loss`; each returns
    the symbol to use in later expressions (a state's previous value is
    ``h.prev``). The declaration is kept as a :class:`networkx.DiGraph`
    (:attr:`graph`).

    Parameters
    ----------
    name : str
        The cell's name, used in messages and output.

    Examples
    --------
    >>> cell = Cell("tiny")
    >>> x = cell.input("x")
    >>> h = cell.state("h", init=0)
    >>> cell.update(h, x + h.prev / 2)
    >>> cell.loss(h**2)
    L_t
    >>> cell.validate()
    >>> cell.names(STATE)
    ('h',)
    """

    def __init__(self, name: str = "cell"):
        self.name = str(name)
        self._graph = nx.DiGraph(name=self.name)
        self._from_graph = False  # changes the advice for an unknown symbol
        self.version = 0  # bumped by every change, so compiled kernels know when to rebuild

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self.names(k))} {k}" for k in KINDS if self.names(k))
        return f"Cell({self.name!r}: {counts})"

    def __str__(self) -> str:
        """The cell's equations, one per computed quantity, in step order."""
        lines = [f"cell {self.name!r}"]
        for kind in (INPUT, TARGET, PARAM):
            if self.names(kind):
                lines.append(f"  {kind}s: {', '.join(self.names(kind))}")
        for n in self._step_order():
            e = self.expr(n)
            if e is None:
                lines.append(f"  {n}_t = ?   (no update yet)")
                continue
            note = f"   ({n}_0 = {self.init(n)})" if self.kind(n) == STATE else ""
            lines.append(f"  {n}_t = {e}{note}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- declaring
    def input(self, name: str) -> Now:
        """Declare per-step input data ``x_t``."""
        return self._declare(name, INPUT)

    def target(self, name: str) -> Now:
        """Declare a per-step target ``y_t`` (data the loss compares against)."""
        return self._declare(name, TARGET)

    def param(self, name: str) -> sp.Symbol:
        """Declare a parameter, shared across all steps."""
        return self._declare(name, PARAM)

    def params(self, names: str | Iterable[str]) -> tuple[sp.Symbol, ...]:
        """Declare several parameters: ``cell.params("w U V b c")``."""
        if isinstance(names, str):
            names = names.replace(",", " ").split()
        return tuple(self.param(n) for n in names)

    def state(self, name: str, init=0) -> Now:
        """Declare a recurrent state; ``h.prev`` is its value at the previous step.

        Parameters
        ----------
        name : str
            The state's name.
        init : number or param symbol
            The initial state h_0: a number, or a param of this cell (then the
            gradient with respect to that param includes the initial state).
        """
        init_expr = as_expr(init, f"initial value of state {name!r}")
        if init_expr.is_Number and not init_expr.is_finite:
            raise errors.ExpressionError(f"initial value of state {name!r} is {init_expr}; give a finite number")
        if not (init_expr.is_Number or self._is_param(init_expr)):
            raise errors.ExpressionError(
                f"initial value of state {name!r} must be a number or a param of cell"
                f" {self.name!r}, got {init_expr}; declare it first with cell.param(...)"
            )
        sym = self._declare(name, STATE)
        self._graph.nodes[name][INIT] = param(init_expr.name) if self._is_param(init_expr) else init_expr
        self.version += 1
        return sym

    def node(self, name: str, expr) -> Now:
        """Declare an intermediate quantity computed at each step from ``expr``."""
        self._check_new_name(name)
        e = as_expr(expr, f"node {name!r}")
        if any(s.name == name for s in e.free_symbols):
            raise errors.AlgebraicLoopError(
                f"algebraic loop in cell {self.name!r}: {name} -> {name} at the same step;"
                " break it by using a state's previous value (h.prev) somewhere on the loop"
            )
        e = self._normalise(e, f"node {name!r}")
        sym = self._declare(name, NODE)
        self._set_expr(name, e)
        return sym

    def update(self, state, expr) -> None:
        """Give the state ``state`` its update: h_t = ``expr``."""
        name = self._name_of(state)
        if self._kind(name) != STATE:
            raise errors.ExpressionError(
                f"update({name!r}, ...): {name!r} is {a(self._kind(name))}, not a state;"
                f" declare it with cell.state({name!r}, init=...)"
            )
        if self._graph.nodes[name].get(EXPR) is not None:
            raise errors.DuplicateNameError(
                f"state {name!r} already has an update; give each state exactly one update"
            )
        self._set_expr(name, self._normalise(expr, f"update of state {name!r}"))

    def loss(self, expr, name: str = "L") -> Now:
        """Declare the per-step loss L_t; the total loss is L = Σ_t L_t."""
        existing = self.names(LOSS)
        if existing:
            raise errors.DuplicateNameError(
                f"cell {self.name!r} already has a loss {existing[0]!r}; a cell has one per-step"
                " loss: add the terms in one expression"
            )
        self._check_new_name(name)
        e = self._normalise(as_expr(expr, f"loss {name!r}", loss=True), f"loss {name!r}")
        sym = self._declare(name, LOSS)
        self._set_expr(name, e)
        return sym

    # ----------------------------------------------------------------- querying
    @property
    def graph(self) -> nx.DiGraph:
        """The cell as a read-only :class:`networkx.DiGraph`.

        One node per named quantity with attributes ``kind``, ``symbol`` and,
        where computed, ``expr`` (states: their update; states also ``init``).
        An edge u → v means v's expression uses u; ``delay`` is True when it
        uses u's previous value (``lags`` lists 0 and/or 1).
        """
        return self._graph.copy(as_view=True)

    def names(self, kind: str | None = None) -> tuple[str, ...]:
        """Names of the quantities of one kind (all if None), in declaration order."""
        return tuple(n for n, k in self._graph.nodes(data=KIND) if kind is None or k == kind)

    def kind(self, name: str) -> str:
        """The kind of quantity ``name``."""
        return self._kind(name)

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol of quantity ``name`` (generic-time for per-step quantities)."""
        self._kind(name)
        return self._graph.nodes[name][SYMBOL]

    def expr(self, name: str) -> sp.Expr | None:
        """The expression of a computed quantity (a state's update), else None."""
        self._kind(name)
        return self._graph.nodes[name].get(EXPR)

    def init(self, name: str) -> sp.Expr:
        """The initial value of state ``name``: a number or a param symbol."""
        if self._kind(name) != STATE:
            raise errors.ExpressionError(f"{name!r} is a {self._kind(name)}, not a state")
        return self._graph.nodes[name][INIT]

    @property
    def loss_name(self) -> str:
        """The name of the per-step loss (``"L"``)."""
        self._require_loss()
        return self.names(LOSS)[0]

    def order(self) -> tuple[str, ...]:
        """Computed quantities in the order one step evaluates them (deterministic)."""
        self.validate()
        return self._step_order()

    # --------------------------------------------------------------- validating
    def validate(self) -> None:
        """Check the cell is complete and computable; raise a :class:`CellError` if not.

        Raises
        ------
        MissingUpdateError
            A state has no update.
        MissingLossError
            No loss is declared.
        AlgebraicLoopError
            Quantities depend on each other at the same step with no delay.
        """
        for name in self.names(STATE):
            if self._graph.nodes[name].get(EXPR) is None:
                raise errors.MissingUpdateError(
                    f"state {name!r} of cell {self.name!r} has no update;"
                    f" add cell.update({name}, <expression for {name}_t>)"
                )
        self._require_loss()
        self._check_loops()

    @classmethod
    def from_graph(cls, graph: nx.DiGraph, name: str | None = None) -> Cell:
        """Build a cell from a :class:`networkx.DiGraph` that declares it.

        Each node is a quantity with a ``kind`` attribute (``input``,
        ``target``, ``param``, ``state``, ``node``, ``loss``); computed ones
        have an ``expr`` (a state's update), states an ``init`` (default 0).
        Expressions may use plain sympy Symbols named after the quantities
        (the current value) and :func:`symbrnn.prev` for a state's previous
        value. Edges are optional; when present they must be exactly those the
        expressions imply.

        Examples
        --------
        >>> import networkx as nx, sympy as sp
        >>> from symbrnn import prev
        >>> x, w, u, h = sp.symbols("x w u h")
        >>> G = nx.DiGraph()
        >>> G.add_node("x", kind="input")
        >>> G.add_nodes_from(["w", "u"], kind="param")
        >>> G.add_node("h", kind="state", init=0, expr=sp.tanh(w*x + u*prev("h")))
        >>> G.add_node("L", kind="loss", expr=h**2)
        >>> cell = Cell.from_graph(G, name="from_nx")
        >>> cell.expr("h")
        tanh(h_{t-1}*u + w*x_t)
        """
        if not isinstance(graph, nx.DiGraph):
            raise errors.ExpressionError(
                "Cell.from_graph needs a networkx.DiGraph whose nodes declare the quantities,"
                f" got {type(graph).__name__}"
            )
        cell = cls(name or graph.graph.get("name") or "cell")
        cell._from_graph = True
        nodes = list(graph.nodes(data=True))
        for n, data in nodes:
            kind = data.get(KIND)
            if kind not in KINDS:
                raise errors.ExpressionError(
                    f"graph node {n!r} has kind {kind!r}; set its 'kind' attribute to one of {', '.join(KINDS)}"
                )
            if kind in (INPUT, TARGET, PARAM):
                cell._declare(n, kind)
        for n, data in nodes:  # states before expressions, so every name is known
            if data[KIND] == STATE:
                init = data.get(INIT, 0)
                if isinstance(init, sp.Symbol):
                    init = cell._normalise(init, f"initial value of state {n!r}")
                cell.state(n, init=init)
        for n, data in nodes:
            kind = data[KIND]
            if kind in _COMPUTED and data.get(EXPR) is None and kind != STATE:
                raise errors.ExpressionError(f"graph node {n!r} ({kind}) has no 'expr' attribute")
            if kind == NODE:
                cell._check_new_name(n)
                cell._declare(n, NODE)
        for n, data in nodes:
            kind = data[KIND]
            if kind == NODE:
                cell._set_expr(n, cell._normalise(data[EXPR], f"node {n!r}"))
            elif kind == STATE and data.get(EXPR) is not None:
                cell.update(n, data[EXPR])
            elif kind == LOSS:
                cell.loss(data[EXPR], name=n)
        if graph.number_of_edges():
            given = {(str(u), str(v)) for u, v in graph.edges}
            implied = set(cell._graph.edges)
            for u, v in sorted(given ^ implied):
                where = "has" if (u, v) in given else "lacks"
                raise errors.ExpressionError(
                    f"graph {where} the edge {u!r} -> {v!r} but the expression of {v!r}"
                    f" {'does not use' if where == 'has' else 'uses'} {u!r}; fix the edge or the expression"
                )
        return cell

    # ---------------------------------------------------------------- internals
    def _declare(self, name: str, kind: str):
        self._check_new_name(name, kind)
        sym = param(name) if kind == PARAM else now(name)
        self._graph.add_node(name, **{KIND: kind, SYMBOL: sym})
        self.version += 1
        return sym

    def _check_new_name(self, name, kind: str | None = None) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or keyword.iskeyword(name):
            raise errors.InvalidNameError(
                f"{name!r} is not a valid quantity name; use letters, digits and _, starting with a letter"
            )
        if name in self._graph:
            raise errors.DuplicateNameError(
                f"cell {self.name!r} already has a {self._kind(name)} named {name!r}; give each quantity its own name"
            )
        if kind is None:
            return
        # a param called h_3 would share its name with the per-step quantity h at step 3
        for other, other_kind in self._graph.nodes(data=KIND):
            if kind == PARAM and other_kind != PARAM:
                param_name, base = name, other
            elif kind != PARAM and other_kind == PARAM:
                param_name, base = other, name
            else:
                continue
            m = _STEP_SUFFIX.fullmatch(param_name)
            if m and m.group(1) == base:
                raise errors.InvalidNameError(
                    f"param {param_name!r} would clash with {base!r} at step {m.group(2)};"
                    " rename one of them"
                )

    def _kind(self, name: str) -> str:
        if name not in self._graph:
            known = ", ".join(self.names()) or "none yet"
            raise errors.UnknownSymbolError(
                f"cell {self.name!r} has no quantity {name!r} (known: {known})"
            )
        return self._graph.nodes[name][KIND]

    def _is_param(self, e) -> bool:
        return (
            isinstance(e, sp.Symbol) and not isinstance(e, (Now, Prev, Step))
            and e.name in self._graph and self._graph.nodes[e.name][KIND] == PARAM
        )

    def _name_of(self, ref) -> str:
        if isinstance(ref, str):
            name = ref
        elif isinstance(ref, sp.Symbol) and not isinstance(ref, (Prev, Step)):
            name = ref.name
        else:
            raise errors.ExpressionError(f"expected a quantity of cell {self.name!r}, got {ref!r}")
        self._kind(name)
        return name

    def _normalise(self, expr, where: str) -> sp.Expr:
        """Check every symbol is declared; map plain Symbols by name to the cell's symbols."""
        e = as_expr(expr, where)
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise errors.ExpressionError(f"{where} is infinite or undefined ({e}): it divides by zero; check it")
        undefined = sorted(e.atoms(AppliedUndef), key=sp.default_sort_key)
        if undefined:
            f = undefined[0].func.__name__
            raise errors.ExpressionError(
                f"{where} uses {f!r}, an undefined function; use a sympy function (sp.tanh, sp.exp, ...)"
                " or one of symbrnn's (sigmoid)"
            )
        mapping = {}
        for s in sorted(e.free_symbols, key=sp.default_sort_key):
            if isinstance(s, Step):
                raise errors.ExpressionError(
                    f"{where} uses {s}, a value at a fixed step; a cell describes a generic step:"
                    f" use {s.base} (current) or {s.base}.prev (previous)"
                )
            if s.name not in self._graph:
                m = _STEP_SUFFIX.fullmatch(s.name)
                if m and m.group(1) in self._graph and self._kind(m.group(1)) in PER_STEP:
                    raise errors.ExpressionError(
                        f"{where} uses {s.name}, a value at a fixed step; a cell describes a generic step:"
                        f" use {m.group(1)} (current) or {m.group(1)}.prev (previous)"
                    )
                known = ", ".join(self.names()) or "none yet"
                fix = (f"add a node {s.name!r} with a 'kind' to the graph" if self._from_graph
                       else f"declare it first, e.g. cell.param({s.name!r})")
                raise errors.UnknownSymbolError(
                    f"{where} uses {s.name!r}, which cell {self.name!r} does not declare (known: {known}); {fix}"
                )
            kind = self._graph.nodes[s.name][KIND]
            if isinstance(s, Prev):
                if kind != STATE:
                    raise errors.ExpressionError(
                        f"{where} uses {s.name}.prev, but {s.name!r} is {a(kind)}:"
                        " only states have a previous value"
                    )
                continue
            if kind == LOSS:
                raise errors.ExpressionError(
                    f"{where} uses the loss {s.name!r}; nothing may depend on the loss"
                )
            canonical = self._graph.nodes[s.name][SYMBOL]
            if s != canonical:
                mapping[s] = canonical
        return e.xreplace(mapping) if mapping else e

    def _set_expr(self, name: str, e: sp.Expr) -> None:
        lags: dict[str, set] = {}
        for s in e.free_symbols:
            lags.setdefault(s.name, set()).add(1 if isinstance(s, Prev) else 0)
        edges = [(u, name, {LAGS: tuple(sorted(lags[u])), DELAY: tuple(sorted(lags[u])) == (1,)}) for u in sorted(lags)]
        trial = self._instant_graph()
        trial.add_edges_from((u, v) for u, v, d in edges if 0 in d[LAGS])
        self._check_loops(trial)  # before changing anything: a rejected expression leaves the cell as it was
        self._graph.nodes[name][EXPR] = e
        self._graph.add_edges_from(edges)
        self.version += 1

    def _require_loss(self) -> None:
        if not self.names(LOSS):
            raise errors.MissingLossError(
                f"cell {self.name!r} has no loss; declare the per-step loss with cell.loss(<expression>)"
            )

    def _instant_graph(self) -> nx.DiGraph:
        """The same-step dependencies only (delay edges dropped)."""
        g = nx.DiGraph()
        g.add_nodes_from(self._graph.nodes)
        g.add_edges_from((u, v) for u, v, lag in self._graph.edges(data=LAGS) if 0 in lag)
        return g

    def _check_loops(self, g: nx.DiGraph | None = None) -> None:
        g = self._instant_graph() if g is None else g
        if nx.is_directed_acyclic_graph(g):
            return
        cycle = [u for u, _ in nx.find_cycle(g)]
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        path = " -> ".join(cycle + [cycle[0]])
        raise errors.AlgebraicLoopError(
            f"algebraic loop in cell {self.name!r}: {path} at the same step;"
            " break it by using a state's previous value (h.prev) somewhere on the loop"
        )

    def _step_order(self) -> tuple[str, ...]:
        g = self._instant_graph()
        order = nx.lexicographical_topological_sort(g, key=lambda n: n)
        return tuple(n for n in order if self._graph.nodes[n][KIND] in _COMPUTED)
