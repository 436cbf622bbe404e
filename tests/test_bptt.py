"""The generated BPTT program: the same numbers as the reference recursion, on every backend, in batches."""

import sys

import numpy as np
import pytest
from cellzoo import ZOO
from vectorzoo import gated_elman, random_values, softplus_peephole

from symbrnn import SymbrnnError, ValuesError, compile_cell
from symbrnn.cells import elman, elman_softmax, gru, lstm, lstm_gomez, stacked
from symbrnn.declare.values import resolve_values
from symbrnn.numeric.gradients import loss_and_gradients
from symbrnn.numeric.programs import BPTTProgram, program_for

CELLS = {
    **{name: build for name, (build, _) in ZOO.items()},
    "elman_2_3_2": lambda: elman(2, 3, 2, learn_init=True),
    "elman_softmax": lambda: elman_softmax(2, 3, 3),
    "lstm": lambda: lstm(3, 2, learn_init=True),
    "lstm_gomez": lambda: lstm_gomez(2, 2),
    "gru": lambda: gru(2, 3, learn_init=True),
    "stacked": lambda: stacked(lstm(2, 2), gru(2, 2), output_size=1),
    "gated_elman": gated_elman,
    "softplus_peephole": softplus_peephole,
}


def _values(name, cell, T, seed):
    if name in ZOO:
        return ZOO[name][1](T)
    return random_values(cell, T, seed, one_hot="y" if name == "elman_softmax" else None)


def _wrts(cell):
    return list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]


def _close(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14), np.abs(got - want).max()


@pytest.mark.parametrize("backend", ["python", "numpy", "c"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_program_gives_the_reference_numbers(name, backend):
    cell = CELLS[name]()
    values = _values(name, cell, 3, seed=11)
    wrt = _wrts(cell)
    want_loss, want = loss_and_gradients(cell, 3, values, wrt=wrt, strategy="terms")
    loss, got = program_for(cell).run(resolve_values(cell, 3, values), wrt=wrt, backend=backend)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    assert list(got) == wrt
    for w in wrt:
        _close(got[w], want[w])


def test_gradients_default_to_the_program_and_terms_is_forceable():
    cell = elman()
    values = ZOO["elman"][1](4)
    f = compile_cell(cell)
    assert f.gradients(values) == loss_and_gradients(cell, 4, values, strategy="bptt")[1]
    assert f.gradients(values, strategy="terms") == loss_and_gradients(cell, 4, values, strategy="terms")[1]
    with pytest.raises(SymbrnnError, match="strategy='fast': use one of auto, arrays, bptt, straight, terms"):
        f.gradients(values, strategy="fast")
    with pytest.raises(SymbrnnError, match="strategy='bptt' runs reverse mode"):
        f.gradients(values, strategy="bptt", mode="forward")
    with pytest.raises(SymbrnnError, match="backend='gpu': use one of python, numpy, c, jax$"):
        f.gradients(values, backend="gpu")
    with pytest.raises(SymbrnnError, match="backend='python': a batch runs on 'numpy' or 'c'"):
        f.batch({**values, "x": [values["x"]], "y": [values["y"]]}, backend="python")


@pytest.mark.parametrize("backend", ["numpy", "c"])
@pytest.mark.parametrize("name", ["elman", "gated", "learned_init", "lstm", "gated_elman"])
def test_a_batch_gives_each_sequence_its_own_gradient(name, backend):
    """N different sequences, and N different parameter sets, against one run per sequence."""
    cell, N, T = CELLS[name](), 5, 4
    per = [random_values(cell, T, seed=k) for k in range(N)]
    batch = {}
    for n in per[0]:
        rows = np.stack([np.asarray(v[n], dtype=float) for v in per])
        batch[n] = rows  # params too: N parameter sets
    losses, grads = compile_cell(cell).batch(batch, backend=backend)
    assert losses.shape == (N,)
    for k, v in enumerate(per):
        loss, want = loss_and_gradients(cell, T, v, strategy="terms")
        assert losses[k] == pytest.approx(loss, rel=1e-13)
        for w in want:
            assert grads[w].shape == (N, *cell.shape(w))
            _close(grads[w][k], want[w])
    shared = {n: (v if cell.kind(n) != "param" else np.asarray(per[0][n], dtype=float)) for n, v in batch.items()}
    losses, grads = compile_cell(cell).batch(shared, backend=backend)  # params shared: one set for all sequences
    for k in range(N):
        one = {n: (v[k] if cell.kind(n) != "param" else v) for n, v in shared.items()}
        loss, want = loss_and_gradients(cell, T, one, strategy="terms")
        assert losses[k] == pytest.approx(loss, rel=1e-13)
        for w in want:
            assert grads[w].shape == (N, *cell.shape(w))
            _close(grads[w][k], want[w])


def test_bad_values_get_the_reference_message_naming_the_step():
    cell = ZOO["elman"][0]()
    values = ZOO["elman"][1](3)
    values["y"] = [0.1, 1e200, 0.3]  # the squared error overflows at step 2
    with pytest.raises(ValuesError) as reference:
        loss_and_gradients(cell, 3, values, strategy="terms")
    for backend in ("python", "numpy", "c"):
        with pytest.raises(ValuesError) as fast:
            loss_and_gradients(cell, 3, values, backend=backend)
        assert str(fast.value) == str(reference.value)
        assert "step 2" in str(fast.value)


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_a_bad_sequence_in_a_batch_is_named(backend):
    cell = ZOO["elman"][0]()
    rows = [ZOO["elman"][1](3) for _ in range(3)]
    rows[1]["y"] = [0.1, 1e200, 0.3]
    batch = {n: (np.array([r[n] for r in rows]) if n in ("x", "y") else rows[0][n]) for n in rows[0]}
    with pytest.raises(ValuesError, match=r"^sequence 1 of the batch: .*step 2"):
        compile_cell(cell).batch(batch, backend=backend)


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update(x=np.zeros((3, 4, 2))), r"'x' has shape \(3, 4, 2\); a batch needs \(N, T, \)"),
    (lambda b: b.update(x=np.zeros((2, 4))), "'y' has 3 rows but the batch has 2"),
    (lambda b: b.update(x=np.zeros((3, 5))), "'y' has 4 steps but T=5"),
    (lambda b: b.pop("w"), "values lacks 'w' for cell 'elman'; add 'w': <number>"),  # as for one sequence
    (lambda b: b.update(q=1.0), "values has 'q', not a param, input or target"),
    (lambda b: b.update(w=[[1.0]]), r"'w' has shape \(1, 1\)"),
    (lambda b: b.update(w=np.full(3, np.nan)), "'w' has a value that is not a finite number"),
    (lambda b: b.update(w="big"), "'w' is not an array of numbers"),
])
def test_batch_input_errors(change, message):
    rng = np.random.default_rng(0)
    batch = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": rng.normal(size=(3, 4)), "y": rng.normal(size=(3, 4))}
    change(batch)
    with pytest.raises(SymbrnnError, match=message):
        compile_cell(elman()).batch(batch)


def _line_events(fn, *args) -> int:
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_name == "bptt":
            if event == "line":
                count += 1
            return tracer
        return None

    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("name", ["elman", "gated", "lstm_gomez"])
def test_the_program_is_independent_of_T_and_runs_in_linear_time(name):
    cell = CELLS[name]()
    program = BPTTProgram(cell)
    assert "T" not in program.source.split("\n", 1)[1].replace("T + 1", "").replace("range(T, 0, -1)", "")
    fn = program.function("python")
    counts = {}
    for T in (10, 100, 1000):
        values = resolve_values(cell, T, random_values(cell, T, seed=1))
        counts[T] = _line_events(fn, T, *program.layout.python_args(values))
    per_step = (counts[100] - counts[10]) / 90
    assert per_step == int(per_step) and counts[1000] - counts[100] == per_step * 900  # exactly linear


@pytest.mark.parametrize("backend", ["python", "numpy", "c"])
def test_quantities_named_like_the_programs_own_variables(backend):
    """t and T are the program's loop variable and step count; range is a builtin it calls."""
    import sympy as sp

    from symbrnn import Cell

    cell = Cell("clash")
    x, y = cell.input("t"), cell.target("T")
    w = cell.param("range")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(w * x + h.prev))
    cell.loss((h - y) ** 2)
    values = {"t": [.1, .2, .3], "T": [.3, .2, .1], "range": .5}
    want_loss, want = loss_and_gradients(cell, 3, values, wrt=["range", "h_0"], strategy="terms")
    loss, got = loss_and_gradients(cell, 3, values, wrt=["range", "h_0"], backend=backend)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    assert got["range"] == pytest.approx(want["range"], rel=1e-12)
    assert got["h_0"] == pytest.approx(want["h_0"], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("backend", ["python", "numpy", "c"])
@pytest.mark.parametrize("name", ["elman_2_3_2", "lstm", "gru", "gated_elman", "learned_init"])
def test_the_default_gradients_are_every_param_with_initial_states_that_are_params(name, backend):
    cell = CELLS[name]()
    values = _values(name, cell, 3, seed=21)
    params = list(cell.names("param"))
    want = loss_and_gradients(cell, 3, values, wrt=params, strategy="terms")[1]
    got = program_for(cell).run(resolve_values(cell, 3, values), backend=backend)[1]
    assert list(got) == params
    for p in params:
        assert np.shape(got[p]) == cell.shape(p) and isinstance(got[p], float) == (cell.shape(p) == ())
        _close(got[p], want[p])


@pytest.mark.parametrize("T", [1, 3])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_straight_line_program_gives_the_loop_programs_numbers_exactly(name, T):
    cell = CELLS[name]()
    values = _values(name, cell, T, seed=4)
    wrt = _wrts(cell)
    loop = loss_and_gradients(cell, T, values, wrt=wrt, strategy="bptt")
    straight = loss_and_gradients(cell, T, values, wrt=wrt, strategy="straight")
    assert straight[0] == loop[0]
    for w in wrt:
        assert np.array_equal(straight[1][w], loop[1][w])  # the same operations in the same order
    want = loss_and_gradients(cell, T, values, wrt=wrt, strategy="terms")[1]
    for w in wrt:
        _close(straight[1][w], want[w])


def test_auto_writes_the_program_out_from_the_second_run_at_a_small_T():
    cell = elman()
    program = program_for(cell)
    small = ZOO["elman"][1](4)
    large = {**small, "x": np.linspace(-1, 1, 300), "y": np.linspace(1, -1, 300)}
    first = loss_and_gradients(cell, 4, small)
    assert 4 not in program._straight  # one run: the loop program, nothing built
    second = loss_and_gradients(cell, 4, small)
    assert 4 in program._straight and first == second
    for _ in range(3):
        loss_and_gradients(cell, 300, large)
    assert 300 not in program._straight  # too long to be faster written out
    source = program.straight_source(4)
    assert "for " not in source and source.count("_loss = _loss + _t") == 4
    assert len(source.splitlines()) == 2 + 4 * program._step_lines + 2 * 4 + 6 + 1  # exactly linear in T


def test_straight_refuses_other_backends_and_huge_programs():
    cell, values = elman(), ZOO["elman"][1](3)
    with pytest.raises(SymbrnnError, match="strategy='straight' runs on the python backend"):
        loss_and_gradients(cell, 3, values, strategy="straight", backend="numpy")
    lines = 100_000 * program_for(cell)._step_lines  # the count the line-count test pins
    with pytest.raises(SymbrnnError, match=rf"T=100000 makes about {lines:,} statements for cell 'elman' \(at most"):
        program_for(cell).straight_source(100_000)


def test_erf_runs_everywhere_and_a_function_without_a_numeric_form_is_named():
    import sympy as sp

    from symbrnn import BackendError, Cell

    def make(f):
        cell = Cell("fn")
        x, y, w = cell.input("x"), cell.target("y"), cell.param("w")
        h = cell.state("h", init=0)
        cell.update(h, f(w * x + h.prev))
        cell.loss((h - y) ** 2)
        return cell

    values = {"x": [.3, -.2, .5], "y": [.1, .2, -.1], "w": .7}
    cell = make(sp.erf)
    want = loss_and_gradients(cell, 3, values, strategy="terms")[1]["w"]
    for how in ({}, {"backend": "numpy"}, {"backend": "c"}, {"strategy": "straight"}):
        assert loss_and_gradients(cell, 3, values, **how)[1]["w"] == pytest.approx(want, rel=1e-12), how
    with pytest.raises(BackendError, match=r"of 'fn' calls 'LambertW', which has no numeric form on backend="):
        loss_and_gradients(make(lambda a: sp.tanh(a) + sp.LambertW(a * a)), 3, values)
