"""Truncated BPTT against a hand-written truncated BPTT in numpy (the d2l way: every loss walks back τ steps).

Oracles: the loops below, written from the formulas and sharing nothing with the
engine; the engine's generated full-BPTT program (τ = T); the explicit terms of a
forward-mode derivation (τ = 1); and, for randomized truncation, the full gradient
as the mean over many seeds (a statistical test with a fixed seed list).
"""

import numpy as np
import pytest

import symbrnn
from symbrnn import StepsError, SymbrnnError, compile_cell, derive, gradients
from symbrnn.cells import elman, lstm
from symbrnn.numeric.gradients import loss_and_gradients
from symbrnn.numeric.steparrays import step_arrays
from symbrnn.numeric.truncation import truncated_gradient

TOL = 1e-12


def _elman_values(D, H, T, seed):
    rng = np.random.default_rng(seed)
    return {"w": 0.6 * rng.normal(size=(H, D)), "U": 0.6 * rng.normal(size=(H, H)), "V": 0.6 * rng.normal(size=(1, H)),
            "b": 0.3 * rng.normal(size=H), "c": 0.3 * rng.normal(size=1),
            "x": rng.normal(size=(T, D)), "y": rng.normal(size=(T, 1))}


def hand_truncated_elman(v, tau):
    """Truncated BPTT of the vector Elman cell, one backward walk of at most τ steps per loss."""
    w, U, V, b, c = (np.asarray(v[k], dtype=float) for k in "wUVbc")
    x, y = np.asarray(v["x"], dtype=float), np.asarray(v["y"], dtype=float)
    T, H = len(x), U.shape[0]
    h = [np.zeros(H)]
    for t in range(T):
        h.append(np.tanh(w @ x[t] + U @ h[-1] + b))
    g = {k: np.zeros_like(a) for k, a in (("w", w), ("U", U), ("V", V), ("b", b), ("c", c))}
    for t in range(1, T + 1):
        err = V @ h[t] + c - y[t - 1]
        g["V"] += np.outer(err, h[t])
        g["c"] += err
        delta = V.T @ err  # dL_t/dh_t
        for k in range(t, max(t - tau, 0), -1):  # k = t, t-1, ..., t-τ+1 (and k >= 1)
            da = delta * (1 - h[k] ** 2)
            g["U"] += np.outer(da, h[k - 1])
            g["w"] += np.outer(da, x[k - 1])
            g["b"] += da
            delta = U.T @ da
    return g


def _scalar(v):
    out = {k: float(np.ravel(a)[0]) for k, a in v.items() if k not in ("x", "y")}
    return {**out, "x": np.ravel(v["x"]).tolist(), "y": np.ravel(v["y"]).tolist()}


@pytest.mark.parametrize("T", [1, 4, 9])
def test_scalar_elman_matches_the_hand_written_truncation(T):
    vec = _elman_values(1, 1, T, seed=T)
    v = _scalar(vec)
    for tau in range(1, T + 2):
        got, want = gradients(elman(), T, v, truncate=tau), hand_truncated_elman(vec, tau)
        for k in got:
            assert got[k] == pytest.approx(float(np.ravel(want[k])[0]), abs=TOL), (k, tau)


@pytest.mark.parametrize("D, H, T", [(2, 3, 5), (3, 4, 8)])
def test_vector_elman_matches_the_hand_written_truncation(D, H, T):
    cell, v = elman(D, H, 1), _elman_values(D, H, T, seed=10 * D + H)
    for tau in (1, 2, 3, T - 1, T, T + 3):
        got, want = gradients(cell, T, v, truncate=tau), hand_truncated_elman(v, tau)
        for k in want:
            assert got[k].shape == want[k].shape
            np.testing.assert_allclose(got[k], want[k], rtol=0, atol=TOL, err_msg=f"{k}, τ={tau}")


def test_the_oracle_itself_is_full_bptt_at_tau_T():
    # the hand-written loop with τ = T against the generated program: both are BPTT
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 6, seed=1)
    full = loss_and_gradients(cell, 6, v, strategy="bptt")[1]
    for k, a in hand_truncated_elman(v, 6).items():
        np.testing.assert_allclose(a, full[k], rtol=0, atol=TOL)


@pytest.mark.parametrize("make, T", [(lambda: elman(2, 3, 1), 7), (lambda: lstm(2, 3), 5)])
def test_tau_T_is_full_bptt(make, T):
    cell = make()
    v = _elman_values(2, 3, T, 4) if cell.name == "elman" else _lstm_values(cell, T)
    full = loss_and_gradients(cell, T, v, strategy="bptt")
    trunc = loss_and_gradients(cell, T, v, truncate=T)
    assert trunc[0] == pytest.approx(full[0], abs=TOL)
    for k in full[1]:
        np.testing.assert_allclose(trunc[1][k], full[1][k], rtol=0, atol=TOL, err_msg=k)


def _lstm_values(cell, T, seed=3):
    rng = np.random.default_rng(seed)
    v = {n: 0.5 * rng.normal(size=cell.shape(n)) for n in cell.names("param")}
    return v | {n: rng.normal(size=(T, *cell.shape(n))) for n in cell.names("input") + cell.names("target")}


def test_a_learned_initial_state_needs_tau_above_T():
    # the initial state is step 0: a loss at step T reaches it T steps back, so τ = T drops that term
    cell, T = elman(learn_init=True), 4
    v = {"w": .5, "U": .9, "V": .5, "b": .2, "c": .1, "h0": .3, "x": [1, .8, .6, .2], "y": [.5, .6, .7, .1]}
    full = loss_and_gradients(cell, T, v, strategy="bptt")[1]
    assert gradients(cell, T, v, truncate=T + 1) == pytest.approx(full, abs=TOL)
    assert gradients(cell, T, v, truncate=T)["h0"] != pytest.approx(full["h0"], abs=1e-6)
    assert gradients(cell, T, v, truncate=1)["h0"] == 0.0


@pytest.mark.parametrize("T", [1, 3, 6])
def test_tau_1_is_the_sum_of_the_explicit_terms(T):
    v = _scalar(_elman_values(1, 1, T, seed=20 + T))
    got = gradients(elman(), T, v, truncate=1)
    for name in ("w", "U", "V", "b", "c"):
        ev = derive(elman(), T, wrt=name).evaluate(v)
        explicit = sum(ev.explicit(t, "L").value + ev.partials(t, "L")[0].value * ev.explicit(t, "h").value
                       for t in range(1, T + 1))
        assert got[name] == pytest.approx(explicit, abs=TOL), name


def test_compiled_cell_truncates_too():
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 6, seed=8)
    got, want = compile_cell(cell).gradients(v, truncate=2), hand_truncated_elman(v, 2)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=0, atol=TOL)


def test_randomized_truncation_with_p_1_is_full_bptt():
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 6, seed=2)
    full = gradients(cell, 6, v)
    for k, a in gradients(cell, 6, v, truncate=("random", 1.0, 5)).items():
        np.testing.assert_allclose(a, full[k], rtol=0, atol=TOL)


def test_randomized_truncation_is_deterministic_per_seed_and_varies_across_seeds():
    cell, v = elman(2, 3, 1), _elman_values(2, 3, 10, seed=2)
    a, b = (gradients(cell, 10, v, truncate=("random", 0.5, 7)) for _ in range(2))
    c = gradients(cell, 10, v, truncate=("random", 0.5, 8))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def test_randomized_truncation_is_unbiased():
    """Mean over 4000 seeds (0..3999) within 4 standard errors of the full gradient, and within 3% of its norm."""
    T, N, p = 8, 4000, 0.6
    cell = elman(2, 2, 1)
    v = _elman_values(2, 2, T, seed=5) | {"U": np.array([[1.1, -0.4], [0.5, 0.9]])}
    full = np.concatenate([np.ravel(a) for a in gradients(cell, T, v).values()])
    fixed = np.concatenate([np.ravel(a) for a in gradients(cell, T, v, truncate=2).values()])
    assert np.linalg.norm(fixed - full) > 0.1 * np.linalg.norm(full)  # truncation matters in this setting
    arrays = step_arrays(cell, T, v)  # the step partials once; each seed draws its own truncation of them
    draws = np.array([truncated_gradient(arrays, ("random", p, s)) for s in range(N)])
    public = np.concatenate([np.ravel(a) for a in gradients(cell, T, v, truncate=("random", p, 11)).values()])
    np.testing.assert_allclose(draws[11], public, rtol=0, atol=TOL)
    mean, se = draws.mean(axis=0), draws.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(mean - full) <= 4 * se + 1e-12)
    assert np.linalg.norm(mean - full) <= 0.03 * np.linalg.norm(full)


BAD = [0, -2, 1.5, True, "3", [3], ("random", 0, 1), ("random", 1.5, 1), ("random", 0.5, -1),
       ("random", 0.5, 1.0), ("fixed", 3, 0), ("random", 0.5)]


@pytest.mark.parametrize("bad", BAD, ids=[repr(b) for b in BAD])
def test_bad_truncate_is_refused_naming_the_fix(bad):
    with pytest.raises(StepsError, match=r"truncate=.*use truncate=τ \(a whole number >= 1\) or truncate=\('random'"):
        gradients(elman(), 3, {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, 2, 3], "y": [1, 2, 3]},
                  truncate=bad)


def test_truncation_refuses_a_program_strategy():
    v = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, 2, 3], "y": [1, 2, 3]}
    with pytest.raises(SymbrnnError, match="truncate=2 runs on the step partials"):
        loss_and_gradients(elman(), 3, v, truncate=2, backend="c")
    assert issubclass(StepsError, symbrnn.SymbrnnError)
