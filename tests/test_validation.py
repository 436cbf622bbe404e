"""Every validation error of symbrnn: its type, and a message naming the culprit and the fix."""

import math
import re

import networkx as nx
import pytest
import sympy as sp

import symbrnn
from symbrnn import Cell, derive, errors, gradients, prev, unroll
from symbrnn.core.errors import (
    AlgebraicLoopError,
    DuplicateNameError,
    ExpressionError,
    InvalidNameError,
    MissingLossError,
    MissingUpdateError,
    MissingValueError,
    NonScalarLossError,
    SequenceLengthError,
    StepsError,
    SymbrnnError,
    UnknownSymbolError,
    UnknownValueError,
    ValuesError,
    WrtError,
)

S = sp.Symbol
DROP = object()
VALUES = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
ALLOWED = r"a param \(w, U, V, b, c\) or an initial state \(h_0\)"
KNOWN = r"\(known: x, y, w, U, V, b, c, h, a, yhat\)"
LOOP = r"algebraic loop in cell '{}': {} at the same step; break it by using a state's previous value \(h\.prev\)"
TEXT = r": got the text '.+'; write the expression with the symbols the cell returned .*text is never parsed"


def elman_like(name="elman", *, update=True, loss=True):
    """The scalar Elman cell, optionally still lacking its state update or its loss."""
    cell = Cell(name)
    x, y = cell.input("x"), cell.target("y")
    w, U, V, b, c = cell.params("w U V b c")
    h = cell.state("h", init=0)
    a = cell.node("a", w * x + U * h.prev + b)
    if update:
        cell.update(h, sp.tanh(a))
    yhat = cell.node("yhat", V * h + c)
    if loss:
        cell.loss(sp.Rational(1, 2) * (yhat - y) ** 2)
    return cell


def values(**changes):
    out = dict(VALUES)
    for k, v in changes.items():
        out.pop(k) if v is DROP else out.__setitem__(k, v)
    return out


def graph(**nodes):
    """A valid graph declaration of a small cell; ``nodes`` adds nodes or overrides their attributes."""
    g = nx.DiGraph()
    g.add_node("x", kind="input")
    g.add_nodes_from(["w", "u"], kind="param")
    g.add_node("h", kind="state", init=0, expr=sp.tanh(S("w") * S("x") + S("u") * prev("h")))
    g.add_node("L", kind="loss", expr=S("h") ** 2)
    for n, attrs in nodes.items():
        g.add_node(n, **attrs)
    return g


def test_helpers_build_valid_cells():
    assert math.isfinite(derive(elman_like(), 3, "U").value(VALUES))
    Cell.from_graph(graph()).validate()


# ------------------------------------------- 1, 2, 5, 6, 7, 12: declaring on an unfinished elman cell
sym = lambda c, n: c.symbol(n)  # noqa: E731
DECLARATIONS = [
    ("unknown-in-node", lambda c: c.node("z", sym(c, "w") * S("q")), UnknownSymbolError, r"node 'z' uses 'q', which"
     r" cell 'elman' does not declare " + KNOWN + r"; declare it first, e\.g\. cell\.param\('q'\)"),
    ("unknown-in-update", lambda c: c.update("h", S("q")), UnknownSymbolError,
     r"update of state 'h' uses 'q', which cell 'elman' does not declare " + KNOWN),
    ("unknown-in-loss", lambda c: c.loss(sym(c, "yhat") * S("q")), UnknownSymbolError,
     r"loss 'L' uses 'q', which cell 'elman' does not declare " + KNOWN + r"; declare it first"),
    ("unknown-quantity", lambda c: c.update("g", 1), UnknownSymbolError, r"cell 'elman' has no quantity 'g' " + KNOWN),
    ("loop-via-node", lambda c: c.update("h", sym(c, "w") * sym(c, "yhat")), AlgebraicLoopError,
     LOOP.format("elman", "h -> yhat -> h")),
    ("loop-on-itself", lambda c: c.update("h", sp.tanh(sym(c, "h"))), AlgebraicLoopError,
     LOOP.format("elman", "h -> h")),
    ("loop-two-states", lambda c: (c.state("g"), c.update("g", sym(c, "h")), c.update("h", sym(c, "g"))),
     AlgebraicLoopError, LOOP.format("elman", "g -> h -> g")),
    ("loss-2x1", lambda c: c.loss(sp.Matrix([sym(c, "yhat"), 1])), NonScalarLossError,
     r"loss 'L': got a 2x1 matrix where a scalar is needed; reduce it to a scalar \(e\.g\. a sum of its entries\)"),
    ("loss-2x2", lambda c: c.loss(sym(c, "w") * sp.eye(2)), NonScalarLossError, r"loss 'L': got a 2x2 matrix where a"),
    ("dup-input", lambda c: c.input("w"), DuplicateNameError,
     r"cell 'elman' already has a param named 'w'; give each quantity its own name"),
    ("dup-state", lambda c: c.state("h"), DuplicateNameError, r"already has a state named 'h'"),
    ("dup-node", lambda c: c.node("a", 1), DuplicateNameError, r"already has a node named 'a'; give each quantity"),
    ("dup-loss-name", lambda c: c.loss(1, name="yhat"), DuplicateNameError, r"already has a node named 'yhat'"),
    ("second-loss", lambda c: (c.loss(1), c.loss(2)), DuplicateNameError,
     r"cell 'elman' already has a loss 'L'; a cell has one per-step loss: add the terms in one expression"),
    ("second-update", lambda c: (c.update("h", 1), c.update("h", 2)), DuplicateNameError,
     r"state 'h' already has an update; give each state exactly one update"),
    ("param-after-state", lambda c: c.param("h_1"), InvalidNameError,
     r"param 'h_1' would clash with 'h' at step 1; rename one of them"),
    ("state-after-param", lambda c: (c.param("g_1"), c.state("g")), InvalidNameError,
     r"param 'g_1' would clash with 'g' at step 1; rename one of them"),
    ("loss-after-param", lambda c: (c.param("L_2"), c.loss(1)), InvalidNameError, r"param 'L_2' would clash with 'L'"),
    ("text-node", lambda c: c.node("z", "w*2"), ExpressionError, r"node 'z'" + TEXT),
    ("text-update", lambda c: c.update("h", "tanh(a)"), ExpressionError, r"update of state 'h'" + TEXT),
    ("text-loss", lambda c: c.loss("(yhat - y)**2"), ExpressionError, r"loss 'L'" + TEXT),
    ("text-init", lambda c: c.state("g", init="0"), ExpressionError, r"initial value of state 'g'" + TEXT),
    ("init-input", lambda c: c.state("g", init=sym(c, "x")), ExpressionError,
     r"initial value of state 'g' must be a number or a param of cell 'elman', got x_t; declare it first with"),
    ("init-unknown", lambda c: c.state("g", init=S("q")), ExpressionError, r"must be a number or a param .* got q;"),
    ("init-expr", lambda c: c.state("g", init=sym(c, "w") + 1), ExpressionError, r"must be a number .* got w \+ 1"),
    ("init-bool", lambda c: c.state("g", init=True), ExpressionError,
     r"initial value of state 'g': expected a sympy expression or a number, got True"),
    ("expr-list", lambda c: c.node("z", [1]), ExpressionError,
     r"node 'z': expected a sympy expression or a number, got list"),
    ("prev-input", lambda c: c.node("z", sym(c, "x").prev), ExpressionError,
     r"node 'z' uses x\.prev, but 'x' is an input: only states have a previous value"),
    ("prev-target", lambda c: c.update("h", sym(c, "y").prev), ExpressionError,
     r"update of state 'h' uses y\.prev, but 'y' is a target: only states have a previous value"),
    ("prev-node", lambda c: c.loss(prev("a")), ExpressionError, r"loss 'L' uses a\.prev, but 'a' is a node"),
    ("fixed-step", lambda c: c.update("h", sym(c, "h").at(2)), ExpressionError,
     r"update of state 'h' uses h_2, a value at a fixed step; a cell describes a generic step:"
     r" use h \(current\) or h\.prev \(previous\)"),
    ("uses-loss", lambda c: (c.loss(1), c.node("z", sym(c, "L"))), ExpressionError,
     r"node 'z' uses the loss 'L'; nothing may depend on the loss"),
    ("update-input", lambda c: c.update("x", 0), ExpressionError,
     r"update\('x', \.\.\.\): 'x' is an input, not a state; declare it with cell\.state\('x', init=\.\.\.\)"),
    ("update-prev", lambda c: c.update(sym(c, "h").prev, 0), ExpressionError,
     r"expected a quantity of cell 'elman', got h_\{t-1\}"),
    # found by this suite and fixed
    ("name-newline", lambda c: c.param("q\n"), InvalidNameError, r"'q\\n' is not a valid quantity name"),
    ("node-reads-itself", lambda c: c.node("z", sym(c, "w") * S("z")), AlgebraicLoopError,
     LOOP.format("elman", "z -> z")),
    ("plain-step-name", lambda c: c.update("h", S("h_1")), ExpressionError, r"h_1.*h\.prev"),
    ("matrix-node", lambda c: c.node("z", sp.Matrix([sym(c, "w"), 1])), ExpressionError, r"node 'z'.*2x1 matrix"),
    *[(f"init-{v}", lambda c, v=v: c.state("g", init=v), ExpressionError, r"initial value of state 'g'.*finite")
      for v in (math.nan, math.inf, sp.oo)],
    ("undefined-function", lambda c: c.node("z", sp.Function("f")(sym(c, "w"))), ExpressionError,
     r"node 'z'.*'f'.*function"),
]


@pytest.mark.parametrize("declare, exc, msg", [
    pytest.param(*d[1:4], id=d[0]) for d in DECLARATIONS])
def test_bad_declaration(declare, exc, msg):
    with pytest.raises(exc, match=msg):
        declare(elman_like(update=False, loss=False))


@pytest.mark.parametrize("name", ["1x", "", "a b", "lambda", "class", "x-y", "_x", None, 3])
@pytest.mark.parametrize("kind", ["param", "input", "target", "state", "node", "loss"])
def test_invalid_name(name, kind):
    cell = Cell()
    declare = {"node": lambda: cell.node(name, 1), "loss": lambda: cell.loss(1, name=name)}.get(
        kind, lambda: getattr(cell, kind)(name))
    with pytest.raises(InvalidNameError, match=re.escape(repr(name)) + r" is not a valid quantity name; use letters"):
        declare()


def test_rejected_update_leaves_cell_unchanged():
    cell = elman_like(update=False)
    with pytest.raises(AlgebraicLoopError):
        cell.update("h", cell.symbol("yhat"))
    assert cell.expr("h") is None and not cell.graph.has_edge("yhat", "h")


# ---------------------------------------------------------------------- 3, 4: incomplete cells
RUNNERS = {"validate": Cell.validate, "order": Cell.order, "unroll": lambda c: unroll(c, 3),
           "derive": lambda c: derive(c, 3, "U"), "gradients": lambda c: gradients(c, 3, VALUES)}


@pytest.mark.parametrize("run", RUNNERS.values(), ids=RUNNERS.keys())
@pytest.mark.parametrize("lacks, exc, msg", [
    ("update", MissingUpdateError, r"state 'h' of cell 'elman' has no update; add cell\.update\(h, <expression"),
    ("loss", MissingLossError, r"cell 'elman' has no loss; declare the per-step loss with cell\.loss\(<expression"),
])
def test_incomplete_cell(run, lacks, exc, msg):
    with pytest.raises(exc, match=msg):
        run(elman_like(**{lacks: False}))


def paramless(loss=True):
    cell = Cell("tiny")
    x, h = cell.input("x"), cell.state("h")
    cell.update(h, x + h.prev / 2)
    if loss:
        cell.loss(h ** 2)
    return cell


@pytest.mark.parametrize("call, exc", [
    (lambda: gradients(paramless(), 0, {"x": []}), StepsError),
    (lambda: gradients(paramless(loss=False), 3, {"x": [1, 2, 3]}), MissingLossError),
    (lambda: gradients(paramless(), 3, {"x": [1, 2, 3]}, mode="sideways"), WrtError),
    (lambda: gradients(paramless(), 3, {"x": [1]}), SequenceLengthError),
], ids=["T=0", "no-loss", "mode", "values"])
def test_gradients_validates_a_cell_without_params(call, exc):
    with pytest.raises(exc):
        call()


# ---------------------------------------------------------------------------- 13: from_graph
GRAPHS = [
    ({"h": dict(expr=S("q") * prev("h"))}, UnknownSymbolError, r"update of state 'h' uses 'q', which cell 'cell' does"),
    ({"L": dict(expr=S("q") * S("h"))}, UnknownSymbolError, r"loss 'L' uses 'q', which cell 'cell' does not declare"),
    ({"h": dict(init=S("q"))}, UnknownSymbolError, r"initial value of state 'h' uses 'q', which cell 'cell' does"),
    ({"a": dict(kind="node", expr=S("b") + S("x")), "b": dict(kind="node", expr=2 * S("a"))},
     AlgebraicLoopError, LOOP.format("cell", "a -> b -> a")),
    ({"h": dict(expr=sp.tanh(S("a"))), "a": dict(kind="node", expr=S("w") * S("h"))},
     AlgebraicLoopError, LOOP.format("cell", "a -> h -> a")),
    ({"z": {}}, ExpressionError, r"graph node 'z' has kind None; set its 'kind' attribute to one of input, target,"),
    ({"z": dict(kind="weight")}, ExpressionError, r"graph node 'z' has kind 'weight'; set its 'kind' attribute to"),
    ({"a": dict(kind="node")}, ExpressionError, r"graph node 'a' \(node\) has no 'expr' attribute"),
    ({"L": dict(expr=None)}, ExpressionError, r"graph node 'L' \(loss\) has no 'expr' attribute"),
    ({"L": dict(expr="h**2")}, ExpressionError, r"loss 'L'" + TEXT),
    ({"h": dict(init="u")}, ExpressionError, r"initial value of state 'h'" + TEXT),
    ({"L": dict(expr=prev("x"))}, ExpressionError, r"loss 'L' uses x\.prev, but 'x' is an input: only states have"),
    ({"L2": dict(kind="loss", expr=S("h"))}, DuplicateNameError, r"already has a loss 'L'; a cell has one per-step"),
    ({"1x": dict(kind="param")}, InvalidNameError, r"'1x' is not a valid quantity name"),
    ({"h_1": dict(kind="param")}, InvalidNameError, r"param 'h_1' would clash with 'h' at step 1"),
    ({"h": dict(expr=None)}, MissingUpdateError, r"state 'h' of cell 'cell' has no update; add cell\.update\(h, "),
]


@pytest.mark.parametrize("nodes, exc, msg", GRAPHS, ids=[m[:24] for _, _, m in GRAPHS])
def test_bad_graph(nodes, exc, msg):
    with pytest.raises(exc, match=msg):
        Cell.from_graph(graph(**nodes)).validate()


def test_graph_edges_must_match_expressions():
    g = graph()
    g.add_edges_from([("w", "h"), ("x", "h"), ("u", "h"), ("h", "h"), ("h", "L")])
    Cell.from_graph(g)  # exactly the implied edges: accepted
    g.add_edge("x", "L")
    with pytest.raises(ExpressionError, match=r"graph has the edge 'x' -> 'L' but the expression of 'L' does not"
                                              r" use 'x'; fix the edge or the expression"):
        Cell.from_graph(g)
    g.remove_edges_from([("x", "L"), ("h", "L")])
    with pytest.raises(ExpressionError, match=r"graph lacks the edge 'h' -> 'L' but the expression of 'L' uses 'h'"):
        Cell.from_graph(g)


def test_from_graph_needs_a_graph():
    with pytest.raises(SymbrnnError, match=r"DiGraph.*dict"):
        Cell.from_graph({"x": {"kind": "input"}})


# ------------------------------------------------------------------------------ 8: steps T
@pytest.mark.parametrize("T", [0, -1, 1.5, 3.0, True, "3", None])
@pytest.mark.parametrize("run", [lambda c, T: derive(c, T, "U"), unroll, lambda c, T: gradients(c, T, VALUES)],
                         ids=["derive", "unroll", "gradients"])
def test_bad_steps(T, run, request):
    if T is None and request.node.callspec.id.startswith("gradients"):
        assert run(elman_like(), T) == gradients(elman_like(), 3, VALUES)  # gradients() tells T from the values
        return
    msg = re.escape(f"T={T!r}: the number of steps must be a whole number >= 1, e.g. T=3")
    with pytest.raises(StepsError, match=msg):
        run(elman_like(), T)


# -------------------------------------------------------------------------- 9, 10: wrt, of, mode
REQUESTS = [
    (dict(wrt="x"), r"wrt=x: 'x' is an input of cell 'elman'; derive with respect to " + ALLOWED),
    (lambda c: dict(wrt=c.symbol("x")), r"wrt=x_t: 'x' is an input of cell 'elman', not " + ALLOWED),
    (dict(wrt="y"), r"wrt=y: 'y' is a target of cell 'elman'; derive with respect to " + ALLOWED),
    (dict(wrt="a"), r"wrt=a: 'a' is a node of cell 'elman'; derive with respect to " + ALLOWED),
    (lambda c: dict(wrt=c.symbol("yhat")), r"wrt=yhat_t: 'yhat' is a node of cell 'elman', not " + ALLOWED),
    (dict(wrt="L"), r"wrt=L: 'L' is a loss of cell 'elman'; derive with respect to " + ALLOWED),
    (lambda c: dict(wrt=c.symbol("h")), r"wrt=h_t: 'h' is a state of cell 'elman', not " + ALLOWED
     + r"; for its initial value use h\.at\(0\)"),
    (dict(wrt="h"), r"wrt=h: 'h' is a state of cell 'elman'; derive with respect to " + ALLOWED),
    (dict(wrt="q"), r"wrt=q: cell 'elman' has no 'q'; derive with respect to " + ALLOWED),
    (dict(wrt="h_5"), r"wrt=h_5: cell 'elman' has no 'h_5'; derive with respect to " + ALLOWED),
    (lambda c: dict(wrt=c.symbol("h").at(2)), r"wrt=h_2: cell 'elman' has no 'h_2'; derive with respect to " + ALLOWED),
    (dict(wrt=None), r"wrt=None: expected " + ALLOWED),
    (lambda c: dict(wrt=2 * c.symbol("U")), r"wrt=2\*U: expected " + ALLOWED),
    (dict(of="h_9"), r"of=h_9: step 9 is outside 1\.\.3"),
    (dict(of="h_0"), r"of=h_0: step 0 is outside 1\.\.3"),
    (dict(of="x_2"), r"of=x_2: 'x' is an input; give a state, node or the loss at a step"),
    (dict(of="w_1"), r"of=w_1: 'w' is a param; give a state, node or the loss at a step"),
    (dict(of="q_1"), r"of=q_1: 'q' is not a quantity of the cell; give a state, node or the loss at a step"),
    (dict(of="h"), r"of='h': give a quantity at a step, e\.g\. of=h\.at\(2\) or of='h_2', or None"),
    (lambda c: dict(of=c.symbol("h")), r"of=h_t: give a quantity at a step, e\.g\. of=h\.at\(2\)"),
    (dict(of=5), r"of=5: give a quantity at a step"),
    (dict(mode="backward"), r"mode='backward': use 'forward' \(explicit \+ implicit terms\) or 'reverse' \(deltas\)"),
]


@pytest.mark.parametrize("change, msg", REQUESTS)
def test_bad_wrt_of_or_mode(change, msg):
    cell = elman_like()
    kwargs = {"wrt": "U", **(change(cell) if callable(change) else change)}
    with pytest.raises(WrtError, match=msg):
        derive(cell, 3, **kwargs)
    if "mode" in kwargs:
        with pytest.raises(WrtError, match=msg):
            gradients(cell, 3, VALUES, mode=kwargs["mode"])


def test_initial_state_is_a_valid_wrt():
    cell = elman_like()
    by_name = derive(cell, 3, "h_0").value(VALUES)
    assert isinstance(by_name, float) and math.isfinite(by_name) and by_name != 0
    assert derive(cell, 3, cell.symbol("h").at(0), mode="reverse").value(VALUES) == pytest.approx(by_name)


# ------------------------------------------------------------------------------- 11: values
@pytest.mark.parametrize("changes, exc, msg", [
    (dict(U=DROP), MissingValueError, r"values lacks 'U' for cell 'elman'; add 'U': <number>"),
    (dict(U=DROP, b=DROP), MissingValueError, r"values lacks 'U', 'b' .*; add 'U': <number> and 'b': <number>"),
    (dict(x=DROP), MissingValueError, r"values lacks 'x' for cell 'elman'; add 'x': \[<3 numbers>\]"),
    (dict(y=DROP), MissingValueError, r"values lacks 'y' for cell 'elman'; add 'y': \[<3 numbers>\]"),
    (dict(q=1), UnknownValueError, r"values has 'q', not a param, input or target of cell 'elman' \(expected: w, U,"),
    (dict(h=[0, 0, 0]), UnknownValueError, r"values has 'h', not a param, input or target of cell 'elman'"),
    (dict(x=[1, 2]), SequenceLengthError, r"input 'x' has 2 values but T=3; give exactly one per step"),
    (dict(y=[1, 2, 3, 4]), SequenceLengthError, r"target 'y' has 4 values but T=3; give exactly one per step"),
    (dict(x=1.0), SequenceLengthError, r"input 'x' is per-step data: give a sequence of 3 numbers, one per step"),
    (dict(U=[.5, .5, .5]), ValuesError, r"param 'U' is shared across steps: give one number, not a sequence"),
    (dict(U=math.nan), ValuesError, r"param 'U' is nan; give a finite number"),
    (dict(U=-math.inf), ValuesError, r"param 'U' is -inf; give a finite number"),
    (dict(x=[1, math.nan, .6]), ValuesError, r"x\[1\] \(step 2\) is nan; give a finite number"),
    (dict(U="0.5"), ValuesError, r"param 'U' must be a real number, got '0\.5'"),
    (dict(U=None), ValuesError, r"param 'U' must be a real number, got None"),
    (dict(U=True), ValuesError, r"param 'U' must be a real number, got True"),
    (dict(U=1j), ValuesError, r"param 'U' must be a real number, got 1j"),
    (dict(x=[1, "a", .6]), ValuesError, r"x\[1\] \(step 2\) must be a real number, got 'a'"),
    (dict(x={1, .8, .6}), ValuesError, r"'x' is a set; per-step data is an ordered sequence"),
])
def test_bad_values(changes, exc, msg):
    with pytest.raises(exc, match=msg):
        derive(elman_like(), 3, "U").value(values(**changes))
    with pytest.raises(exc, match=msg):
        gradients(elman_like(), 3, values(**changes))


def test_values_keyed_by_symbol():
    cell = elman_like()
    by_symbol = {cell.symbol(k): v for k, v in VALUES.items()}
    assert derive(cell, 3, "U").value(by_symbol) == derive(cell, 3, "U").value(VALUES)
    del by_symbol[cell.symbol("U")]
    with pytest.raises(MissingValueError, match=r"values lacks 'U' for cell 'elman'; add 'U': <number>"):
        derive(cell, 3, "U").value(by_symbol)
    by_symbol.update({cell.symbol("U"): .5, cell.symbol("x"): [1, 2]})
    with pytest.raises(SequenceLengthError, match=r"input 'x' has 2 values but T=3; give exactly one per step"):
        derive(cell, 3, "U").value(by_symbol)


@pytest.mark.parametrize("make, exc, msg", [
    (lambda c: {**VALUES, c.symbol("U"): .5}, ValuesError, r"values gives 'U' twice \(by name and by symbol\); give"),
    (lambda c: {**VALUES, c.symbol("x").at(1): .5}, UnknownValueError,
     r"values are keyed by quantity, not by x_1: give per-step data as one sequence under 'x'"),
    (lambda c: {**VALUES, 3: .5}, UnknownValueError, r"values key 3: use a quantity name or its symbol"),
    (lambda c: {**VALUES, S("q"): .5}, UnknownValueError, r"values has 'q', not a param, input or target"),
    (lambda c: list(VALUES.items()), ValuesError, r"values must be a mapping of names to numbers, got list"),
], ids=["name-and-symbol", "step-symbol", "int-key", "unknown-symbol", "not-a-mapping"])
def test_bad_values_keys(make, exc, msg):
    cell = elman_like()
    with pytest.raises(exc, match=msg):
        derive(cell, 3, "U").value(make(cell))


# ---------------------------------------------------------------------------- 14: hierarchy
PARENTS = {"SymbrnnError": ValueError, "CellError": SymbrnnError, "StepsError": SymbrnnError,
           "WrtError": SymbrnnError, "ValuesError": SymbrnnError, "GradientCheckError": SymbrnnError,
           "BackendError": SymbrnnError,
           "MissingValueError": ValuesError, "UnknownValueError": ValuesError, "SequenceLengthError": ValuesError,
           "SpecError": SymbrnnError, "EquationError": errors.SpecError}


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_is_a_symbrnn_error_and_a_value_error(name):
    cls = getattr(errors, name)
    assert issubclass(cls, SymbrnnError) and issubclass(cls, ValueError)
    assert getattr(symbrnn, name) is cls
    assert cls.__bases__ == (PARENTS.get(name, errors.CellError),)  # the documented families


# ------------------------------------------------------------------- numbers that are accepted
def test_exact_and_zero_dimensional_numbers_are_accepted_as_values():
    import numpy as np

    as_float = derive(elman_like(), 3, "U").value(values(U=float(sp.pi) / 6, x=[1.0, 0.8, 0.6]))
    exact = derive(elman_like(), 3, "U").value(values(U=sp.pi / 6, x=np.array([1.0, 0.8, 0.6])))
    zero_d = derive(elman_like(), 3, "U").value(values(U=np.array(float(sp.pi) / 6)))
    assert as_float == exact == zero_d


def test_a_list_loss_is_not_a_scalar():
    cell = elman_like(loss=False)
    with pytest.raises(NonScalarLossError, match=r"loss 'L': got a 2 array where a scalar is needed"):
        cell.loss([cell.symbol("yhat"), 1])


def test_a_state_named_as_wrt_text_gets_the_initial_state_hint():
    with pytest.raises(WrtError, match=r"'h' is a state .* for its initial value use wrt='h_0'"):
        derive(elman_like(), 3, "h")


@pytest.mark.parametrize(
    "expr", [lambda w: 1 / (w - w), lambda w: w * sp.zoo, lambda w: w + sp.oo, lambda w: sp.nan * w]
)
def test_infinite_or_undefined_expressions_are_refused(expr):
    cell = elman_like(update=False, loss=False)
    with pytest.raises(ExpressionError, match=r"node 'z' is infinite or undefined .* divides by zero"):
        cell.node("z", expr(cell.symbol("w")))


def test_imaginary_expressions_are_refused():
    cell = elman_like(update=False, loss=False)
    with pytest.raises(ExpressionError, match=r"node 'z' has an imaginary number .* real quantities"):
        cell.node("z", sp.sqrt(-1) * cell.symbol("w"))


def test_the_graph_is_a_copy_edits_cannot_reach_the_cell():
    cell = elman_like()
    g = cell.graph
    with pytest.raises(nx.NetworkXError):
        g.add_node("oops")
    g.nodes["a"]["expr"] = 0  # attribute dicts are the copy's own
    assert cell.expr("a") != 0
    assert math.isfinite(derive(cell, 3, "U").value(VALUES))


@pytest.mark.parametrize("declare", [
    lambda c: c.node("h_0", c.symbol("w")),  # after the state
    lambda c: (c.input("g_0"), c.state("g")),  # before the state
])
def test_a_quantity_cannot_take_a_state_initial_value_name(declare):
    message = r"'(h|g)_0' is the name of state '(h|g)''s initial value \(wrt='(h|g)_0'\)"
    with pytest.raises(InvalidNameError, match=message):
        declare(elman_like(update=False, loss=False))


def _starts_from(param_name: str) -> Cell:
    cell = Cell("own_init")
    x, w = cell.input("x"), cell.param("w")
    h0 = cell.param(param_name)
    h1 = cell.state("h1", init=h0)
    cell.update(h1, sp.tanh(w * x + h1.prev))
    cell.loss(h1**2)
    return cell


@pytest.mark.parametrize("strategy", ["terms", "bptt", "straight"])
def test_a_state_may_start_from_a_param_named_as_its_initial_value(strategy):
    """h1 starting from a param called h1_0: both names name one value, so it is accepted."""
    from symbrnn import compile_cell

    data = {"x": [1.0, -.5, .25], "w": .7}
    own = compile_cell(_starts_from("h1_0")).gradients({**data, "h1_0": .3}, strategy=strategy)
    other = compile_cell(_starts_from("p")).gradients({**data, "p": .3}, strategy=strategy)
    assert own == pytest.approx({"w": other["w"], "h1_0": other["p"]}, rel=1e-12)


@pytest.mark.parametrize("declare", [
    lambda c: (c.param("h1_0"), c.state("h1", init=0)),  # the param is not where h1 starts
    lambda c: (c.param("q"), c.state("h1", init=c.symbol("q")), c.param("h1_0")),  # h1 starts from q
])
def test_a_param_named_as_an_initial_value_it_is_not_is_still_refused(declare):
    cell = Cell("clash")
    cell.input("x")
    with pytest.raises(InvalidNameError, match=r"'h1_0' is the name of state 'h1''s initial value"):
        declare(cell)


@pytest.mark.parametrize("f, name", [
    (sp.floor, "floor"), (sp.ceiling, "ceiling"), (sp.frac, "frac"), (lambda z: sp.Mod(z, 2), "Mod"),
])
def test_a_function_without_a_derivative_is_refused_when_declared(f, name):
    cell = Cell("steps")
    x, w = cell.input("x"), cell.param("w")
    with pytest.raises(ExpressionError, match=rf"node 'a' uses {name}, whose derivative sympy cannot write"):
        cell.node("a", f(w * x))
    assert "a" not in cell


@pytest.mark.parametrize("f", [sp.Abs, lambda z: sp.Max(z, 0), sp.erf, sp.LambertW, lambda z: sp.Mod(3, 2) * z])
def test_functions_with_a_derivative_are_accepted(f):
    cell = Cell("fine")
    x, w = cell.input("x"), cell.param("w")
    cell.node("a", f(w * x))
    assert cell.expr("a") is not None


def _without_numbers(f) -> Cell:
    cell = Cell("special")
    x, y, w = cell.input("x"), cell.target("y"), cell.param("w")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(f(w * x) + h.prev))
    cell.loss((h - y) ** 2)
    return cell


NO_NUMBERS = [(sp.LambertW, "LambertW"), (sp.fresnels, "fresnels"), (lambda z: sp.besselj(0, z), "besselj"),
              (sp.Heaviside, "DiracDelta"), (sp.sign, "DiracDelta"), (lambda z: sp.expint(1, z), "expint")]


@pytest.mark.parametrize("f, name", NO_NUMBERS, ids=[n for _, n in NO_NUMBERS])
def test_a_function_with_no_numeric_form_is_a_backend_error_on_every_path(f, name):
    """Its derivative is written (the cell is accepted) but numpy cannot compute it: every numeric path says which
    function, as a BackendError, never a NameError or sympy's PrintMethodNotImplementedError at run time."""
    cell = _without_numbers(f)
    values = {"w": 0.7, "x": [1.3, 0.4], "y": [0.1, 0.2]}
    paths = [lambda: gradients(cell, 2, values), lambda: derive(cell, 2, wrt="w").evaluate(values)]
    paths += [lambda s=s: symbrnn.compile_cell(cell).gradients(values, strategy=s) for s in ("auto", "terms", "bptt")]
    for run in paths:
        with pytest.raises(errors.BackendError, match=rf"calls .*'{name}'.*no numeric form.*symbolic derivation"):
            run()
    assert derive(cell, 2, wrt="w").terms  # the symbolic side still works


def _overflows_backward() -> Cell:
    """exp(h) at h = 709 is 8.2e307 (finite); its gradient 709·exp(709) is not a float."""
    cell = Cell("backward_overflow")
    x, w = cell.input("x"), cell.param("w")
    h = cell.state("h", init=0)
    cell.update(h, w * x + h.prev / 2)
    cell.loss(sp.exp(h))
    return cell


@pytest.mark.parametrize("strategy, backend", [
    ("terms", "python"), ("terms", "numpy"), ("bptt", "python"), ("bptt", "numpy"), ("bptt", "c"),
    ("straight", "python"), ("arrays", "numpy"),
])
def test_a_backward_overflow_is_reported_by_every_strategy(strategy, backend):
    from symbrnn import compile_cell

    values = {"w": 1.0, "x": [709.0]}
    assert math.isfinite(compile_cell(_overflows_backward()).loss(values))
    with pytest.raises(ValuesError, match=r"dL/dw is inf: the backward pass overflows"):
        compile_cell(_overflows_backward()).gradients(values, strategy=strategy, backend=backend)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_a_backward_overflow_names_the_term_and_its_step(mode):
    with pytest.raises(ValuesError, match=r"the term \S+ \(step 1\) is inf"):
        derive(_overflows_backward(), 1, wrt="w", mode=mode).evaluate({"w": 1.0, "x": [709.0]})


def test_values_that_divide_by_zero_or_overflow_are_named_not_silent():
    cell = Cell("div")
    x = cell.input("x")
    w = cell.param("w")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(w / x + h.prev))
    cell.loss(h**2)
    with pytest.raises(ValuesError, match=r"the forward pass at step 2 fails .*divide by zero or overflow"):
        gradients(cell, 2, {"w": 1.0, "x": [1.0, 0.0]})
    big = elman_like()
    with pytest.raises(ValuesError, match=r"(L|∂L) .*at step 1 is (inf|nan): the values overflow"):
        gradients(big, 3, values(V=1e200))
