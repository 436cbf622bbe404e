"""The truncated closed form (``GenericDerivative(..., truncate=τ)``) against independent oracles.

- For the scalar Elman cell: the hand-written truncated BPTT loop of
  test_truncate (written from the formulas, sharing nothing with the engine).
- For every cell of the zoo (several states, a learned initial state, a loss
  that reads h_{t-1}): the numeric truncated BPTT of ``gradients(...,
  truncate=τ)``, itself pinned to the hand loop in test_truncate.
- τ = 1 keeps the explicit terms only (no step Jacobian left); τ > T is the
  full form.
"""

import numpy as np
import pytest
import sympy as sp
from cellzoo import ZOO, elman, elman_values
from test_cli import symbrnn
from test_truncate import hand_truncated_elman

from symbrnn import StepsError, derive, gradients, unroll
from symbrnn.core.symbols import Step
from symbrnn.render import GenericForm

T = 4


def _number(cell, values, expr, keep_initial, steps=T):
    """``expr`` (in params, data and, when kept, initial states) at ``values``."""
    u = unroll(cell, steps)
    expr = u.expanded(expr, keep_initial=keep_initial)
    numbers = {p: values[p] for p in cell.names("param")}
    params = {cell.symbol(p): v for p, v in numbers.items()}
    for s in cell.names("state"):
        numbers[f"{s}_0"] = float(cell.init(s).xreplace(params))
    for d in [*cell.names("input"), *cell.names("target")]:
        numbers.update({f"{d}_{t}": values[d][t - 1] for t in range(1, steps + 1)})
    found = {s: numbers[s.name] for s in expr.free_symbols if s.name in numbers}
    assert found.keys() == expr.free_symbols, expr.free_symbols - found.keys()
    return float(expr.xreplace(found))


def _cases():
    for name, (make, _) in ZOO.items():
        cell = make()
        for wrt in [*cell.names("param"), *(f"{s}_0" for s in cell.names("state"))]:
            for mode in ("forward", "reverse"):
                yield pytest.param(name, wrt, mode, id=f"{name}-{wrt}-{mode}")


@pytest.mark.parametrize("name, wrt, mode", list(_cases()))
def test_truncated_form_equals_truncated_bptt(name, wrt, mode):
    make, make_values = ZOO[name]
    steps = 3 if name == "gated" else T  # the gated cell's expanded form at T = 4 costs seconds per case
    cell, values = make(), make_values(steps)
    keep = isinstance(derive(cell, 1, wrt=wrt).wrt, Step)
    for tau in (1, 2, steps, steps + 1):
        form = GenericForm(cell, wrt, mode=mode, truncate=tau).unrolled(steps, concrete=True)
        mine = _number(cell, values, form, keep, steps)
        (oracle,) = gradients(cell, steps, values, wrt=[wrt], truncate=tau).values()
        assert mine == pytest.approx(float(np.ravel(oracle)[0]), rel=1e-12, abs=1e-14), tau


@pytest.mark.parametrize("wrt", ["w", "U", "b"])
@pytest.mark.parametrize("tau", [1, 2, 3])
def test_truncated_form_of_elman_equals_the_hand_written_loop(wrt, tau):
    values = elman_values(T)
    vec = {k: np.reshape(v, (1, 1)) if np.isscalar(v) else np.reshape(v, (T, 1)) for k, v in values.items()}
    vec["b"], vec["c"] = np.ravel(vec["b"]), np.ravel(vec["c"])
    oracle = float(np.ravel(hand_truncated_elman(vec, tau)[wrt])[0])
    mine = _number(elman(), values, GenericForm(elman(), wrt, truncate=tau).unrolled(T, concrete=True), False)
    assert mine == pytest.approx(oracle, rel=1e-12)


@pytest.mark.parametrize("name", list(ZOO))
def test_one_step_keeps_the_explicit_terms_and_past_T_is_the_full_form(name):
    cell = ZOO[name][0]()
    for wrt in cell.names("param"):
        for mode in ("forward", "reverse"):
            one = GenericForm(cell, wrt, mode=mode, truncate=1).at(T)
            assert not any(str(q.base.label) == "J" for q in one.atoms(sp.Indexed)), one
            full = GenericForm(cell, wrt, mode=mode).at(T)
            assert sp.expand(GenericForm(cell, wrt, mode=mode, truncate=T + 1).at(T) - full) == 0


def test_truncated_form_prints_like_the_full_one():
    g = GenericForm(elman(), "U", truncate=3)
    assert str(g) == ("dL/dU = Σ_{t=1..T} ∂L_t/∂h_t·Σ_{k=max(1,t-τ+1)..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂U"
                      "   (τ = 3)")
    assert str(GenericForm(elman(), "h_0", mode="reverse", truncate=3)) == (
        "dL/dh_0 = Σ_{t=1..min(T,τ-1)} ∂L_t/∂h_t·(Π_{j=1..t} ∂h_j/∂h_{j-1})   (τ = 3)")
    assert r"\sum_{k=\max(1, t - \tau" in g.latex()


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "3"])
def test_a_bad_truncation_is_refused(bad):
    with pytest.raises(StepsError, match="whole number"):
        GenericForm(elman(), "U", truncate=bad)


def test_derive_truncate_prints_the_truncated_form():
    done = symbrnn("derive", "elman", "--steps", 5, "--wrt", "U", "--form", "generic", "--truncate", 3)
    assert done.returncode == 0, done.stderr
    assert done.stdout == str(GenericForm(elman(), "U", truncate=3)) + "\n"
    md = symbrnn("derive", "elman", "--steps", 3, "--wrt", "U", "--format", "markdown", "--truncate", 2)
    assert md.returncode == 0, md.stderr
    assert "## Generic T, truncated after τ = 2 steps" in md.stdout
    assert GenericForm(elman(), "U", truncate=2).latex() in md.stdout


@pytest.mark.parametrize("args, says", [
    (["elman", "--wrt", "U", "--truncate", 2], "use it with --form generic"),
    (["elman", "--wrt", "U", "--form", "generic", "--truncate", 0], "--truncate"),
    (["lstm_gomez", "--wrt", "W", "--form", "generic", "--truncate", 2], "give --wrt 'W[0,0]'"),
    (["lstm_gomez", "--wrt", "h_0", "--form", "generic", "--truncate", 2], "give --wrt 'h[0]_0'"),
])
def test_derive_truncate_refuses_what_it_cannot_write(args, says):
    done = symbrnn("derive", "--steps", 3, *args)
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
