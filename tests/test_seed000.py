"""Seed 000 (LSTM, input 2, hidden 1, gates a, i, f, o, T = 2): every value of the reference, to 1e-12.

The worked example is examples/seed000_lstm.py; its list of quantities is checked here
against ../shared/reference/seed000_lstm.json, entry by entry and for completeness.
"""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import load_reference
from symbrnn import derive, gradients
from symbrnn.cells import lstm_gomez
from symbrnn.numeric.backward import backward_table
from symbrnn.testing import check_gradients

TOL = 1e-12
ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "seed000_lstm.py"
SECTIONS = ("forward", "total_loss_E", "backward_per_step", "Delta_out_minus1", "gradients",
            "updated_parameters_exact")


@pytest.fixture(scope="module")
def ref():
    return load_reference("seed000_lstm.json")


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def values(ref):
    data = ref["inferred_data"]
    p = ref["parameters"]
    return {"W": p["W"], "U": [[u] for u in p["U"]], "b": p["b"], "x": data["x"], "y": [[y] for y in data["y"]]}


def _at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def _leaves(doc, path=()):
    """Paths of the reference's entries (lists of numbers count as one entry; step labels are skipped)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k != "t":
                yield from _leaves(v, (*path, k))
    elif isinstance(doc, list) and doc and isinstance(doc[0], dict):
        for i, v in enumerate(doc):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def test_example_uses_the_reference_inputs(ref, example, values):
    assert example["VALUES"] == values
    assert ref["inferred_data"]["learning_rate"] == example["LR"]
    assert ref["inferred_data"]["h_init"] == ref["inferred_data"]["state_init"] == 0.0


def test_every_value_of_the_worked_example(ref, example):
    entries = example["worked_example"]()
    for path, value in entries:
        expected = np.asarray(_at(ref, path), dtype=float)
        got = np.asarray(value, dtype=float)
        assert got.shape == expected.shape, path
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL, err_msg=str(path))
    # every quantity of the reference, once, in the order of the worked example
    paths = [path for path, _ in entries]
    assert len(paths) == len(set(paths))
    assert set(paths) == {p for s in SECTIONS for p in _leaves(ref[s], (s,))}
    order = [p[0] for p in paths]
    assert sorted(set(order), key=order.index) == list(SECTIONS)
    steps = [p[1] for p in paths if p[0] == "backward_per_step"]
    assert steps.index("t=1") < steps.index("t=0")  # backward: last step first


def test_gradients_both_modes(ref, values):
    cell = lstm_gomez(2, 1)
    g = ref["gradients"]
    for mode in ("reverse", "forward"):
        grads = gradients(cell, T=2, values=values, mode=mode)
        np.testing.assert_allclose(grads["W"], g["dW"], rtol=0, atol=TOL)
        np.testing.assert_allclose(grads["U"][:, 0], g["dU"], rtol=0, atol=TOL)
        np.testing.assert_allclose(grads["b"], g["db"], rtol=0, atol=TOL)


def test_gradients_agree_with_finite_differences(values):
    report = check_gradients(lstm_gomez(2, 1), 2, values, wrt=["W", "U", "b", "h_0", "c_0"], rtol=1e-12, atol=1e-13)
    assert report.ok, str(report)
    assert len(report) == 8 + 4 + 4 + 1 + 1


def test_backward_table_agrees_with_the_engine_deltas(values):
    """δh_t of the backward table is the reverse derivation's δh_t; δc_t differs by the same-step path."""
    cell = lstm_gomez(2, 1)
    table = backward_table(cell, 2, values)
    ev = derive(cell, 2, wrt="W[0,0]", mode="reverse").evaluate(values)
    for t in (0, 1, 2):
        assert table["h"][t][0] == pytest.approx(ev.delta(t, "h[0]").value, abs=1e-15)
    # dL/dθ = Σ_t δz_t · ∂z_t/∂θ for the bias b (∂z/∂b = 1)
    np.testing.assert_allclose(table["z"][1] + table["z"][2], gradients(cell, 2, values)["b"], rtol=0, atol=1e-15)


def test_example_script_prints_every_quantity_identically_across_hash_seeds(example):
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, check=True)
        runs.append(out.stdout)
    assert runs[0] == runs[1]
    lines = runs[0].splitlines()
    labels = [example["_label"](path) for path, _ in example["worked_example"]()]
    printed = [ln.split("=")[0].strip() for ln in lines if ln.startswith("  ")]
    assert printed == labels
    assert f"  {'delta_state':<24} = -0.053483684341" in lines  # the notes' t = 0, to 12 decimals
