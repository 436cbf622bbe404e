"""The array program on JAX (an optional extra): the componentwise engine's numbers, and its errors.

Skipped where JAX is not installed (``pip install jax``); CI does not install it.
"""

import sys

import numpy as np
import pytest
import vectorzoo as vz
from test_arrays import SHAPED
from test_bptt import CELLS, _close, _values, _wrts

from symbrnn import BackendError, SymbrnnError, ValuesError
from symbrnn.cells import elman, lstm_gomez
from symbrnn.numeric.gradients import loss_and_gradients
from symbrnn.numeric.programs import program_for

jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install jax")


@pytest.fixture(autouse=True)
def float64():
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.mark.parametrize("name", SHAPED)
def test_the_jax_program_gives_the_reference_numbers(name):
    cell = CELLS[name]()
    values = _values(name, cell, 4, seed=7)
    wrt = _wrts(cell)
    want_loss, want = loss_and_gradients(cell, 4, values, wrt=wrt, strategy="terms")
    loss, got = loss_and_gradients(cell, 4, values, wrt=wrt, strategy="arrays", backend="jax")
    assert loss == pytest.approx(want_loss, rel=1e-13)
    for w in wrt:
        _close(got[w], want[w])


def test_auto_with_jax_runs_the_array_program():
    cell = lstm_gomez(2, 2)
    values = vz.random_values(cell, 3, seed=1)
    got = loss_and_gradients(cell, 3, values, backend="jax")[1]
    assert "jax_program" in program_for(cell).__dict__
    want = loss_and_gradients(cell, 3, values, strategy="terms")[1]
    for w in want:
        _close(got[w], want[w])
    with pytest.raises(SymbrnnError, match="backend='jax' runs the array program: use strategy='arrays' or 'auto'"):
        loss_and_gradients(cell, 3, values, strategy="bptt", backend="jax")


def test_float32_is_refused_with_the_fix():
    jax.config.update("jax_enable_x64", False)
    cell = elman(2, 3, 1)
    with pytest.raises(BackendError, match=r"call jax.config.update\('jax_enable_x64', True\)"):
        loss_and_gradients(cell, 2, vz.random_values(cell, 2, seed=1), strategy="arrays", backend="jax")


def test_no_jax_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax raises ImportError
    cell = elman(2, 3, 1)
    with pytest.raises(BackendError, match=r"backend='jax' needs JAX: pip install jax"):
        loss_and_gradients(cell, 2, vz.random_values(cell, 2, seed=1), strategy="arrays", backend="jax")


def test_bad_values_get_the_reference_message():
    cell = elman(1, 8, 1)
    values = vz.random_values(cell, 3, seed=3)
    values["y"] = np.array([[0.1], [1e200], [0.3]])
    with pytest.raises(ValuesError) as reference:
        loss_and_gradients(cell, 3, values, strategy="terms")
    with pytest.raises(ValuesError) as got:
        loss_and_gradients(cell, 3, values, strategy="arrays", backend="jax")
    assert str(got.value) == str(reference.value)
