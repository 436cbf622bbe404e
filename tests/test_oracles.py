"""Forward mode = reverse mode = sympy.diff of the unrolled loss = high-precision finite differences.

The symbolic oracle differentiates the fully unrolled expression with plain
sympy (what the engine never does); the numeric oracle recomputes the loss in
mpmath at 50 digits and takes central differences.
"""

import pytest
import sympy as sp
from cellzoo import ZOO

from symbrnn import derive, unroll
from symbrnn.core.symbols import Step
from symbrnn.testing import check_gradients

MODES = ("forward", "reverse")


def _wrts(cell):
    return list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]


def _symbolic_cases():
    for name, (make, _) in ZOO.items():
        cell = make()
        steps = (1, 2) if name == "gated" else (1, 2, 3)
        for T in steps:
            for wrt in _wrts(cell):
                yield pytest.param(name, T, wrt, id=f"{name}-T{T}-{wrt}")
    yield pytest.param("gated", 3, "ug", id="gated-T3-ug")


@pytest.mark.parametrize("name, T, wrt", list(_symbolic_cases()))
def test_both_modes_equal_sympy_diff_of_the_unrolled_loss(name, T, wrt):
    cell = ZOO[name][0]()
    u = unroll(cell, T)
    d_fwd = derive(cell, T, wrt=wrt, mode="forward")
    theta = d_fwd.wrt
    # for an initial state, keep h_0 a symbol so it can be differentiated
    oracle = sp.diff(u.expanded(u.loss, keep_initial=isinstance(theta, Step)), theta)
    for mode in MODES:
        engine = derive(cell, T, wrt=wrt, mode=mode).expand()
        assert sp.expand(engine - oracle) == 0, (mode, engine, oracle)


@pytest.mark.parametrize("name", list(ZOO))
@pytest.mark.parametrize("T", [1, 2, 4])
def test_both_modes_equal_finite_differences(name, T):
    make, make_values = ZOO[name]
    cell, values = make(), make_values(T)
    wrts = _wrts(cell)
    for mode in MODES:
        report = check_gradients(cell, T, values, wrt=wrts, mode=mode, rtol=1e-12, atol=1e-13)
        assert report.ok, f"{mode}\n{report}"
        assert set(report) == set(wrts)


@pytest.mark.parametrize("name", list(ZOO))
def test_derivative_of_a_quantity_at_a_step(name):
    """d(h_2)/dθ and d(L_2)/dθ, not only the total loss."""
    cell = ZOO[name][0]()
    T = 3
    u = unroll(cell, T)
    targets = [f"{s}_2" for s in cell.names("state")] + [f"{cell.loss_name}_2"]
    for of in targets:
        sym = u.symbol(of.rpartition("_")[0], 2)
        for wrt in cell.names("param"):
            oracle = sp.diff(u.expanded(sym), cell.symbol(wrt))
            for mode in MODES:
                engine = derive(cell, T, wrt=wrt, of=of, mode=mode).expand()
                assert sp.expand(engine - oracle) == 0, (of, wrt, mode)


def test_forward_and_reverse_give_the_same_numbers_term_by_term():
    make, make_values = ZOO["gated"]
    cell, values = make(), make_values(4)
    for wrt in _wrts(cell):
        f = derive(cell, 4, wrt=wrt, mode="forward").evaluate(values)
        r = derive(cell, 4, wrt=wrt, mode="reverse").evaluate(values)
        assert f.value == pytest.approx(r.value, rel=1e-12, abs=1e-15)
        # each mode's own terms add up to its result
        assert sum(t.value for t in r.select("contribution")) + sum(
            r.delta(0, s).value * (wrt == f"{s}_0") for s in cell.names("state")
        ) == pytest.approx(r.value, rel=1e-12, abs=1e-15)
        assert sum(f.loss_gradient(t).value for t in range(1, 5)) == pytest.approx(f.value, rel=1e-12, abs=1e-15)
