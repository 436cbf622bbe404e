"""Gradient clipping by norm (issue 14): against torch.nn.utils.clip_grad_norm_ and torch.optim, in training
and in the worked solution.

The oracles are PyTorch's own: ``clip_grad_norm_`` on tensors holding the same gradients, ``torch.optim.SGD``
and ``torch.optim.Adam`` stepping on them, and, end to end, a training loop of the LSTM written in torch
(tests/vectorzoo.py) whose gradients come from autograd. Every comparison is to 1e-12.
"""

import numpy as np
import pytest
import vectorzoo as vz
from test_cli import symbrnn

from symbrnn import errors
from symbrnn.cells import elman
from symbrnn.checking import check
from symbrnn.numeric.optimizers import SGD, Adam, clip_by_norm
from symbrnn.numeric.solution import solve, train
from symbrnn.render import WorkedSolution, to_markdown

TOL = 1e-12
SEED002 = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}


def _grads(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"w": float(rng.normal()), "U": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}


def _tensors(torch, arrays: dict) -> dict:
    return {k: torch.tensor(np.asarray(v, dtype=float), dtype=torch.float64) for k, v in arrays.items()}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_norm", [1e-3, 0.5, 2.0, 1e3])
def test_clip_by_norm_matches_torch_clip_grad_norm(torch, seed, max_norm):
    grads = _grads(seed)
    params = {k: torch.nn.Parameter(t) for k, t in _tensors(torch, grads).items()}
    for k, p in params.items():
        p.grad = _tensors(torch, {k: grads[k]})[k]
    total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
    c = clip_by_norm(grads, max_norm)
    assert c.norm == pytest.approx(float(total), rel=TOL)
    assert c.clipped == (float(total) > max_norm)
    for k, p in params.items():
        assert np.shape(c.grads[k]) == np.shape(grads[k])
        np.testing.assert_allclose(c.grads[k], p.grad.numpy(), rtol=0, atol=TOL, err_msg=k)
        np.testing.assert_allclose(c.given[k], grads[k], rtol=0, atol=0)
    clipped_norm = np.sqrt(sum(np.sum(np.square(g)) for g in c.grads.values()))
    assert clipped_norm <= max_norm * (1 + 1e-12)


def _torch_steps(torch, make_opt, params0: dict, grads_by_step: list, max_norm: float) -> dict:
    params = {k: torch.nn.Parameter(t) for k, t in _tensors(torch, params0).items()}
    opt = make_opt(list(params.values()))
    for grads in grads_by_step:
        for k, p in params.items():
            p.grad = _tensors(torch, {k: grads[k]})[k]
        torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        opt.step()
    return {k: p.detach().numpy() for k, p in params.items()}


@pytest.mark.parametrize("max_norm", [0.3, 50.0])
def test_sgd_and_adam_with_clip_match_torch_optimizers(torch, max_norm):
    params0, steps = _grads(10), [_grads(11 + k) for k in range(5)]
    expected = _torch_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1), params0, steps, max_norm)
    got = params0
    for g in steps:
        got = SGD(lr=0.1, clip=max_norm).step(got, g)
    for k in params0:
        np.testing.assert_allclose(got[k], expected[k], rtol=0, atol=TOL, err_msg=k)

    expected = _torch_steps(torch, lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.95), eps=1e-7),
                            params0, steps, max_norm)
    got, state = params0, None
    for g in steps:
        got, state = Adam(lr=0.01, beta1=0.8, beta2=0.95, eps=1e-7, clip=max_norm).step(got, g, state)
    for k in params0:
        np.testing.assert_allclose(got[k], expected[k], rtol=0, atol=TOL, err_msg=k)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_training_an_lstm_with_clipping_matches_a_torch_loop(torch, opt):
    """train(lstm_gomez, clip=κ) against autograd + clip_grad_norm_ + torch.optim, 4 updates, κ below the
    first gradient's norm so that clipping acts."""
    make, twin, _ = vz.cases(2, 3, "param")["lstm_gomez"]
    cell = make()
    values = vz.random_values(cell, 4, seed=3)
    names = list(cell.names("param"))
    kappa = 0.5 * clip_by_norm(solve(cell, 4, values).gradients, 1.0).norm
    ours = (SGD(lr=0.2, clip=kappa) if opt == "sgd"
            else Adam(lr=0.05, beta1=0.7, beta2=0.9, eps=1e-6, clip=kappa))
    steps = train(cell, 4, values, optimizer=ours, updates=4)
    assert steps[0].clipping.clipped and steps[0].clipping.scale == pytest.approx(0.5, rel=1e-5)

    P = {n: torch.nn.Parameter(t) for n, t in _tensors(torch, {n: values[n] for n in names}).items()}
    topt = (torch.optim.SGD(list(P.values()), lr=0.2) if opt == "sgd"
            else torch.optim.Adam(list(P.values()), lr=0.05, betas=(0.7, 0.9), eps=1e-6))
    for step in steps:
        loss, leaves = twin(torch, {**values, **{n: p.detach().numpy() for n, p in P.items()}})
        loss.backward()
        assert step.loss == pytest.approx(loss.item(), rel=TOL)
        for n in names:
            P[n].grad = leaves[n].grad.clone()
        norm = torch.nn.utils.clip_grad_norm_(list(P.values()), kappa)
        assert step.clipping.norm == pytest.approx(float(norm), rel=1e-10)
        topt.step()
        for n in names:
            np.testing.assert_allclose(step.updated[n], P[n].detach().numpy(), rtol=0, atol=1e-10, err_msg=n)


def test_worked_solution_writes_the_clipping_and_steps_with_the_clipped_gradient():
    plain = solve(elman(), 3, SEED002, optimizer=SGD(lr=0.1))
    kappa = 0.05
    s = solve(elman(), 3, SEED002, optimizer=SGD(lr=0.1, clip=kappa))
    norm = np.sqrt(sum(g * g for g in plain.gradients.values()))
    scale = kappa / (norm + 1e-6)
    assert s.clipping.norm == pytest.approx(norm, rel=TOL) and s.clipping.scale == pytest.approx(scale, rel=TOL)
    for th, g in plain.gradients.items():
        assert s.gradients[th] == g  # dL/dθ itself is unchanged; only the step uses g̃
        assert s.updated[th] == pytest.approx(SEED002[th] - 0.1 * scale * g, rel=TOL)
    assert plain.clipping is None and plain.step_gradients is plain.gradients

    md = to_markdown(WorkedSolution.of(s, digits=4))
    assert r"\tilde g_{U}" in md and "(clipped)" in md and f"{scale:.4f}" in md
    assert r"\tilde g" not in to_markdown(WorkedSolution.of(plain, digits=4))


def test_clip_above_the_norm_leaves_the_step_alone():
    plain = solve(elman(), 3, SEED002, optimizer=Adam(lr=0.01))
    s = solve(elman(), 3, SEED002, optimizer=Adam(lr=0.01, clip=100.0))
    assert not s.clipping.clipped and s.clipping.scale == 1.0
    assert s.updated == plain.updated
    assert "not clipped" in to_markdown(WorkedSolution.of(s))


def test_train_records_each_steps_scale_and_tables_it():
    steps = train(elman(), 3, SEED002, optimizer=SGD(lr=0.5, clip=0.1), updates=3)
    for step in steps:
        g = np.array([step.gradients[th] for th in step.updated])
        assert step.clipping.norm == pytest.approx(np.linalg.norm(g), rel=TOL)
    doc = to_markdown(WorkedSolution(elman(), 3, SEED002, optimizer=SGD(lr=0.5, clip=0.1), updates=3))
    assert "| k | θ | L |" in doc and "| s |" in doc
    for step in steps:
        assert f"{step.clipping.scale:.4f}" in doc


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_a_bad_clip_is_refused_naming_it(bad):
    for make in (SGD, Adam):
        with pytest.raises(errors.SpecError, match="clip="):
            make(clip=bad)


def test_clipping_refuses_non_finite_gradients():
    with pytest.raises(errors.ValuesError, match="finite"):
        clip_by_norm({"w": float("nan")}, 1.0)


def test_check_refuses_an_optimizer_that_clips():
    with pytest.raises(errors.SpecError, match="clip"):
        check(elman(), 3, SEED002, {"U_new": "0.5"}, optimizer=SGD(clip=1.0))


def test_cli_solve_clip():
    r = symbrnn("solve", "elman", "--values", "examples/cells/seed002_values.toml", "--clip", "0.05",
                "--wrt", "U", "--wrt", "w")
    assert r.returncode == 0, r.stderr
    assert "‖g‖ = √(dL/dU² + dL/dw²)" in r.stdout and "g̃_U = s·dL/dU" in r.stdout and "(clipped)" in r.stdout
    bad = symbrnn("solve", "elman", "--values", "examples/cells/seed002_values.toml", "--clip", "0")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--clip" in bad.stderr
