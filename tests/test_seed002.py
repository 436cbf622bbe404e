"""Seed 002 (scalar Elman RNN, T = 3): every value of the reference, to 1e-12."""

import pytest

from conftest import load_reference
from symbrnn import derive, gradients
from symbrnn.cells import elman

TOL = 1e-12
MODES = ("forward", "reverse")


@pytest.fixture(scope="module")
def ref():
    return load_reference("seed002_elman.json")


@pytest.fixture(scope="module")
def values(ref):
    return {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}


def test_forward_values(ref, values):
    ev = derive(elman(), T=3, wrt="U").evaluate(values)
    for row in ref["forward"]:
        t = row["t"]
        for name in ("x", "y", "a", "h", "yhat", "L"):
            assert ev.forward[f"{name}_{t}"] == pytest.approx(row[name], abs=TOL), (name, t)
    assert ev.forward["h_0"] == ref["data"]["h0"]
    assert ev.loss == pytest.approx(ref["L_total"], abs=TOL)


@pytest.mark.parametrize("theta", ["U", "w", "b"])
def test_explicit_implicit_total_terms(ref, values, theta):
    ev = derive(elman(), T=3, wrt=theta).evaluate(values)
    for t in (1, 2, 3):
        r = ref["hidden_state_derivatives"][f"t={t}"]
        assert ev.explicit(t).value == pytest.approx(r[f"dh{t}_d{theta}_explicit"], abs=TOL)
        assert ev.implicit(t).value == pytest.approx(r[f"dh{t}_d{theta}_implicit"], abs=TOL)
        assert ev.total(t).value == pytest.approx(r[f"dh{t}_d{theta}_total"], abs=TOL)


def test_jacobians_and_sech2(ref, values):
    ev = derive(elman(), T=3, wrt="b").evaluate(values)
    for t in (2, 3):
        r = ref["hidden_state_derivatives"][f"t={t}"]
        (jac,) = [p for p in ev.partials(t) if p.via.name == f"h_{t - 1}"]
        assert jac.value == pytest.approx(r[f"dh{t}_dh{t - 1}"], abs=TOL)
        # for b, the explicit term is sech^2(a_t) itself
        assert ev.explicit(t).value == pytest.approx(r[f"sech2_a{t}"], abs=TOL)


@pytest.mark.parametrize("theta", ["V", "c", "U", "w", "b"])
def test_per_step_loss_gradients(ref, values, theta):
    ev = derive(elman(), T=3, wrt=theta).evaluate(values)
    for t in (1, 2, 3):
        r = ref["per_step_gradients"][f"t={t}"]
        assert ev.loss_gradient(t).value == pytest.approx(r[theta], abs=TOL)
        # dL_t/dyhat_t = yhat_t - y_t, from the forward values
        assert ev.forward[f"yhat_{t}"] - ev.forward[f"y_{t}"] == pytest.approx(r["dL_dyhat"], abs=TOL)


@pytest.mark.parametrize("mode", MODES)
def test_summed_gradients_and_sgd_update(ref, values, mode):
    grads = gradients(elman(), T=3, values=values, mode=mode)
    assert set(grads) == set(ref["summed_gradients"])
    eta = ref["data"]["eta"]
    for name, g in grads.items():
        assert g == pytest.approx(ref["summed_gradients"][name], abs=TOL)
        updated = values[name] - eta * g
        assert updated == pytest.approx(ref["updated_parameters"][name], abs=TOL)


def test_reverse_contributions_sum_to_the_gradient(ref, values):
    ev = derive(elman(), T=3, wrt="U", mode="reverse").evaluate(values)
    shares = [ev.contribution(t).value for t in (1, 2, 3)]
    assert sum(shares) == pytest.approx(ref["summed_gradients"]["U"], abs=TOL)
