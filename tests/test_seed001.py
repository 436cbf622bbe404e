"""Seed 001: the LSTM step backward in batch matrix form, from the matrix derivation of the row-convention cell.

The five equations must come out as the notes write them, and their numbers must equal a numpy
implementation written from the notes (independent of symbrnn)."""

import numpy as np
import pytest
import vectorzoo as vz

from symbrnn import derive
from symbrnn.cells import lstm_step_batch

N, D, H = 3, 4, 2


def _step_by_hand(v):
    """One LSTM step forward and backward in numpy, as seed 001 writes it (gates [i, f, o, g], rows = batch)."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x, y = v["x"][0], v["y"][0]
    h_prev, c_prev = np.zeros((N, H)), np.zeros((N, H))
    a = x @ v["W_x"] + h_prev @ v["W_h"] + v["b"]
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    dh = h - y  # L = ½ Σ (h - y)²
    do = dh * np.tanh(c)
    dc = dh * o * (1 - np.tanh(c) ** 2)
    di, dg, df = dc * g, dc * i, dc * c_prev
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)], axis=1)
    return {"da": da, "dx": da @ v["W_x"].T, "dW_x": x.T @ da, "dW_h": h_prev.T @ da, "dh_prev": da @ v["W_h"].T,
            "db": da.sum(axis=0)}


@pytest.fixture(scope="module")
def derived():
    cell = lstm_step_batch(N, D, H)
    return cell, {w: derive(cell, T=1, wrt=w) for w in ("W_x", "W_h", "b", "h_0")}


def test_the_five_equations_read_as_in_the_notes(derived):
    _, d = derived
    assert str(d["W_x"].delta(1, "x").expr) == "δa_1 @ W_x.T"  # dx = da·W_xᵀ
    assert str(d["W_x"].contribution(1).expr) == "x_1.T @ δa_1"  # dW_x = xᵀ·da
    assert str(d["W_h"].contribution(1).expr) == "h_0.T @ δa_1"  # dW_h = h_prevᵀ·da
    assert str(d["h_0"].delta(0, "h").expr) == "δa_1 @ W_h.T"  # dh_prev = da·W_hᵀ
    assert str(d["b"].contribution(1).expr) == "δa_1.sum(axis=0)"  # db = Σ_N da
    da = d["W_x"].delta(1, "a").expr
    assert da.op == "concat" and da.extra == 1 and da.shape == (N, 4 * H)  # the gates joined along the columns


def test_their_numbers_equal_the_notes_written_in_numpy(derived):
    cell, d = derived
    values = vz.random_values(cell, 1, seed=4)
    want = _step_by_hand(values)
    ev = {w: d[w].evaluate(values) for w in d}
    got = {"da": ev["W_x"].delta(1, "a").value, "dx": ev["W_x"].delta(1, "x").value,
           "dW_x": ev["W_x"].value, "dW_h": ev["W_h"].value, "dh_prev": ev["h_0"].value, "db": ev["b"].value}
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_the_example_prints_the_five_equations():
    import runpy
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "seed001_lstm_batch.py"
    sys.path.insert(0, str(example.parent))
    rows = runpy.run_path(str(example))["equations"](2, 3, 2)
    assert [name for name, _, _ in rows] == ["da", "dx", "dW_x", "dW_h", "dh_prev", "db"]
    assert dict((n, e) for n, e, _ in rows)["dW_x"] == "dL/dW_x[1] = x_1ᵀ·δa_1"
