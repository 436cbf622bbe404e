"""Cell: one time step of a recurrent network, declared as a networkx graph of sympy expressions.

Quantities are declared one by one (their kinds are those of
:mod:`symbrnn.core.kinds`); every expression is checked as it is given
(:mod:`.expressions`), every name (:mod:`.names`), and the whole step when
it is used (:mod:`.validate`). The graph has an edge u → v where v's
expression reads u, marked ``delay`` when it reads u's previous value.

Examples
--------
>>> from symbrnn.cells import elman
>>> cell = elman()
>>> sorted(cell.graph.successors("h"))
['a', 'yhat']
>>> cell.graph.edges["h", "a"]["delay"], cell.graph.edges["h", "yhat"]["delay"]
(True, False)
>>> str(cell).splitlines()[4:6]   # plain text; symbrnn.render draws it (rich, LaTeX, Jupyter)
['  a_t = U*h_{t-1} + b + w*x_t', '  h_t = tanh(a_t)   (h_0 = 0)']
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import sympy as sp

from ..core import errors
from ..core.display import Displayed
from ..core.kinds import (
    COMPUTED,
    DELAY,
    DISTRIBUTION,
    EXPR,
    INIT,
    INPUT,
    KIND,
    KINDS,
    LAGS,
    LOSS,
    NODE,
    PARAM,
    SHAPE,
    STATE,
    SYMBOL,
    TARGET,
    a,
)
from ..core.symbols import Now, Prev, Step, initial_name, now, param, split_step
from .celltext import cell_text
from .distributions import check_declared_distribution
from .expressions import as_shape, as_value, node_expr, normalise, reads, scalar_init, tensor_init, update_expr
from .fromgraph import cell_from_graph
from .nameindex import NameIndex
from .names import check_new_name
from .tensor import Tensor
from .validate import check_complete, check_loops, instant_graph, reaches_any, step_order

__all__ = ["Cell"]


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
        self.version = 0  # bumped by every change, so compiled kernels know when to rebuild
        self._valid = -1  # the version validate() last passed
        self._order: tuple[int, tuple] = (-1, ())  # the step order, and the version it is of
        self._names: tuple[int, NameIndex] = (-1, NameIndex())  # names by kind, and the version they are of
        #: for the scalar cell of a shaped cell's components (see symbrnn.declare.lower), the shaped cell
        self.origin: Cell | None = None

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(self.names(k))} {k}" for k in KINDS if self.names(k))
        return f"Cell({self.name!r}: {counts})"

    def __str__(self) -> str:
        """The cell's equations, one per computed quantity, in step order."""
        return cell_text(self, self._step_order())  # not validated: a cell being declared prints too

    # ---------------------------------------------------------------- declaring
    def input(self, name: str, shape=None) -> Now | Tensor:
        """Declare per-step input data ``x_t`` (a scalar, or a Tensor if ``shape`` is given)."""
        return self._declare(name, INPUT, as_shape(shape, name))

    def target(self, name: str, shape=None, *, distribution: str | None = None) -> Now | Tensor:
        """Declare a per-step target ``y_t``; ``distribution="probabilities"`` (or ``"one_hot"``): each row must
        be one, as a cross-entropy ``logsumexp(z) - (y * z).sum()`` needs, and other values are refused."""
        shape = as_shape(shape, name)
        check_declared_distribution(name, distribution, shape)
        return self._declare(name, TARGET, shape, **({DISTRIBUTION: distribution} if distribution else {}))

    def distribution(self, name: str) -> str | None:
        """What target ``name``'s values must be (``"probabilities"``, ``"one_hot"``), or None."""
        return self._attrs(name).get(DISTRIBUTION)

    def param(self, name: str, shape=None) -> sp.Symbol | Tensor:
        """Declare a parameter, shared across all steps.

        Parameters
        ----------
        name : str
        shape : int or tuple of int, optional
            ``3`` for a vector, ``(3, 2)`` for a matrix: the param is then a
            :class:`~symbrnn.declare.tensor.Tensor` of component symbols ``W[0,0]`` ...
            (``cell.param("W", shape=(2, 2))[1, 0]`` is ``W[1,0]``).
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
        return self._declare(name, STATE, shape, **{INIT: init_value})

    def node(self, name: str, expr) -> Now | Tensor:
        """Declare an intermediate quantity computed at each step from ``expr`` (a scalar or a Tensor)."""
        check_new_name(self, name)
        e = node_expr(self, name, expr)
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
        self._set_expr(name, update_expr(self, name, expr))

    def loss(self, expr, name: str = "L") -> Now:
        """Declare the per-step loss L_t; the total loss is L = Σ_t L_t."""
        existing = self.names(LOSS)
        if existing:
            raise errors.DuplicateNameError(
                f"cell {self.name!r} already has a loss {existing[0]!r}; a cell has one per-step"
                " loss: add the terms in one expression"
            )
        check_new_name(self, name)
        e = normalise(self, as_value(expr, f"loss {name!r}", loss=True), f"loss {name!r}")
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
        return self._indexed().names(kind)

    def stepped_params(self, base: str) -> tuple[str, ...]:
        """The params whose names read as ``base`` at a step (``h_3`` for ``"h"``), in declaration order."""
        return tuple(self._indexed().stepped.get(base, ()))

    def _indexed(self) -> NameIndex:
        """Names by kind and attributes by name, made once per version of the cell; declaring a
        quantity extends it in place, so declaring N quantities costs O(N) in all."""
        if self._names[0] != self.version:
            self._names = (self.version, NameIndex(self._graph.nodes(data=True)))
        return self._names[1]

    def kind(self, name: str) -> str:
        """The kind of quantity ``name``."""
        return self._kind(name)

    def symbol(self, name: str) -> sp.Symbol | Tensor:
        """The symbol of quantity ``name`` (generic-time for per-step quantities; a Tensor if shaped)."""
        return self._attrs(name)[SYMBOL]

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of quantity ``name``: ``()`` for a scalar, ``(3,)`` for a vector, ...."""
        return self._attrs(name)[SHAPE]

    @property
    def shaped(self) -> bool:
        """True if any quantity is a vector or matrix (the engine then works on its components)."""
        return any(d[SHAPE] for d in self._indexed().attrs.values())

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
        if not self.names(LOSS):
            check_complete(self.name, self._graph)  # says what is missing
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
        check_complete(self.name, self._graph)
        check_loops(self.name, instant_graph(self._graph))
        self._valid = self.version

    @classmethod
    def from_graph(cls, graph: nx.DiGraph, name: str | None = None) -> Cell:
        """Build a cell from a :class:`networkx.DiGraph` that declares it, one node per quantity.

        Each node has a ``kind`` and, where computed, an ``expr`` (states an ``init``); see :mod:`.fromgraph`.
        """
        return cell_from_graph(cls, graph, name)

    # ---------------------------------------------------------------- internals
    def _declare(self, name: str, kind: str, shape: tuple = (), **attrs):
        check_new_name(self, name, kind, attrs.get(INIT))
        if shape:
            sym = Tensor.symbols(name, shape, kind=kind)
        else:
            sym = param(name) if kind == PARAM else now(name)
        current = self._names[0] == self.version
        self._graph.add_node(name, **{KIND: kind, SYMBOL: sym, SHAPE: shape}, **attrs)
        self.version += 1
        if current:  # the index grows by one name instead of being rebuilt
            self._names[1].add(name, self._graph.nodes[name])
            self._names = (self.version, self._names[1])
        return sym

    def _attrs(self, name: str) -> dict:
        found = self._indexed().attrs.get(name) if isinstance(name, str) else None
        if found is None:
            known = ", ".join(self.names()) or "none yet"
            raise errors.UnknownSymbolError(f"cell {self.name!r} has no quantity {name!r} (known: {known})")
        return found

    def _kind(self, name: str) -> str:
        return self._attrs(name)[KIND]

    def __contains__(self, name) -> bool:
        """True if the cell has a quantity called ``name``."""
        return isinstance(name, str) and name in self._graph

    def is_scalar_param(self, e) -> bool:
        """True if ``e`` is the symbol of a scalar param of this cell."""
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

    def _set_expr(self, name: str, e: sp.Expr | Tensor) -> None:
        lags = reads(e, self)
        edges = [(u, name, {LAGS: tuple(sorted(lags[u])), DELAY: tuple(sorted(lags[u])) == (1,)}) for u in sorted(lags)]
        same_step = {u for u, _, d in edges if 0 in d[LAGS]}
        # a new same-step edge u -> name closes a loop only if name already reaches u at the same
        # step; a new node reaches nothing, so declaring N nodes does not walk the graph N times
        if same_step and reaches_any(self._graph, name, same_step):
            trial = instant_graph(self._graph)
            trial.add_edges_from((u, name) for u in same_step)
            check_loops(self.name, trial)  # before changing anything: a rejected expression leaves the cell as it was
        current = self._names[0] == self.version
        self._graph.nodes[name][EXPR] = e
        self._graph.add_edges_from(edges)
        self.version += 1
        if current:  # names and kinds are unchanged (the attribute dicts are the graph's own)
            self._names = (self.version, self._names[1])

    def _step_order(self) -> tuple[str, ...]:
        if self._order[0] != self.version:
            self._order = (self.version, step_order(self._graph, COMPUTED))
        return self._order[1]

