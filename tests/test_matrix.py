"""The matrix-level derivation: each rule of the table against the componentwise engine, whole derivations
against gradients(), the componentwise reference recursion and PyTorch float64, and its size."""

import numpy as np
import pytest
import sympy as sp
import vectorzoo as vz
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st

from symbrnn import Cell, ValuesError, WrtError, derive, exp, log, logsumexp, relu, sigmoid, softmax, tanh
from symbrnn.cells import BUILTIN, elman, lstm, lstm_gomez
from symbrnn.declare.components import materialize
from symbrnn.declare.matrixops import concat
from symbrnn.declare.tensor import Tensor
from symbrnn.derive.matrix.rules import shares
from symbrnn.derive.matrix.total import MatrixDerivative
from symbrnn.numeric.gradients import loss_and_gradients

RNG = np.random.default_rng(7)


def _leaf(name, shape):
    return Tensor.symbols(name, shape, kind="param")


def _numbers(symbols, rng) -> dict:
    """Random numbers for symbols (positive, for log and sqrt)."""
    return {s: sp.Float(rng.uniform(0.3, 1.7)) for s in sorted(symbols, key=sp.default_sort_key)}


def _componentwise(out: Tensor, operand, g: Tensor) -> np.ndarray:
    """Σ_j g_j ∂out_j/∂u for every component u of ``operand``: the engine's componentwise answer."""
    outs, gs = np.ravel(materialize(out)), np.ravel(materialize(g))
    comps = materialize(operand) if isinstance(operand, Tensor) else np.array(operand)
    result = np.empty(comps.shape, dtype=object)
    for index in np.ndindex(comps.shape):
        u = comps[index]
        result[index] = sp.Add(*[gj * sp.diff(oj, u) for oj, gj in zip(outs, gs, strict=True)])
    return result


def _check_rule(out: Tensor):
    """Every operand's share by the rule table equals the componentwise derivative, at random numbers."""
    g = Tensor.symbols("g", out.shape) if out.shape else _leaf("g", ())
    got = shares(out, g, out=out)
    for operand, share in zip(out.args, got, strict=True):
        if share is None or not isinstance(operand, Tensor) or operand.op != "leaf":
            continue
        want = _componentwise(out, operand, g)
        have = materialize(share) if isinstance(share, Tensor) else np.array(share, dtype=object)
        assert np.shape(have) == want.shape, (out.op, np.shape(have), want.shape)
        symbols = set().union(*(e.free_symbols for e in want.flat), *(sp.sympify(e).free_symbols
                                                                   for e in np.ravel(have)))
        at = _numbers(symbols, RNG)
        for w, h in zip(want.flat, np.ravel(have), strict=True):
            assert float(sp.sympify(h).xreplace(at)) == pytest.approx(float(w.xreplace(at)), rel=1e-12, abs=1e-12)


A, B, C = _leaf("A", (3, 2)), _leaf("B", (3, 2)), _leaf("C", (2, 4))
x, y, v = _leaf("x", (2,)), _leaf("y", (3,)), _leaf("v", (3,))
s = sp.Symbol("s", real=True)
ROWS = {
    "+": A + B, "+ broadcast": A + x, "+ scalar": A + s, "-": A - B, "- broadcast": A - x, "*": A * B,
    "* broadcast": A * x, "/": A / B, "/ broadcast": A / x, "** number": A ** 3, "** fraction": A ** sp.Rational(1, 2),
    "neg": -A, "@ matrix vector": A @ x, "@ vector matrix": y @ A, "@ matrix matrix": A @ C, "@ vector vector": y @ v,
    "T": A.T, "slice": A[1:3], "row": A[0], "column slice": A[:, 1:2], "sum": A.sum(), "sum axis 0": A.sum(axis=0),
    "sum axis 1": A.sum(axis=1), "mean": A.mean(), "tanh": tanh(A), "sigmoid": sigmoid(A), "exp": exp(A),
    "log": log(A), "relu": relu(A), "sqrt": A.map(sp.sqrt), "sin": A.map(sp.sin), "softmax": softmax(y),
    "logsumexp": logsumexp(y), "fill": Tensor.full((3, 2), s), "concat": concat([y, v]),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_rule_equals_the_componentwise_derivative(name):
    _check_rule(ROWS[name])


def test_the_rule_of_a_matrix_product_is_written_in_matrices():
    g = Tensor.symbols("g", (3,))
    assert [str(e) for e in shares(A @ x, g, out=A @ x)] == ["outer(g_t, x)", "A.T @ g_t"]
    G = Tensor.symbols("G", (3, 4))
    assert [str(e) for e in shares(A @ C, G, out=A @ C)] == ["G_t @ C.T", "A.T @ G_t"]


_UNARY = [tanh, sigmoid, exp, lambda t: -t, lambda t: t * 2, lambda t: t.T.T, lambda t: t ** 2, relu]
_BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(_UNARY))), st.sampled_from(range(len(_BINARY)))),
                min_size=1, max_size=5))
@example(ops=[(2, 0)] * 4)  # exp four times over: the forward pass overflows
def test_random_compositions_give_the_componentwise_derivative(ops):
    """A chain of operations on (3,) vectors, and its VJP to the first leaf through every node."""
    a, b = _leaf("a", (3,)), _leaf("b", (3,))
    out = a
    for u, bi in ops:
        out = _BINARY[bi](_UNARY[u](out), b)
    total = (out * out).sum()
    cell = Cell("composed")
    p, q = cell.param("a", shape=3), cell.param("b", shape=3)
    z = cell.input("z", shape=3)
    h = cell.state("h", shape=3)
    cell.update(h, tanh(z + h.prev))
    cell.loss(total.rebuild(leaf=lambda t: {"a": p, "b": q}[t.extra[0]]) + (h * h).sum())
    values = vz.random_values(cell, 2, seed=len(ops))
    try:
        want = loss_and_gradients(cell, 2, values, wrt=["a", "b"], strategy="terms")[1]
    except ValuesError as exc:  # exp(exp(exp(exp(a) + b) + b) + b) is not a float: rightly refused, not a rule
        assert "overflow" in str(exc)
        reject()
    for w in ("a", "b"):
        got = derive(cell, 2, wrt=w).evaluate(values).value
        np.testing.assert_allclose(got, want[w], rtol=1e-10, atol=1e-12)


def _cells():
    out = {n: BUILTIN[n][0]() for n in sorted(BUILTIN) if BUILTIN[n][0]().shaped}
    out["lstm_learn_init"] = lstm(2, 3, learn_init=True)
    out["gated_elman"], out["softplus_peephole"] = vz.gated_elman(), vz.softplus_peephole()
    return out


CELLS = _cells()


def _whole(cell):
    return [p for p in cell.names("param") if cell.shape(p)] + [f"{s}_0" for s in cell.states() if cell.shape(s)]


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_matrix_derivation_gives_the_reference_gradients(name, T):
    cell = CELLS[name]
    values = vz.random_values(cell, T, seed=T)
    wrt = _whole(cell)
    _, reference = loss_and_gradients(cell, T, values, wrt=wrt, strategy="terms")  # the componentwise recursion
    _, programs = loss_and_gradients(cell, T, values, wrt=wrt)
    for w in wrt:
        d = derive(cell, T, wrt=w)
        assert isinstance(d, MatrixDerivative) and d.result.shape == reference[w].shape
        evaluated = d.evaluate(values).value  # every array term evaluated, independent of the programs
        np.testing.assert_allclose(evaluated, reference[w], rtol=1e-10, atol=1e-12, err_msg=w)
        np.testing.assert_allclose(d.value(values), programs[w], rtol=1e-10, atol=1e-12, err_msg=w)


def _torch_step_batch(torch, values, H, init):
    """seed 001's LSTM in the row convention, in torch: N sequences as rows, x @ W_x, gates [i, f, o, g]."""
    p = {n: torch.tensor(np.asarray(values[n], dtype=float), dtype=torch.float64, requires_grad=True)
         for n in ("W_x", "W_h", "b")}
    x, y = (torch.tensor(np.asarray(values[n], dtype=float), dtype=torch.float64) for n in ("x", "y"))
    N = x.shape[1]
    h = torch.zeros((N, H), dtype=torch.float64, requires_grad=True)
    c = torch.zeros((N, H), dtype=torch.float64, requires_grad=True)
    leaves, loss = {**p, "h_0": h, "c_0": c}, 0
    for t in range(len(x)):
        a = x[t] @ p["W_x"] + h @ p["W_h"] + p["b"]
        i, f, o, g = (torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.sigmoid(a[:, 2 * H:3 * H]),
                      torch.tanh(a[:, 3 * H:]))
        c = f * c + i * g
        h = o * torch.tanh(c)
        loss = loss + 0.5 * ((h - y[t]) ** 2).sum()
    return loss, leaves


TWINS = {"lstm": (lambda: lstm(3, 4), vz.torch_lstm), "gru": (lambda: BUILTIN["gru"][0](3, 4), vz.torch_gru),
         "elman": (lambda: elman(3, 4, 2), vz.torch_elman),
         "lstm_gomez": (lambda: lstm_gomez(3, 4), vz.torch_lstm_gomez),
         "lstm_step_batch": (lambda: BUILTIN["lstm_step_batch"][0](3, 2, 4), _torch_step_batch)}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_the_matrix_derivation_equals_torch(name, torch):
    make, twin = TWINS[name]
    cell = make()
    values = vz.random_values(cell, 4, seed=11)
    t_loss, leaves = twin(torch, values, 4, "zero")
    t_loss.backward()
    for w, leaf in leaves.items():
        if leaf.grad is None:  # an initial state torch's module does not take (nn.LSTM's h_0 is given, not a leaf)
            continue
        got = derive(cell, 4, wrt=w).evaluate(values).value
        np.testing.assert_allclose(got, leaf.grad.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=w)


def test_the_elman_delta_recursion_reads_as_written_by_hand():
    d = derive(elman(2, 3, 1), T=3, wrt="U")
    assert str(d.delta(2, "h").expr) == "V.T @ δyhat_2 + U.T @ δa_3"
    assert str(d.delta(3, "h").expr) == "V.T @ δyhat_3"  # the last step: no implicit part
    assert str(d.delta(2, "a").expr) == "δh_2*(1 - h_2**2)"
    assert [label for label, _ in d.delta(2, "h").addends] == ["through yhat_2", "through a_3"]
    assert str(d.contribution(1).expr) == "outer(δa_1, h_0)"
    assert str(d.result.expr) == "dL/dU[1] + dL/dU[2] + dL/dU[3]" and d.result.shape == (3, 3)


def test_the_lstm_gates_delta_is_one_concatenation():
    d = derive(lstm_gomez(2, 3), T=2, wrt="W")
    assert str(d.delta(1, "z").expr).startswith("concatenate([δa_1*(1 - a_1**2), δi_1*(i_1*(1 - i_1)),")
    assert str(d.contribution(2).expr) == "outer(δz_2, x_2)" and d.result.shape == (12, 2)


def test_the_softmax_cross_entropy_delta_is_yhat_minus_y():
    d = derive(BUILTIN["elman_softmax"][0](2, 3, 2), T=2, wrt="V")
    assert str(d.delta(1, "z").expr) == "-y_1 + yhat_1"
    assert str(d.contribution(2).expr) == "outer(δz_2, h_2)"


def test_an_initial_state_param_gets_its_delta():
    d = derive(lstm(2, 3, learn_init=True), T=2, wrt="h0")  # h0 is read only as h's initial value
    assert str(d.result.expr) == "δh_0" and not d.select("contribution")
    assert str(d.delta(0, "h").expr) == "W_hh.T @ δz_1"
    assert str(derive(elman(2, 3, 1), T=2, wrt="h_0").result.expr) == "δh_0"


@pytest.mark.parametrize("call, message", [
    (lambda: derive(lstm(2, 3), 2, wrt="W_hh", mode="forward"),
     r"mode='forward' with wrt=W_hh \(12, 3\): forward mode carries a third-order tensor .* use mode='reverse'"),
    (lambda: derive(BUILTIN["lstm_step_batch"][0](2, 2, 3), 2, wrt="b", mode="forward"),
     r"mode='forward' with wrt=b: 'a' has shape \(2, 12\), so da_t/db would be a third-order tensor"),
    (lambda: derive(lstm(2, 3), 2, wrt="W_hh", of="h_1"), r"of=h_1: the derivative .* is of the total loss"),
])
def test_what_the_matrix_derivation_does_not_do_is_refused_by_name(call, message):
    with pytest.raises(WrtError, match=message):
        call()


def _vectors(cell):
    return ([p for p in cell.names("param") if len(cell.shape(p)) == 1]
            + [f"{s}_0" for s in cell.states() if len(cell.shape(s)) == 1])


@pytest.mark.parametrize("T", [1, 2, 3])
@pytest.mark.parametrize("name", sorted(n for n in CELLS if n != "lstm_step_batch"))
def test_forward_mode_for_a_whole_vector_gives_the_reference_gradients(name, T):
    cell = CELLS[name]
    values = vz.random_values(cell, T, seed=T + 20)
    wrt = _vectors(cell)
    _, reference = loss_and_gradients(cell, T, values, wrt=wrt, strategy="terms")
    for w in wrt:
        d = derive(cell, T, wrt=w, mode="forward")
        assert d.mode == "forward" and not d.select("delta")
        np.testing.assert_allclose(d.evaluate(values).value, reference[w], rtol=1e-10, atol=1e-12, err_msg=w)


def test_the_forward_operations_have_the_components_of_their_definition():
    from symbrnn.derive.matrix.forward import eye, rowscale
    from symbrnn.numeric.tensors import evaluate

    v, m = _leaf("v", (3,)), _leaf("m", (3, 2))
    assert sp.Matrix(materialize(rowscale(v, m))) == sp.diag(*materialize(v)) * sp.Matrix(materialize(m))
    assert sp.Matrix(materialize(eye(3))) == sp.eye(3)
    arrays = {"v": RNG.normal(size=3), "m": RNG.normal(size=(3, 2))}
    got = evaluate(rowscale(v, m), lambda key: arrays[key[0]])
    np.testing.assert_allclose(got, np.diag(arrays["v"]) @ arrays["m"], rtol=1e-14)
    np.testing.assert_array_equal(evaluate(eye(3), lambda leaf: None), np.eye(3))


def test_the_forward_recursion_reads_as_written_by_hand():
    d = derive(elman(2, 3, 1), T=2, wrt="b", mode="forward")
    assert str(d.total(1, "a").expr) == "eye(3)"  # h_0 does not depend on b
    assert str(d.total(2, "a").expr) == "eye(3) + U @ dh_1/db"
    assert [label for label, _ in d.total(2, "a").addends] == ["explicit", "implicit"]
    assert str(d.result.expr) == "dL_1/db + dL_2/db"
    assert str(derive(elman(2, 3, 1), T=2, wrt="h_0", mode="forward").total(0, "h").expr) == "eye(3)"


def _size(d) -> int:
    """Nodes of every term's expression (each term's graph counted on its own)."""
    total = 0
    for term in d.terms:
        stack, seen = [term.expr], set()
        while stack:
            t = stack.pop()
            if isinstance(t, Tensor) and id(t) not in seen:
                seen.add(id(t))
                stack.extend(t.args)
        total += len(seen)
    return total


def test_the_matrix_derivation_grows_linearly_in_T_and_not_with_the_sizes():
    sizes = {T: _size(derive(lstm(8, 16), T, wrt="W_hh")) for T in (10, 100, 1000)}
    assert sizes[1000] - sizes[100] == 10 * (sizes[100] - sizes[10])
    assert _size(derive(lstm(8, 512), 10, wrt="W_hh")) == sizes[10]
