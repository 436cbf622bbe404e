"""The array-level BPTT program: the componentwise engine's numbers, PyTorch's at hidden 16, size-free code."""

import os

import numpy as np
import pytest
import vectorzoo as vz
from test_bptt import CELLS, _close, _line_events, _values, _wrts

from symbrnn import SymbrnnError, ValuesError, compile_cell
from symbrnn.cells import elman, gru, lstm, lstm_gomez, stacked
from symbrnn.codegen.arrays.plan import ArrayPlan, Unsupported
from symbrnn.declare.spec import load_cell
from symbrnn.numeric import programs
from symbrnn.numeric.gradients import ARRAYS_FROM, loss_and_gradients
from symbrnn.numeric.programs import BPTTProgram, program_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPED = sorted(n for n in CELLS if CELLS[n]().shaped)


@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("name", SHAPED)
def test_the_array_program_gives_the_reference_numbers(name, T):
    cell = CELLS[name]()
    values = _values(name, cell, T, seed=5)
    wrt = _wrts(cell)
    want_loss, want = loss_and_gradients(cell, T, values, wrt=wrt, strategy="terms")
    loss, got = loss_and_gradients(cell, T, values, wrt=wrt, strategy="arrays")
    assert loss == pytest.approx(want_loss, rel=1e-13)
    assert list(got) == wrt
    for w in wrt:
        _close(got[w], want[w])


def test_components_and_symbols_as_keys_and_nested_lists():
    cell = lstm_gomez(2, 2)
    values = vz.random_values(cell, 3, seed=2)
    odd = {cell.symbol(n) if n == "W" else n: np.asarray(v).tolist() for n, v in values.items()}
    wrt = ["W[1,0]", "b", "h_0", "c[1]_0"]
    want = loss_and_gradients(cell, 3, values, wrt=wrt, strategy="terms")[1]
    got = loss_and_gradients(cell, 3, odd, wrt=wrt, strategy="arrays")[1]
    assert list(got) == wrt and isinstance(got["W[1,0]"], float)
    for w in wrt:
        _close(got[w], want[w])


def test_a_cell_file_runs_as_arrays():
    cell = load_cell(os.path.join(ROOT, "examples", "cells", "lstm.toml"))
    values = vz.random_values(cell, 3, seed=4)
    want = loss_and_gradients(cell, 3, values, strategy="terms")[1]
    got = loss_and_gradients(cell, 3, values, strategy="arrays")[1]
    for w in want:
        _close(got[w], want[w])


def _from_components():
    """A state updated by a Tensor written component by component: no operation to write as arrays."""
    from symbrnn import Cell, Tensor, tanh

    cell = Cell("by_components")
    x, h = cell.input("x", shape=2), cell.state("h", shape=2)
    cell.update(h, tanh(Tensor([x[0] + h.prev[1], x[1] * h.prev[0]])))
    cell.loss((h * h).sum())
    return cell


def test_a_cell_without_an_array_form_is_named_and_auto_falls_back():
    cell = _from_components()
    with pytest.raises(Unsupported, match="built from its components"):
        ArrayPlan(cell)
    values = vz.random_values(cell, 2, seed=1)
    with pytest.raises(SymbrnnError, match=r"strategy='arrays': cell 'by_components' has no array form \(.*\); use "
                                           r"strategy='bptt'"):
        loss_and_gradients(cell, 2, values, strategy="arrays")
    assert not program_for(cell).has_array_program()
    with pytest.raises(SymbrnnError, match="strategy='arrays' runs on numpy or jax; use backend='numpy'"):
        loss_and_gradients(elman(2, 8, 1), 2, vz.random_values(elman(2, 8, 1), 2, seed=1), strategy="arrays",
                           backend="c")


def test_stacked_layers_keep_their_array_form():
    cell = stacked(lstm(2, 8), gru(8, 8), output_size=1)  # the layers are renamed operation by operation
    values = vz.random_values(cell, 3, seed=1)
    want_loss, want = loss_and_gradients(cell, 3, values, strategy="terms")
    loss, got = loss_and_gradients(cell, 3, values, strategy="arrays")
    assert loss == pytest.approx(want_loss, rel=1e-12)
    for n in want:
        np.testing.assert_allclose(got[n], want[n], rtol=1e-10, atol=1e-12, err_msg=n)


def test_auto_runs_the_array_program_for_a_big_state_without_building_the_componentwise_one():
    cell = lstm(3, ARRAYS_FROM)
    values = vz.random_values(cell, 3, seed=8)
    loss, got = loss_and_gradients(cell, 3, values)
    program = program_for(cell)
    assert "plan" not in program.__dict__ and "_low" not in program.__dict__  # componentwise never generated
    want_loss, want = loss_and_gradients(cell, 3, values, strategy="bptt")
    assert loss == pytest.approx(want_loss, rel=1e-13)
    for w in want:
        _close(got[w], want[w])
    small = lstm(3, ARRAYS_FROM - 1)
    loss_and_gradients(small, 3, vz.random_values(small, 3, seed=8))
    assert "_array_program" not in program_for(small).__dict__ and "plan" in program_for(small).__dict__


def test_bad_values_get_the_reference_message_naming_the_step():
    cell = elman(1, 8, 1)
    values = vz.random_values(cell, 3, seed=3)
    values["y"] = np.array([[0.1], [1e200], [0.3]])  # the squared error overflows at step 2
    with pytest.raises(ValuesError) as reference:
        loss_and_gradients(cell, 3, values, strategy="terms")
    with pytest.raises(ValuesError) as arrays:
        loss_and_gradients(cell, 3, values, strategy="arrays")
    assert str(arrays.value) == str(reference.value) and "step 2" in str(arrays.value)


@pytest.mark.parametrize("make", [lambda H: lstm(3, H), lambda H: gru(2, H), lambda H: elman(2, H, 2)],
                         ids=["lstm", "gru", "elman"])
def test_the_program_has_the_same_statements_for_every_hidden_size(make):
    """Array operations, not one statement per component: the text differs only in the shapes it names."""
    def statements(H: int) -> list:
        source = ArrayPlan(make(H)).source
        return [line.split("=")[0] for line in source.splitlines()]
    assert statements(2) == statements(9) == statements(40)


def test_the_array_program_runs_in_linear_time():
    cell = lstm_gomez(2, 8)
    program = BPTTProgram(cell).checked_array_program()
    counts = {}
    for T in (10, 100, 1000):
        values = vz.random_values(cell, T, seed=1)
        counts[T] = _line_events(program._fn, T, *_args(program, values))
    per_step = (counts[100] - counts[10]) / 90
    assert per_step == int(per_step) and counts[1000] - counts[100] == per_step * 900  # exactly linear


def _args(program, values):
    plan = program.plan
    arrays = {n: np.asarray(v, dtype=float) for n, v in values.items()}
    return [arrays[d] for d in plan.data] + [arrays[p] for p in plan.params] + [v for _, v in program.inits]


@pytest.mark.parametrize("name", ["lstm", "gru", "lstm_gomez", "elman", "elman_softmax"])
def test_hidden_16_matches_torch(torch, name):
    make, twin, one_hot = vz.cases(8, 16, "param")[name]
    cell = make()
    values = vz.random_values(cell, 5, seed=16, one_hot=one_hot)
    loss, grads = loss_and_gradients(cell, 5, values, strategy="arrays")
    t_loss, leaves = twin(torch, values)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert set(grads) == set(leaves)
    for n, leaf in leaves.items():
        np.testing.assert_allclose(grads[n], leaf.grad.detach().numpy(), rtol=0, atol=1e-10, err_msg=n)


def test_compiled_cell_shows_the_array_source():
    source = compile_cell(lstm_gomez(2, 3)).array_source
    assert "        z = _v2 + b\n" in source
    assert "        _o_U_b[t - 1] = h_prev\n" in source and "W.T @" not in source  # no adjoint for the data
    assert "    _g_U = _o_U_a.T @ _o_U_b\n" in source and "outer(" not in source  # Σ_t δz_t h_{t-1}ᵀ = ΔZᵀ·H
    with pytest.raises(SymbrnnError, match="has no array form"):
        _ = compile_cell(_from_components()).array_source


def test_states_that_pass_each_other_on_keep_their_carries_apart():
    """c_t = h_{t-1} and h_t = tanh(W x_t + c_{t-1}): the carried adjoints swap names every step."""
    from symbrnn import Cell, tanh

    cell = Cell("swap")
    x, y = cell.input("x", shape=2), cell.target("y", shape=2)
    W = cell.param("W", shape=(2, 2))
    c = cell.state("c", shape=2, init=0)
    h = cell.state("h", shape=2, init=0)
    cell.update(c, h.prev)
    cell.update(h, tanh(W @ x + c.prev))
    cell.loss(((h - y) * (h - y) + c * c).sum())
    values = vz.random_values(cell, 5, seed=3)
    wrt = ["W", "c_0", "h_0"]
    want = loss_and_gradients(cell, 5, values, wrt=wrt, strategy="terms")[1]
    got = loss_and_gradients(cell, 5, values, wrt=wrt, strategy="arrays")[1]
    for w in wrt:
        _close(got[w], want[w])


def _adversarial():
    """Cells that broke the array program in review, each a builder of (cell)."""
    import sympy as sp

    from symbrnn import Cell, exp, sigmoid, tanh

    def base(name, H=3):
        c = Cell(name)
        return c, c.input("x", shape=2), c.target("y", shape=H), c.param("W", shape=(H, 2)), \
            c.param("U", shape=(H, H))

    def open_slices():
        c, x, y, W, U = base("open_slices", 4)
        h = c.state("h", shape=4, init=0)
        z = c.node("z", W @ x + U @ h.prev)
        c.update(h, sigmoid(z[1:]).sum() * tanh(z[-4:]) + tanh(z[::2]).sum() + z[:1])
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def rational_power():
        c, x, y, W, U = base("rational_power")
        h = c.state("h", shape=3, init=0)
        c.update(h, tanh(W @ x + U @ ((h.prev ** 2 + 1) ** sp.Rational(1, 2)) + (h.prev ** 2 + 1) ** sp.Rational(3, 2)))
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def scalar_param_init():
        c, x, y, W, U = base("scalar_param_init")
        s = c.param("s")
        h = c.state("h", shape=3, init=s)
        c.update(h, tanh(W @ x + U @ h.prev))
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def constant_array():
        c, x, y, W, U = base("constant_array")
        h = c.state("h", shape=3, init=0)
        c.update(h, tanh(W @ x + np.array([1.0, 2.0, 3.0]) * (U @ h.prev)))
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def numpy_int_key():
        c, x, y, W, U = base("numpy_int_key")
        h = c.state("h", shape=3, init=0)
        c.update(h, tanh(W[np.int64(0):3] @ x + U @ h.prev))
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def init_named_like_an_argument():
        c, x, y, W, U = base("init_named")
        h = c.state("h", shape=3, init=c.param("h_init", shape=3))
        c.update(h, tanh(W @ x + U @ h.prev))
        c.loss(((h - y) * (h - y)).sum() / 2)
        return c

    def underflow():
        c, x, y, W, U = base("underflow")
        h = c.state("h", shape=3, init=0)
        c.update(h, tanh(W @ x + U @ h.prev))
        c.loss(((h - y) * (h - y)).sum() / 2 + exp(-800 - (h * h).sum()))
        return c

    return [open_slices, rational_power, scalar_param_init, constant_array, numpy_int_key,
            init_named_like_an_argument, underflow]


@pytest.mark.parametrize("build", _adversarial(), ids=lambda b: b.__name__)
def test_forms_found_in_review_give_the_reference_numbers_without_falling_back(build, monkeypatch):
    cell = build()
    values = vz.random_values(cell, 3, seed=9)
    want_loss, want = loss_and_gradients(cell, 3, values, strategy="terms")
    monkeypatch.setattr(programs, "reference", lambda *a, **k: pytest.fail("the array program fell back"))
    loss, got = loss_and_gradients(cell, 3, values, strategy="arrays")
    assert loss == pytest.approx(want_loss, rel=1e-12)
    for w in want:
        _close(got[w], want[w])


def test_an_index_without_an_array_form_falls_back_to_the_componentwise_program():
    import sympy as sp

    from symbrnn import Cell, tanh

    cell = Cell("outer")
    x, y = cell.input("x", shape=2), cell.target("y", shape=8)
    W = cell.param("W", shape=(8, 2))
    h = cell.state("h", shape=8, init=0)
    M = cell.node("M", h.prev[:, None] * h.prev[None, :])  # None in an index
    cell.update(h, tanh(W @ x + M.sum(axis=0)))
    cell.loss(((h - y) * (h - y)).sum() + sp.Max(h[0], 0.1))
    with pytest.raises(Unsupported, match="only whole numbers and slices"):
        ArrayPlan(cell)
    values = vz.random_values(cell, 2, seed=1)
    want_loss, want = loss_and_gradients(cell, 2, values, strategy="terms")
    loss, got = loss_and_gradients(cell, 2, values)  # auto: arrays would be chosen for 8 components
    assert loss == pytest.approx(want_loss, rel=1e-12)
    _close(got["W"], want["W"])


@pytest.mark.parametrize("make", [lambda: lstm(3, 4), lambda: gru(3, 4), lambda: elman(3, 4, 2)],
                         ids=["lstm", "gru", "elman"])
def test_no_transpose_inside_the_loops(make):
    """Wᵀ·g is written g @ W (issue 15: on JAX the transpose inside the scan cost 1.6× at hidden 128); the
    weight gradients after the loop, ΔAᵀ·X, are the only transposes left."""
    source = compile_cell(make()).array_source
    loops = [line for line in source.splitlines() if line.startswith("        ")]  # the bodies of both loops
    assert loops and not [line for line in loops if ".T" in line], loops


@pytest.mark.parametrize("make, joins", [(lambda: lstm(3, 4), 1), (lambda: gru(3, 4), 2)], ids=["lstm", "gru"])
def test_a_gate_vectors_adjoint_is_one_concatenate_not_a_scatter_per_slice(make, joins):
    source = compile_cell(make()).array_source
    assert "_scatter(" not in source and source.count("= concatenate([") == joins


def test_the_join_is_left_out_where_it_would_change_the_numbers():
    from symbrnn.codegen.arrays.peephole import joined

    def scatter(v, s, e, n=4):
        return f"_scatter({v}, (slice({s}, {e}, None),), ({n},))"

    gap = [f"_a_z = {scatter('a', 0, 2)}", f"_a_z = _a_z + {scatter('b', 3, 4)}"]  # z[2:3] stays zero
    overlap = [f"_a_z = {scatter('a', 0, 2)}", f"_a_z = _a_z + {scatter('b', 1, 4, 4)}"]
    read = [f"_a_z = {scatter('a', 0, 2)}", "y = _a_z * 2", f"_a_z = _a_z + {scatter('b', 2, 4)}"]
    rebound = [f"_a_z = {scatter('a', 0, 2)}", "a = a + 1", f"_a_z = _a_z + {scatter('b', 2, 4)}"]
    for lines in (gap, overlap, read, rebound):
        assert joined(lines) == lines


@pytest.mark.parametrize("make", [lambda: lstm(3, 4), lambda: gru(3, 4), lambda: elman(3, 4, 2)],
                         ids=["lstm", "gru", "elman"])
def test_no_param_gradient_is_accumulated_inside_the_loop(make):
    """Weights: ΔAᵀ·X after the loop; biases: the sum over steps of the buffer that already keeps δ_t."""
    source = compile_cell(make()).array_source
    loops = [line for line in source.splitlines() if line.startswith("        ")]
    assert not [line for line in loops if line.lstrip().startswith("_g_")], loops
    assert "= sum(_o_" in source
