"""Properties that hold for every cell: checked on random small cells with hypothesis."""

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import cells, values_for

from symbrnn import derive, unroll

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _wrts(cell):
    return list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]


@SETTINGS
@given(cell=cells(), T=st.integers(1, 4), data=st.data())
def test_forward_mode_equals_reverse_mode(cell, T, data):
    values = values_for(cell, T, data.draw)
    for wrt in _wrts(cell):
        f = derive(cell, T, wrt=wrt, mode="forward").value(values)
        r = derive(cell, T, wrt=wrt, mode="reverse").value(values)
        assert f == pytest.approx(r, rel=1e-10, abs=1e-12), wrt


@SETTINGS
@given(cell=cells(), data=st.data())
def test_at_one_step_the_total_is_the_explicit_term_when_the_initial_state_is_fixed(cell, data):
    values = values_for(cell, 1, data.draw)
    for wrt in cell.names("param"):
        if wrt == "p3" and any(cell.init(s).is_Symbol for s in cell.names("state")):
            continue  # p3 is an initial state here: it enters through h_0, an implicit path
        d = derive(cell, 1, wrt=wrt)
        ev = d.evaluate(values)
        u = unroll(cell, 1)
        env = {cell.symbol(p): v for p, v in values.items() if p in cell.names("param")}
        env.update({u.symbol(n, 1): values[n][0] for n in ("x", "y")})
        for s in cell.names("state"):
            assert d.implicit(1, s).expr == 0
            assert d.total(1, s).expr == d.explicit(1, s).ref
            # the explicit term alone is the whole derivative of h_1: sympy.diff of the unrolled h_1 says so
            oracle = sp.diff(u.expanded(u.symbol(s, 1)), cell.symbol(wrt)).xreplace(env).evalf(30)
            assert ev.explicit(1, s).value == pytest.approx(float(oracle), rel=1e-12, abs=1e-14)


@SETTINGS
@given(cell=cells(), T=st.integers(1, 3), data=st.data())
def test_a_symbol_the_loss_does_not_depend_on_has_derivative_zero(cell, T, data):
    cell.param("z")  # used nowhere
    dead = cell.param("q")
    cell.node("unused", dead * cell.symbol("x"))  # used only by a node the loss never reads
    values = values_for(cell, T, data.draw)
    for wrt in ("z", "q"):
        for mode in ("forward", "reverse"):
            d = derive(cell, T, wrt=wrt, mode=mode)
            assert d.expand(forward_values=False) == 0
            assert d.value(values) == 0.0


@SETTINGS
@given(cell=cells(), T=st.integers(1, 4), data=st.data(),
       how=st.sampled_from([("forward", "terms", "python"), ("reverse", "terms", "python"),
                            ("reverse", "bptt", "python"), ("reverse", "bptt", "numpy"),
                            ("reverse", "bptt", "c"), ("reverse", "arrays", "numpy"),
                            ("reverse", "straight", "python")]))
def test_the_numeric_recursion_equals_the_evaluated_terms(cell, T, how, data):
    """value() and gradients() skip the symbolic terms; every strategy and backend must give the terms' numbers."""
    from symbrnn.numeric.gradients import loss_and_gradients

    mode, strategy, backend = how
    values = values_for(cell, T, data.draw)
    wrts = _wrts(cell)
    loss, grads = loss_and_gradients(cell, T, values, wrt=wrts, mode=mode, strategy=strategy, backend=backend)
    for wrt in wrts:
        ev = derive(cell, T, wrt=wrt, mode=mode).evaluate(values)
        assert grads[wrt] == pytest.approx(ev.value, rel=1e-12, abs=1e-14), wrt
        assert loss == pytest.approx(ev.loss, rel=1e-14)
