"""Gradient flow: Jacobian-product norms against PyTorch float64 autograd, the lag split, verdicts and bounds.

Oracles: torch.autograd.functional.jacobian of a torch step written for each library
cell (nn.LSTMCell / nn.GRUCell with the cell's weights; a few lines for Elman),
multiplied and normed with numpy; the hand-written truncated BPTT of test_truncate
(lag m's share = truncation after m + 1 steps minus truncation after m); sympy's own
closed forms for the bounds; and trajectories with known Jacobians (h stays 0, or ½).
"""

import time

import numpy as np
import pytest
import sympy as sp
from test_truncate import _elman_values, hand_truncated_elman

from symbrnn import Cell, gradients, relu, sigmoid
from symbrnn.analysis import derivative_max, flow, step_bound
from symbrnn.cells import elman, gru, lstm

RTOL = 1e-10


def _values(cell, T, seed, scale=0.5):
    rng = np.random.default_rng(seed)
    v = {n: scale * rng.normal(size=cell.shape(n)) for n in cell.names("param")}
    return v | {n: rng.normal(size=(T, *cell.shape(n))) for n in cell.names("input") + cell.names("target")}


def _torch_step(torch, name, v, H):
    t = {k: torch.tensor(np.asarray(a, dtype=float)) for k, a in v.items()}
    if name == "elman":
        return lambda s, x: torch.tanh(t["w"] @ x + t["U"] @ s + t["b"])
    module = (torch.nn.LSTMCell if name == "lstm" else torch.nn.GRUCell)(t["x"].shape[1], H, dtype=torch.float64)
    with torch.no_grad():
        for p, k in zip((module.weight_ih, module.weight_hh, module.bias_ih, module.bias_hh),
                        ("W_ih", "W_hh", "b_ih", "b_hh"), strict=True):
            p.copy_(t[k])
    if name == "gru":
        return lambda s, x: module(x[None], s[None])[0]

    def lstm_step(s, x):  # the joint state (h, c), as symbrnn orders it
        h, c = module(x[None], (s[None, :H], s[None, H:]))
        return torch.cat([h[0], c[0]])
    return lstm_step


def torch_product_norms(torch, name, v, H, n_state):
    """‖J_T···J_{T-ℓ+1}‖₂ for ℓ = 0..T from torch's step Jacobians along torch's own trajectory."""
    step = _torch_step(torch, name, v, H)
    xs = torch.tensor(np.asarray(v["x"], dtype=float))
    s, Js = torch.zeros(n_state, dtype=torch.float64), []
    for x in xs:
        Js.append(torch.autograd.functional.jacobian(lambda u, x=x: step(u, x), s).numpy())
        s = step(s, x).detach()
    out, M = [1.0], np.eye(n_state)
    for J in reversed(Js):
        M = M @ J
        out.append(np.linalg.norm(M, 2))
    return np.array(out)


CASES = [("elman", lambda: elman(3, 4, 2), 4, 4), ("lstm", lambda: lstm(3, 4), 4, 8), ("gru", lambda: gru(3, 4), 4, 4)]


@pytest.mark.parametrize("name, make, H, n", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("T, scale", [(7, 0.5), (12, 1.5)])
def test_product_norms_match_torch(torch, name, make, H, n, T, scale):
    cell = make()
    v = _values(cell, T, seed=T + H, scale=scale)
    f = flow(cell, T, v)
    assert len(f.states) == n
    want = torch_product_norms(torch, name, v, H, n)
    np.testing.assert_allclose(f.norms, want, rtol=RTOL, atol=0)
    np.testing.assert_allclose(f.log_norms, np.log(want), rtol=0, atol=1e-9)


def test_lstm_joint_state_is_h_then_c():
    assert flow(lstm(2, 2), 2, _values(lstm(2, 2), 2, 0)).states == ("h[0]", "h[1]", "c[0]", "c[1]")


@pytest.mark.parametrize("T", [3, 8])
def test_lag_shares_match_the_hand_written_truncations(T):
    cell, v = elman(2, 3, 1), _elman_values(2, 3, T, seed=T)
    f = flow(cell, T, v)
    for m in range(T + 1):
        lo, hi = (hand_truncated_elman(v, k) if k else {n: 0 for n in "wUVbc"} for k in (m, m + 1))
        for n in "wUVbc":
            np.testing.assert_allclose(f.contributions[n][m], hi[n] - lo[n], rtol=0, atol=1e-12, err_msg=(n, m))
    full = gradients(cell, T, v)
    for n in full:
        np.testing.assert_allclose(f.contributions[n].sum(axis=0), full[n], rtol=0, atol=1e-12)
    assert f.shares().sum() == pytest.approx(1.0) and f.shares("U")[0] > 0


def test_lags_past_max_lag_are_summed_into_the_rest():
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 9, seed=1)
    f, full = flow(cell, 9, v, max_lag=2), gradients(cell, 9, v)
    assert f.max_lag == 2 and len(f.shares("U")) == 4
    np.testing.assert_allclose(f.contributions["U"].sum(axis=0) + f.rest["U"], full["U"], rtol=0, atol=1e-12)


def test_the_truncation_report_is_truncated_bptt_and_its_distance():
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 8, seed=4)
    t = flow(cell, 8, v, truncate=2).truncation
    want, full = hand_truncated_elman(v, 2), gradients(cell, 8, v)
    flat = lambda g: np.concatenate([np.ravel(g[n]) for n in "wUVbc"])  # noqa: E731
    np.testing.assert_allclose(flat(t.gradients), flat(want), rtol=0, atol=1e-12)
    d = flat(want) - flat(full)
    assert t.relative_error == pytest.approx(np.linalg.norm(d) / np.linalg.norm(flat(full)), rel=1e-12)
    assert t.cosine == pytest.approx(flat(want) @ flat(full) / np.linalg.norm(flat(want)) / np.linalg.norm(flat(full)))
    assert 0 < t.lost < 1
    assert flow(cell, 8, v, truncate=8).truncation.relative_error < 1e-13
    assert flow(cell, 8, v, truncate=("random", 0.5, 1)).truncation.lost is None


@pytest.mark.parametrize("U, verdict, rate", [(0.3, "vanishing", 0.3), (1.0, "neither", 1.0), (3.0, "exploding", 3.0)])
def test_verdict_and_rate_on_a_trajectory_that_stays_at_zero(U, verdict, rate):
    # x = 0, b = 0, h_0 = 0: h_t = 0 at every step, so ∂h_t/∂h_{t-1} = U·(1 − 0) = U exactly
    T = 20
    v = {"w": .5, "U": U, "V": .5, "b": 0.0, "c": .1, "x": [0.0] * T, "y": [1.0] * T}
    f = flow(elman(), T, v)
    assert f.verdict == verdict and f.rate == pytest.approx(rate, rel=1e-12)
    np.testing.assert_allclose(f.norms, U ** np.arange(T + 1), rtol=1e-12)


def test_ten_thousand_steps_neither_underflow_nor_take_long():
    T = 10_000
    rng = np.random.default_rng(0)
    v = {"w": .5, "U": .9, "V": .5, "b": .2, "c": .1, "x": rng.normal(size=T), "y": rng.normal(size=T)}
    start = time.perf_counter()
    f = flow(elman(), T, v)
    assert time.perf_counter() - start < 30
    assert f.verdict == "vanishing" and np.all(np.isfinite(f.log_norms)) and f.log_norms[-1] < -1000
    assert f.norms[-1] == 0.0  # the norm itself underflows; its logarithm does not


# ------------------------------------------------------------------------------------------------ bounds
class halftanh(sp.Function):
    """A user's own activation, 2σ(x) − 1, whose derivative sympy knows only through fdiff: (1 − f²)/2."""

    def fdiff(self, argindex=1):
        return (1 - self**2) / 2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 2 / (1 + sp.exp(-x)) - 1


def test_activation_maxima_come_from_sympy():
    assert derivative_max(sigmoid) == sp.Rational(1, 4)
    assert derivative_max(sp.tanh) == 1
    assert derivative_max(relu) == 1
    assert derivative_max(halftanh) == sp.Rational(1, 2)
    assert derivative_max(sp.exp) == sp.oo


def seed003(w_init=0.5):
    """Seed 003's scalar sigmoid recurrence h_t = σ(w·h_{t-1} + b + x_t)."""
    cell = Cell("seed003")
    x, y = cell.input("x"), cell.target("y")
    w, b = cell.params("w b")
    h = cell.state("h", init=w_init)
    cell.update(h, sigmoid(w * h.prev + b + x))
    cell.loss((h - y) ** 2 / 2)
    return cell


def test_seed003_bound_is_abs_w_over_4():
    bound = step_bound(seed003())
    assert bound.holds and sp.simplify(bound.expr - sp.Abs(sp.Symbol("w", real=True)) / 4) == 0
    assert bound.value({"w": -4.1, "b": 0}) == pytest.approx(4.1 / 4)


@pytest.mark.parametrize("w", [0.5, 3.9, 4.1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_abs_w_over_4_to_the_k_bounds_the_products(w, seed):
    T = 25
    rng = np.random.default_rng(seed)
    v = {"w": w, "b": rng.normal(), "x": rng.normal(size=T), "y": rng.normal(size=T)}
    f = flow(seed003(), T, v)
    k = np.arange(T + 1)
    assert np.all(f.norms <= (abs(w) / 4) ** k * (1 + 1e-12))
    assert np.all(f.norms <= np.array([f.bound_over(int(i)) for i in k]) * (1 + 1e-12))


def test_products_exceed_one_for_w_large_enough():
    # h_0 = ½ and b = −w/2 put a_t = w·(h − ½) + x_t near 0, where σ' = 1/4: each step multiplies by about w/4 = 2
    T, w = 6, 8.0
    rng = np.random.default_rng(3)
    v = {"w": w, "b": -w / 2, "x": 1e-3 * rng.normal(size=T), "y": np.zeros(T)}
    f = flow(seed003(), T, v)
    assert np.all(f.norms[1:] > 1) and f.verdict == "exploding"
    assert f.norms[T] > 1.5 ** T


def test_vector_elman_bound_is_the_spectral_norm_of_U():
    cell = elman(2, 3, 1)
    bound = step_bound(cell)
    assert bound.holds and bound.matrix_name == "U" and bound.factor == 1
    v = _elman_values(2, 3, 10, seed=6)
    f = flow(cell, 10, v)
    assert f.bound_value == pytest.approx(np.linalg.norm(v["U"], 2), rel=1e-12)
    assert np.all(f.norms <= f.bound_value ** np.arange(11) * (1 + 1e-12))


@pytest.mark.parametrize("make", [lambda: lstm(2, 2), lambda: gru(2, 2)])
def test_gated_cells_have_no_simple_bound(make):
    bound = step_bound(make())
    assert not bound.holds and "no simple bound" in bound.reason
    assert bound.value({}) is None and bound.expr is None


def test_an_activation_of_a_nonlinear_recurrence_has_no_simple_bound():
    cell = Cell("square")
    x, y = cell.input("x"), cell.target("y")
    (U,) = cell.params("U")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(U * h.prev ** 2 + x))
    cell.loss((h - y) ** 2)
    bound = step_bound(cell)
    assert not bound.holds and bound.reason == "h's activation is not linear in the previous states: no simple bound"
