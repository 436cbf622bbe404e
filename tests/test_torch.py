"""Every library cell and two cells written from scratch against PyTorch float64 autograd.

Seeded random params, sequences and non-zero initial states (learned, so dL/dh_0 is a
gradient), sizes up to input 3 / hidden 4, T up to 6: every param gradient and dL/dh_0
to 1e-10. torch.nn.LSTM and nn.GRU where the convention matches, a few lines of torch
otherwise. With CI=true a missing torch fails these tests instead of skipping them.
"""

import os

import numpy as np
import pytest
import vectorzoo as vz

from symbrnn import compile_cell, gradients
from symbrnn.numeric.gradients import loss_and_gradients

TOL = 1e-10


def _compare(torch, cell, values, twin, T, *, wrt=None):
    loss, grads = loss_and_gradients(cell, T, values, wrt=wrt)
    t_loss, leaves = twin(torch, values)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12, abs=1e-12)
    assert set(grads) == set(leaves), (sorted(grads), sorted(leaves))
    for name, leaf in leaves.items():
        expected = leaf.grad.detach().numpy()
        assert np.shape(grads[name]) == expected.shape, name
        np.testing.assert_allclose(grads[name], expected, rtol=0, atol=TOL, err_msg=name)


SIZES = [(1, 1, 1), (2, 3, 3), (3, 4, 6)]
NAMES = ["lstm", "gru", "lstm_gomez", "elman", "elman_softmax"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("D, H, T", SIZES, ids=[f"D{d}H{h}T{t}" for d, h, t in SIZES])
def test_library_cell_matches_torch(torch, name, D, H, T):
    make, twin, one_hot = vz.cases(D, H, "param")[name]
    cell = make()
    values = vz.random_values(cell, T, seed=100 * D + 10 * H + T, one_hot=one_hot)
    for n in cell.names("param"):
        if n.endswith("0"):
            assert np.all(np.abs(values[n]) > 0)  # non-zero initial states
    _compare(torch, cell, values, twin, T, wrt=list(cell.names("param")))


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_fixed_zero_initial_state_gradient_matches_torch(torch, name):
    """dL/dh_0 of a state whose initial value is a number (not a param): wrt "h_0"."""
    make, twin, _ = vz.cases(3, 4, "zero")[name]
    cell = make()
    values = vz.random_values(cell, 5, seed=7)
    wrt = list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]
    _compare(torch, cell, values, twin, 5, wrt=wrt)


def test_scalar_elman_with_learned_initial_state_matches_torch(torch):
    make, twin, _ = vz.cases(1, 1, "param")["elman"]
    cell = vz.elman(learn_init=True)
    assert not cell.shaped
    values = vz.random_values(cell, 4, seed=3)
    values = {k: (v.item() if np.ndim(v) == 0 else v.ravel()) for k, v in values.items()}
    _compare(torch, cell, values, lambda tc, v: vz.torch_elman(tc, v, 1, "param"), 4)


def test_stacked_lstm_gru_readout_matches_torch(torch):
    sizes, T = (3, 4, 3), 4
    cell = vz.stacked_cell(sizes)
    values = vz.random_values(cell, T, seed=11)
    _compare(torch, cell, values, lambda tc, v: vz.torch_stacked_lstm_gru(tc, v, sizes), T)


@pytest.mark.parametrize("T", [1, 6])
def test_gated_elman_of_the_issue_matches_torch(torch, T):
    cell = vz.gated_elman()
    values = vz.random_values(cell, T, seed=5)
    _compare(torch, cell, values, vz.torch_gated_elman, T)
    grads = gradients(cell, T=T, values=values)
    assert {k: v.shape for k, v in grads.items()} == {
        "W": (3, 2), "U": (3, 3), "b": (3,), "W_g": (3, 2), "U_g": (3, 3), "b_g": (3,), "h0": (3,)}


@pytest.mark.parametrize("T", [2, 6])
def test_softplus_peephole_cell_matches_torch(torch, T):
    cell = vz.softplus_peephole()
    values = vz.random_values(cell, T, seed=9, one_hot="y")
    _compare(torch, cell, values, vz.torch_softplus_peephole, T)


def test_forward_values_match_torch_lstm(torch):
    cell = vz.lstm(3, 4, learn_init=True)
    values = vz.random_values(cell, 6, seed=2)
    trace = compile_cell(cell).forward(values)
    m = torch.nn.LSTM(3, 4, dtype=torch.float64)
    vz.torch_rnn_module(torch, m, values, ("h", "c"))
    x = torch.tensor(values["x"])
    out, _ = m(x, (torch.tensor(values["h0"])[None], torch.tensor(values["c0"])[None]))
    np.testing.assert_allclose(np.array(trace["h"][1:]), out.detach().numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(trace["h"][0], values["h0"], rtol=0, atol=0)


BLOCK_TORCH = """
import sys
sys.modules["torch"] = None  # import torch now raises ImportError, as if it were not installed
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", {test!r}]))
"""


@pytest.mark.parametrize("ci, code, word", [("true", 1, "errors"), ("", 0, "skipped")])
def test_missing_torch_fails_under_ci_and_skips_otherwise(ci, code, word):
    import subprocess
    import sys
    from pathlib import Path

    test = str(Path(__file__).resolve()) + "::test_gated_elman_of_the_issue_matches_torch"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = ci
    out = subprocess.run([sys.executable, "-c", BLOCK_TORCH.format(test=test)], env=env, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parent, timeout=300)
    assert out.returncode == code, out.stdout + out.stderr
    assert f"2 {word}" in out.stdout
    if ci:
        assert "torch is required when CI=true: pip install torch==2.13.0" in out.stdout
