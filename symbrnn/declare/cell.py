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
import re
from collections.abc import Iterable

import networkx as nx
import numpy as np
import sympy as sp

from ..core import errors
from ..core.display import Displayed
from ..core.kinds import (
    COMPUTED,
    DELAY,
    EXPR,
    INIT,
    INPUT,
    KIND,
    KINDS,
    LAGS,
    LOSS,
    NODE,
    PARAM,
    PER_STEP,
    SHAPE,
    STATE,
    SYMBOL,
    TARGET,
    a,
)
from ..core.symbols import Now, Prev, Step, initial_name, now, param, split_step
from .expressions import STEP_SUFFIX, as_expr, as_shape, as_value, normalise, owner, scalar_init, tensor_init
from .tensor import Tensor, shape_text

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
    "PER_STEP",
    "SHAPE",
    "STATE",
    "SYMBOL",
    "TARGET",
    "a",
    "as_expr",
]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class Cell(Displayed):
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

    A quantity declared with a ``shape`` is a :class:`~symbrnn.Tensor` of
    component symbols, with numpy's operators (``@``, elementwise ``*``, ...):

    >>> from symbrnn import tanh
    >>> vec = Cell("vec")
    >>> x, W = vec.input("x", shape=2), vec.param("W", shape=(3, 2))
    >>> h = vec.state("h", shape=3)
    >>> vec.update(h, tanh(W @ x) * h.prev)
    >>> vec.loss(h.sum())
    L_t
    >>> vec.shape("h"), vec.expr("h")[2]
    ((3,), h[2]_{t-1}*tanh(W[2,0]*x[0]_t + W[2,1]*x[1]_t))
    """

    def __init__(self, name: str = "cell"):
        self.name = str(name)
        self._graph = nx.DiGraph(name=self.name)
        self._from_graph = False  # changes the advice for an unknown symbol
        self.version = 0  # bumped by every change, so compiled kernels know when to rebuild
        self._valid = -1  # the version validate() last passed
        self._order: tuple[int, tuple] = (-1, ())  # the step order, and the version it is of
        #: for the scalar cell of a shaped cell's components (see symbrnn.declare.lower), the shaped cell
        self.origin: Cell | None = None

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self.names(k))} {k}" for k in KINDS if self.names(k))
        return f"Cell({self.name!r}: {counts})"

    def __str__(self) -> str:
        """The cell's equations, one per computed quantity, in step order."""
        lines = [f"cell {self.name!r}"]
        for kind in (INPUT, TARGET, PARAM):
            if self.names(kind):
                lines.append(f"  {kind}s: {', '.join(self._with_shape(n) for n in self.names(kind))}")
        for n in self._step_order():
            e = self.expr(n)
            if e is None:
                lines.append(f"  {n}_t = ?   (no update yet)")
                continue
            init = self.init(n) if self.kind(n) == STATE else None
            init = init.name if isinstance(init, Tensor) and init.name else init  # a param: its name
            note = f"   ({n}_0 = {init})" if self.kind(n) == STATE else ""
            lines.append(f"  {self._with_shape(n, '_t')} = {e}{note}")
        return "\n".join(lines)

    def _with_shape(self, name: str, suffix: str = "") -> str:
        shape = self.shape(name)
        return f"{name}{suffix}" + (f" {shape_text(shape)}" if shape else "")

    # ---------------------------------------------------------------- declaring
    def input(self, name: str, shape=None) -> Now | Tensor:
        """Declare per-step input data ``x_t`` (a scalar, or a Tensor if ``shape`` is given)."""
        return self._declare(name, INPUT, as_shape(shape, name))

    def target(self, name: str, shape=None) -> Now | Tensor:
        """Declare a per-step target ``y_t`` (data the loss compares against)."""
        return self._declare(name, TARGET, as_shape(shape, name))

    def param(self, name: str, shape=None) -> sp.Symbol | Tensor:
        """Declare a parameter, shared across all steps.

        Parameters
        ----------
        name : str
        shape : int or tuple of int, optional
            ``3`` for a vector, ``(3, 2)`` for a matrix: the param is then a
            :class:`~symbrnn.declare.tensor.Tensor` of component symbols ``W[0,0]`` ....

        Examples
        --------
        >>> cell = Cell()
        >>> W = cell.param("W", shape=(2, 2))
        >>> W.shape, W[1, 0], cell.shape("W")
        ((2, 2), W[1,0], (2, 2))
        """
        return self._declare(name, PARAM, as_shape(shape, name))

    def params(self, names: str | Iterable[str], shape=None) -> tuple[sp.Symbol, ...]:
        """Declare several parameters (of one shape): ``cell.params("w U V b c")``."""
        if isinstance(names, str):
            names = names.replace(",", " ").split()
        return tuple(self.param(n, shape=shape) for n in names)

    def state(self, name: str, init=0, shape=None) -> Now | Tensor:
        """Declare a recurrent state; ``h.prev`` is its value at the previous step.

        Parameters
        ----------
        name : str
            The state's name.
        init : number, array or param
            The initial state h_0: a number (every component), an array of
            numbers of the state's shape, or a param of this cell (then the
            gradient with respect to that param includes the initial state).
        shape : int or tuple of int, optional
            The state's shape (a scalar if not given).
        """
        shape = as_shape(shape, name)
        init_value = tensor_init(self, name, init, shape) if shape else scalar_init(self, name, init)
        sym = self._declare(name, STATE, shape)
        self._graph.nodes[name][INIT] = init_value
        self.version += 1
        return sym

    def node(self, name: str, expr) -> Now | Tensor:
        """Declare an intermediate quantity computed at each step from ``expr`` (a scalar or a Tensor)."""
        self._check_new_name(name)
        where = f"node {name!r}"
        e = as_value(expr, where)
        if any(owner(s.name) == name for s in e.free_symbols):
            raise errors.AlgebraicLoopError(
                f"algebraic loop in cell {self.name!r}: {name} -> {name} at the same step;"
                " break it by using a state's previous value (h.prev) somewhere on the loop"
            )
        e = self._normalise(e, where)
        sym = self._declare(name, NODE, e.shape if isinstance(e, Tensor) else ())
        self._set_expr(name, e)
        return sym

    def update(self, state, expr) -> None:
        """Give the state ``state`` its update: h_t = ``expr`` (of the state's shape)."""
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
        where = f"update of state {name!r}"
        e = self._normalise(as_value(expr, where), where)
        shape, got = self.shape(name), (e.shape if isinstance(e, Tensor) else ())
        if got != shape:
            if got:
                raise errors.ShapeError(
                    f"{where}: state {name!r} has shape {shape_text(shape)} but the expression has shape"
                    f" {shape_text(got)}"
                )
            e = Tensor(np.full(shape, e, dtype=object))  # a scalar broadcasts to every component
        self._set_expr(name, e)

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
        return nx.freeze(self._graph.copy())  # its own attribute dicts: edits cannot reach the cell

    def names(self, kind: str | None = None) -> tuple[str, ...]:
        """Names of the quantities of one kind (all if None), in declaration order."""
        return tuple(n for n, k in self._graph.nodes(data=KIND) if kind is None or k == kind)

    def kind(self, name: str) -> str:
        """The kind of quantity ``name``."""
        return self._kind(name)

    def symbol(self, name: str) -> sp.Symbol | Tensor:
        """The symbol of quantity ``name`` (generic-time for per-step quantities; a Tensor if shaped)."""
        self._kind(name)
        return self._graph.nodes[name][SYMBOL]

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of quantity ``name``: ``()`` for a scalar, ``(3,)`` for a vector, ...."""
        self._kind(name)
        return self._graph.nodes[name][SHAPE]

    @property
    def shaped(self) -> bool:
        """True if any quantity is a vector or matrix (the engine then works on its components)."""
        return any(shape for _, shape in self._graph.nodes(data=SHAPE))

    def expr(self, name: str) -> sp.Expr | Tensor | None:
        """The expression of a computed quantity (a state's update), else None."""
        self._kind(name)
        return self._graph.nodes[name].get(EXPR)

    def init(self, name: str) -> sp.Expr | Tensor:
        """The initial value of state ``name``: a number, a param symbol, or for a shaped state a Tensor."""
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

    def states(self) -> tuple[str, ...]:
        """The states in the order one step computes them (:meth:`names` gives declaration order)."""
        return tuple(n for n in self.order() if self._graph.nodes[n][KIND] == STATE)

    def init_param(self, state: str) -> str | None:
        """The name of the param state ``state`` starts from (its initial value), or None for a number."""
        init = self.init(state)
        if isinstance(init, Tensor):
            return init.name if init.name in self._graph and self._kind(init.name) == PARAM else None
        return init.name if init.is_Symbol else None

    def init_derivative(self, state: str, wrt: str) -> int:
        """d(state_0)/d(wrt): 1 if ``wrt`` is the initial value itself (``"h_0"``) or the param it is, else 0."""
        return int(wrt == initial_name(state) or wrt == self.init_param(state))

    def initial_of(self, name: str) -> str | None:
        """The state whose initial value ``name`` names (``"h"`` for ``"h_0"``), or None."""
        found = split_step(name)
        if found and found[1] == 0 and found[0] in self._graph and self._kind(found[0]) == STATE:
            return found[0]
        return None

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
        if self._valid == self.version:  # checked already, and unchanged since
            return
        for name in self.names(STATE):
            if self._graph.nodes[name].get(EXPR) is None:
                raise errors.MissingUpdateError(
                    f"state {name!r} of cell {self.name!r} has no update;"
                    f" add cell.update({name}, <expression for {name}_t>)"
                )
        self._require_loss()
        self._check_loops()
        self._valid = self.version

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
        from .fromgraph import cell_from_graph

        return cell_from_graph(cls, graph, name)

    # ---------------------------------------------------------------- internals
    def _declare(self, name: str, kind: str, shape: tuple = ()):
        self._check_new_name(name, kind)
        if shape:
            sym = Tensor.symbols(name, shape, kind=kind)
        else:
            sym = param(name) if kind == PARAM else now(name)
        self._graph.add_node(name, **{KIND: kind, SYMBOL: sym, SHAPE: shape})
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
        # h_0 names state h's initial value (wrt="h_0"): no quantity may take that name
        state = None
        if name.endswith("_0") and self._graph.nodes.get(name[:-2], {}).get(KIND) == STATE:
            state = name[:-2]
        elif kind == STATE and name + "_0" in self._graph:
            state = name
        if state is not None:
            raise errors.InvalidNameError(
                f"'{state}_0' is the name of state {state!r}'s initial value (wrt='{state}_0'); rename one of them"
            )
        # a param called h_3 would share its name with the per-step quantity h at step 3
        for other, other_kind in self._graph.nodes(data=KIND):
            if kind == PARAM and other_kind != PARAM:
                param_name, base = name, other
            elif kind != PARAM and other_kind == PARAM:
                param_name, base = other, name
            else:
                continue
            m = STEP_SUFFIX.fullmatch(param_name)
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
            and not self._graph.nodes[e.name][SHAPE]
        )

    def _name_of(self, ref) -> str:
        if isinstance(ref, str):
            name = ref
        elif isinstance(ref, Tensor) and ref.name in self._graph:
            name = ref.name
        elif isinstance(ref, sp.Symbol) and not isinstance(ref, (Prev, Step)):
            name = ref.name
        else:
            raise errors.ExpressionError(f"expected a quantity of cell {self.name!r}, got {ref!r}")
        self._kind(name)
        return name

    def _normalise(self, expr, where: str) -> sp.Expr | Tensor:
        """Check every symbol is declared; map plain Symbols by name to the cell's symbols."""
        return normalise(self, expr, where)

    def _set_expr(self, name: str, e: sp.Expr | Tensor) -> None:
        lags: dict[str, set] = {}
        for s in e.free_symbols:
            who = s.name if s.name in self._graph else owner(s.name)
            lags.setdefault(who, set()).add(1 if isinstance(s, Prev) else 0)
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
        if self._order[0] != self.version:
            order = nx.lexicographical_topological_sort(self._instant_graph(), key=lambda n: n)
            self._order = (self.version, tuple(n for n in order if self._graph.nodes[n][KIND] in COMPUTED))
        return self._order[1]

