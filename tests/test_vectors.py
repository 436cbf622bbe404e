"""Vector and matrix quantities: the Tensor front-end, declarations, values, and the engine's numbers
against sympy.diff of the unrolled loss and mpmath finite differences."""

import networkx as nx
import numpy as np
import pytest
import sympy as sp
import vectorzoo as vz

import symbrnn
from symbrnn import Cell, Tensor, compile_cell, derive, exp, gradients, log, relu, sigmoid, softmax, tanh, unroll
from symbrnn.cells import elman_softmax
from symbrnn.core.errors import (
    ExpressionError,
    MissingValueError,
    NonScalarLossError,
    SequenceLengthError,
    ShapeError,
    UnknownValueError,
    ValuesError,
    WrtError,
)
from symbrnn.core.symbols import Step
from symbrnn.declare.validate import instant_graph
from symbrnn.derive.partials import CellPartials
from symbrnn.testing import check_gradients


def tiny(init="param") -> Cell:
    """The smallest interesting vector cell: 2-d input, 2-d state, a matrix, a vector bias, a node."""
    cell = Cell("tiny")
    x = cell.input("x", shape=2)
    y = cell.target("y")
    W, U, b = cell.param("W", shape=(2, 2)), cell.param("U", shape=(2, 2)), cell.param("b", shape=2)
    v = cell.param("v", shape=2)
    h = cell.state("h", shape=2, init=cell.param("h0", shape=2) if init == "param" else [0.3, -0.1])
    a = cell.node("a", W @ x + U @ h.prev + b)
    cell.update(h, tanh(a))
    cell.loss((v @ h - y) ** 2 / 2)
    return cell


def tiny_values(T):
    rng = np.random.default_rng(1)
    return {"W": rng.normal(size=(2, 2)), "U": 0.5 * rng.normal(size=(2, 2)), "b": [0.1, -0.2], "v": [1.0, -0.5],
            "h0": [0.2, 0.4], "x": rng.normal(size=(T, 2)).tolist(), "y": rng.normal(size=T)}


# ------------------------------------------------------------------------------ Tensor semantics
def test_tensor_follows_numpy_semantics():
    W = Tensor.symbols("W", (3, 2), kind="param")
    x = Tensor.symbols("x", 2)
    assert (W @ x).shape == (3,) and (W.T @ (W @ x)).shape == (2,)
    assert (x @ x).shape == () and sp.sympify(x @ x) == x[0] ** 2 + x[1] ** 2  # vector @ vector is a scalar
    assert (W * 2).tolist() == [[2 * e for e in row] for row in W.tolist()]
    assert (1 - x).tolist() == [1 - x[0], 1 - x[1]]
    assert (x / 2 + x ** 2).tolist() == [x[0] / 2 + x[0] ** 2, x[1] / 2 + x[1] ** 2]
    assert (2 ** x)[1] == 2 ** x[1] and (-x)[0] == -x[0] and (+x) is x
    assert (W + x).shape == (3, 2)  # numpy broadcasting: rows + a row
    assert sp.sympify(W.sum()) == sum(W.flat()) and W.sum(axis=0).shape == (2,)
    assert sp.sympify(x.mean()) == (x[0] + x[1]) / 2
    assert W[1:, 0].shape == (2,) and W[2, 1] == sp.Symbol("W[2,1]", real=True)
    assert (np.array([1.0, 2.0]) * x)[1] == 2.0 * x[1]  # numpy defers to Tensor
    assert (sp.Matrix([[1, 0], [0, 1]]) @ x).tolist() == x.tolist() and (sp.Symbol("k") * x)[0] == sp.Symbol("k") * x[0]
    assert x.prev[0] == x[0].prev and x.at(3)[1] == Step("x[1]_3", real=True)
    assert len(W) == 3 and [r.shape for r in W] == [(2,)] * 3


@pytest.mark.parametrize("build, msg", [
    (lambda W, x, b: W @ b, r"W @ b: shapes \(3, 2\) and \(3,\) do not fit: the last axis of the left \(2\)"),
    (lambda W, x, b: x + b, r"x \+ b: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda W, x, b: (W @ x) * x, r"a \(3,\) tensor \* x: shapes \(3,\) and \(2,\) do not broadcast"),
    (lambda W, x, b: x @ 2, r"x @ a scalar: @ is the matrix product of arrays; to scale by a scalar use \*"),
    (lambda W, x, b: x ** x, r"x \*\* x: the exponent must be a scalar"),
    (lambda W, x, b: softmax(W), r"softmax needs a vector .* got shape \(3, 2\)"),
])
def test_shape_errors_name_both_operands_and_shapes(build, msg):
    W, x, b = Tensor.symbols("W", (3, 2), kind="param"), Tensor.symbols("x", 2), Tensor.symbols("b", 3)
    with pytest.raises(ShapeError, match=msg):
        build(W, x, b)


def test_sympy_functions_on_a_tensor_say_which_to_use():
    with pytest.raises(ExpressionError, match=r"'?x'? is a tensor: sympy's own functions take scalars; use symbrnn"):
        sp.tanh(Tensor.symbols("x", 2))


def test_activations_are_sympy_functions_elementwise_on_tensors():
    z = sp.Symbol("z")
    v = Tensor.symbols("v", 3)
    assert sigmoid(z).diff(z) == sigmoid(z) * (1 - sigmoid(z))
    assert tanh(z) == sp.tanh(z) and exp(z) == sp.exp(z) and log(z) == sp.log(z)
    for f, g in ((sigmoid, sigmoid), (tanh, sp.tanh), (relu, relu), (exp, sp.exp), (log, sp.log)):
        assert f(v).tolist() == [g(e) for e in v.flat()]
    assert relu(z).diff(z).subs(z, 0) == 0 and relu(z).diff(z).subs(z, 2) == 1  # relu'(0) = 0
    s = softmax(v)
    assert sp.simplify(s[0].diff(v[0]) - s[0] * (1 - s[0])) == 0 and s[0].diff(v[2]) == -s[0] * s[2]
    assert sp.simplify(s[1].rewrite(sp.exp) - sp.exp(v[1]) / sum(sp.exp(e) for e in v.flat())) == 0
    values = {v[0]: 0.3, v[1]: -1.2, v[2]: 2.0}
    lse = float(sp.sympify(symbrnn.logsumexp(v)).subs(values).evalf())
    assert lse == pytest.approx(np.log(np.exp([.3, -1.2, 2]).sum()))
    assert str(sigmoid(v)[0].diff(v[0])) == "(1 - sigmoid(v[0]_t))*sigmoid(v[0]_t)"


# ------------------------------------------------------------------------------ declarations
def test_graph_keeps_one_node_per_quantity_with_its_shape():
    cell = vz.gated_elman()
    G = cell.graph
    assert list(G.nodes) == ["x", "y", "W", "U", "b", "W_g", "U_g", "b_g", "h0", "h", "g", "L"]
    assert dict(G.nodes(data="shape"))["W"] == (3, 2) and G.nodes["h"]["shape"] == (3,) and G.nodes["L"]["shape"] == ()
    assert G.edges["h", "g"]["delay"] and not G.edges["g", "h"]["delay"] and G.edges["h", "h"]["lags"] == (1,)
    assert isinstance(G.nodes["h"]["expr"], Tensor) and G.nodes["h"]["expr"].shape == (3,)
    assert nx.is_directed_acyclic_graph(instant_graph(cell.graph))
    assert "  params: W (3, 2), U (3, 3), b (3,)" in str(cell)


def test_from_graph_round_trip_of_a_shaped_cell():
    cell = vz.gated_elman()
    again = Cell.from_graph(cell.graph)
    values = vz.random_values(cell, 3, seed=4)
    a, b = gradients(cell, 3, values), gradients(again, 3, values)
    assert list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("declare, exc, msg", [
    (lambda c, h, W, x: c.update(h, W @ x), ShapeError,
     r"update of state 'h': state 'h' has shape \(3,\) but the expression has shape \(2,\)"),
    (lambda c, h, W, x: c.loss(h), NonScalarLossError, r"loss 'L': got a \(3,\) tensor where a scalar is needed"),
    (lambda c, h, W, x: c.state("g", shape=2, init=W), ShapeError,
     r"initial value of state 'g': state 'g' has shape \(2,\) but param 'W' has shape \(2, 2\)"),
    (lambda c, h, W, x: c.state("g", shape=2, init=[1, 2, 3]), ShapeError, r"has shape \(2,\) but the value has"),
    (lambda c, h, W, x: c.state("g", shape=2, init=[1, x[0]]), ExpressionError, r"must be a finite number"),
    (lambda c, h, W, x: c.state("g", init=[1, 2]), ShapeError, r"state 'g' is a scalar"),
    (lambda c, h, W, x: c.param("q", shape=(2, 0)), ShapeError, r"shape of 'q' is \(2, 0\); give a positive int"),
    (lambda c, h, W, x: c.node("z", 2 * sp.Symbol("x")), ShapeError, r"uses 'x' as a scalar, but it has shape"),
    (lambda c, h, W, x: c.node("z", x + sp.Symbol("W[5,0]")), ShapeError,
     r"node 'z' uses 'W\[5,0\]', but 'W' has shape \(2, 2\): no such component"),
    (lambda c, h, W, x: c.node("z", x.prev), ExpressionError, r"uses x\.prev, but 'x' is an input"),
])
def test_bad_shaped_declaration(declare, exc, msg):
    cell = Cell("c")
    x, W = cell.input("x", shape=2), cell.param("W", shape=(2, 2))
    h = cell.state("h", shape=3)
    with pytest.raises(exc, match=msg):
        declare(cell, h, W, x)


def test_a_scalar_update_broadcasts_and_initial_values_take_numbers_arrays_or_params():
    cell = Cell("c")
    x = cell.input("x", shape=2)
    w = cell.param("w")
    h = cell.state("h", shape=2, init=[0.5, -1])
    g = cell.state("g", shape=2, init=w)
    cell.update(h, tanh(x + h.prev))
    cell.update(g, w * g.prev[0])  # a scalar: every component
    cell.loss((h * g).sum())
    assert cell.expr("g").tolist() == [w * g.prev[0]] * 2
    values = {"w": 0.7, "x": [[1, 2], [3, -1], [0.5, 0.5]]}
    report = check_gradients(cell, 3, values, wrt=["w", "h_0", "g_0"], rtol=1e-12, atol=1e-13)
    assert report.ok, str(report)
    fwd = compile_cell(cell).forward(values)
    np.testing.assert_array_equal(fwd["h"][0], [0.5, -1.0])
    np.testing.assert_array_equal(fwd["g"][0], [0.7, 0.7])


# ------------------------------------------------------------------------------ oracles
def _components(cell):
    low = symbrnn.declare.lower.lowered(cell)
    return list(low.names("param")) + [f"{s}_0" for s in low.names("state")]


@pytest.mark.parametrize("T", [1, 2])
@pytest.mark.parametrize("init", ["param", "array"])
def test_engine_equals_sympy_diff_of_the_unrolled_loss(T, init):
    cell = tiny(init)
    u = unroll(cell, T)
    for wrt in _components(cell):
        theta = derive(cell, T, wrt=wrt).wrt
        oracle = sp.diff(u.expanded(u.loss, keep_initial=isinstance(theta, Step)), theta)
        for mode in ("forward", "reverse"):
            engine = derive(cell, T, wrt=wrt, mode=mode).expand(forward_values=True)
            assert sp.expand(engine - oracle) == 0, (wrt, mode)


@pytest.mark.parametrize("make, T, one_hot", [
    (tiny, 4, None), (vz.gated_elman, 3, None), (vz.softplus_peephole, 3, "y"),
    (lambda: elman_softmax(2, 3, 3, learn_init=True), 3, "y"), (lambda: vz.lstm(2, 2), 2, None),
    (lambda: vz.gru(2, 2), 2, None),
])
def test_engine_equals_mpmath_finite_differences(make, T, one_hot):
    cell = make()
    values = tiny_values(T) if make is tiny else vz.random_values(cell, T, seed=8, one_hot=one_hot)
    wrt = list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]
    for mode in ("reverse", "forward"):
        report = check_gradients(cell, T, values, wrt=wrt, mode=mode, rtol=1e-11, atol=1e-12)
        assert report.ok, f"{mode}\n{report}"


def test_softmax_cross_entropy_gradient_is_yhat_minus_y():
    """Seed 004: ∂L_t/∂z_t = ŷ_t − y_t, as the engine differentiates the cell."""
    cell = elman_softmax(2, 3, 4)
    P = CellPartials(cell)
    z, y, yhat = cell.symbol("z"), cell.symbol("y"), cell.expr("yhat")
    for k in range(4):
        assert P.local("L", z[k]) == yhat[k] - y[k]
    # the same quantity the long way: -Σ y log ŷ with one-hot y
    ce = -(y * log(softmax(z))).sum()
    onehot = {y[j]: int(j == 2) for j in range(4)}
    for k in range(4):
        assert sp.simplify(ce.diff(z[k]).subs(onehot) - (yhat[k] - y[k]).subs(onehot)) == 0


# ------------------------------------------------------------------------------ values and results
def test_gradients_are_arrays_of_each_params_shape_in_declaration_order():
    cell = vz.softplus_peephole()
    values = vz.random_values(cell, 3, seed=2, one_hot="y")
    grads = gradients(cell, 3, values)
    assert list(grads) == ["W", "U", "b", "V", "s", "h0"]
    assert {k: np.shape(v) for k, v in grads.items()} == {
        "W": (4, 3), "U": (4, 4), "b": (4,), "V": (2, 4), "s": (), "h0": (4,)}
    assert isinstance(grads["s"], float) and grads["W"].dtype == float
    as_lists = {k: (np.asarray(v).tolist() if k in ("x", "y") else v) for k, v in values.items()}
    by_tensor = {cell.symbol(k) if k in cell.names() else k: v for k, v in values.items()}
    for other in (as_lists, by_tensor):
        again = gradients(cell, 3, other)
        assert all(np.array_equal(again[k], grads[k]) for k in grads)
    one = derive(cell, 3, wrt="W[2,1]").value(values)
    assert one == pytest.approx(grads["W"][2, 1], rel=1e-12, abs=1e-15)
    assert derive(cell, 3, wrt=cell.symbol("W")[2, 1]).value(values) == one
    sym = derive(cell, 3, wrt="h[1]_0", mode="reverse").value(values)
    assert sym == pytest.approx(grads["h0"][1], rel=1e-12, abs=1e-15)


VALUES_ERRORS = [
    (dict(W=[[1, 2, 3]] * 3), ValuesError, r"param 'W' has shape \(4, 3\): give an array of shape \(4, 3\) \(nested"
     r" lists or numpy\), got shape \(3, 3\)"),
    (dict(x=np.zeros((2, 3))), SequenceLengthError, r"input 'x' has 2 rows but T=3; give exactly one row of shape"),
    (dict(x=np.zeros((3, 2))), ValuesError, r"input 'x' has shape \(3,\): give 3 rows of shape \(3,\), i\.e\. an"
     r" array of shape \(3, 3\) .*got shape \(3, 2\)"),
    (dict(x=[[1, 2, 3], [1, 2], [1, 2, 3]]), ValuesError, r"input 'x' needs numbers \(3 rows of shape \(3,\)\)"),
    (dict(b="1 2 3 4"), ValuesError, r"param 'b' needs numbers \(\(4,\)\), got str"),
    (dict(b=[True, False, True, True]), ValuesError, r"param 'b' needs numbers .*booleans"),
    (dict(b=[1, 2, np.nan, 4]), ValuesError, r"param 'b\[2\]' is nan; give a finite number"),
    (dict(q=1), UnknownValueError, r"values has 'q', not a param, input or target of cell 'softplus_peephole'"),
    (dict(V=None), MissingValueError, r"values lacks 'V' .*add 'V': <array of shape \(2, 4\)>"),
]


@pytest.mark.parametrize("change, exc, msg", VALUES_ERRORS)
def test_bad_shaped_values(change, exc, msg):
    cell = vz.softplus_peephole()
    values = vz.random_values(cell, 3, seed=2, one_hot="y")
    for k, v in change.items():
        values.pop(k) if v is None else values.__setitem__(k, v)
    with pytest.raises(exc, match=msg):
        gradients(cell, 3, values)


def test_a_whole_tensor_is_derived_at_the_matrix_level_and_its_components_componentwise():
    from symbrnn.derive.matrix.total import MatrixDerivative
    from symbrnn.derive.total import TotalDerivative

    cell = vz.gated_elman()
    for wrt in ("W", "h_0", cell.symbol("U_g")):
        assert isinstance(derive(cell, 3, wrt=wrt), MatrixDerivative)
    with pytest.raises(WrtError, match=r"wrt=W: 'W' has shape \(3, 2\); a componentwise derivation takes one"
                                       r" component \(wrt='W\[0,0\]'\); derive\(cell, T, wrt='W'\) gives"):
        TotalDerivative(cell, 3, wrt="W")
    with pytest.raises(WrtError, match=r"of=h_2: 'h' has shape \(3,\); give one component, e\.g\. of='h\[0\]_2'"):
        derive(cell, 3, wrt="b[0]", of="h_2")
    assert derive(cell, 3, wrt="b[0]", of="h[1]_2").value(vz.random_values(cell, 3, seed=1)) != 0
    assert "   (h_0 = h0)" in str(cell)
    d = derive(cell, 2, wrt="U_g[1,2]", mode="reverse")
    assert str(d.delta(1, "h[2]").symbol) == "δh[2]_1"
    assert str(d.result.symbol) == "dL/dU_g[1,2]"


def test_compiled_forward_values_are_arrays_and_the_source_is_plain_python():
    cell = vz.gated_elman()
    values = vz.random_values(cell, 3, seed=6)
    f = compile_cell(cell)
    trace = f.forward(values)
    assert trace["g"][0] is None and trace["g"][1].shape == (3,)
    np.testing.assert_array_equal(trace["h"][0], values["h0"])
    assert f.loss(values) == pytest.approx(sum(trace["L"][1:]), rel=1e-15)
    assert "W_g_1_0" in f.source and "[" not in f.source.split("return")[0].split("):")[0]
    compile(f.source, "<kernel>", "exec")


def test_stacked_layers_must_fit():
    with pytest.raises(ShapeError, match=r"stacked: layer 2 \('gru'\) reads x of shape \(3,\) but layer 1's h"
                                         r" has shape \(4,\)"):
        symbrnn.cells.stacked(vz.lstm(2, 4), vz.gru(3, 2))
    with pytest.raises(ExpressionError, match=r"has no state 'h'"):
        bad = Cell("bad")
        bad.input("x")
        s = bad.state("s")
        bad.update(s, s.prev)
        bad.loss(s)
        symbrnn.cells.stacked(bad)


# ------------------------------------------------------------------------------ matrix views
def test_jacobians_as_matrices_compose_to_the_gradients():
    """Matrix BPTT from the engine's matrix views: δh_{t-1} = ∂L/∂h + J_tᵀ δh_t, dL/dW = Σ_t δh_t · ∂h_t/∂W."""
    from symbrnn import jacobian, jacobian_values

    cell, T = vz.gated_elman(), 4
    values = vz.random_values(cell, T, seed=12)
    J = jacobian(cell, "h", "h.prev")
    assert J.shape == (3, 3) and isinstance(J, sp.ImmutableMatrix)
    assert jacobian(cell, "h", "W").shape == (3, 3, 2) and jacobian(cell, "L", "h").shape == (1, 3)
    Js = jacobian_values(cell, T, values, "h", "h.prev")
    dL = jacobian_values(cell, T, values, "L", "h")
    grads = gradients(cell, T, values)
    delta, dW = np.zeros(3), np.zeros((3, 2))
    explicit = jacobian_values(cell, T, values, "h", "W")
    for t in range(T, 0, -1):
        delta = dL[t] + (Js[t + 1].T @ delta if t < T else 0)
        dW += np.tensordot(delta, explicit[t], axes=1)
    np.testing.assert_allclose(dW, grads["W"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(Js[1].T @ delta, grads["h0"], rtol=0, atol=1e-14)
    with pytest.raises(WrtError, match=r"'g' is a node"):
        jacobian(cell, "h", "g")


def test_vector_derivations_are_identical_across_hash_seeds():
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys; sys.path.insert(0, {tests!r})\n"
        "import vectorzoo as vz\nfrom symbrnn import derive, jacobian\n"
        "cell = vz.gated_elman(); values = vz.random_values(cell, 2, seed=1)\n"
        "print(cell); print(sorted(cell.graph.edges(data=True)))\n"
        "for mode in ('forward', 'reverse'):\n"
        "    print(derive(cell, 2, wrt='U_g[1,2]', mode=mode).evaluate(values))\n"
        "print(jacobian(cell, 'h', 'h.prev'))\n"
    ).format(tests=str(Path(__file__).resolve().parent))
    runs = [subprocess.run([sys.executable, "-c", script], env={**__import__("os").environ, "PYTHONHASHSEED": s},
                           capture_output=True, text=True, check=True).stdout for s in ("0", "4242")]
    assert len(runs[0]) > 5000 and runs[0] == runs[1]
