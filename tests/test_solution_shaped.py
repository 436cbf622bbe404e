"""Worked solutions of shaped cells: seed 000's LSTM against its exact reference, seed 004's softmax RNN
against an independent numpy forward and backward pass, and optimizers on arrays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import load_reference
from symbrnn import SpecError
from symbrnn.cells import elman, elman_softmax, lstm_gomez
from symbrnn.numeric.optimizers import SGD, Adam
from symbrnn.numeric.solution import solve, train
from symbrnn.render import WorkedSolution, to_latex, to_markdown
from symbrnn.render.doc import to_text

ROOT = Path(__file__).resolve().parents[1]
SEED000 = json.loads((ROOT / "examples/cells/seed000_values.json").read_text())
GATES = ("a", "i", "f", "o")


@pytest.fixture(scope="module")
def reference():
    return load_reference("seed000_lstm.json")


@pytest.fixture(scope="module")
def seed000():
    return WorkedSolution(lstm_gomez(), 2, SEED000, digits=6)


def _shown(x: float) -> str:
    return f"{x + 0.0:.6f}"  # -0.0 is shown as 0


def test_seed000_numbers_are_the_references(seed000, reference):
    """Every δ of seed 000 (its step t is step t + 1 here), the gradients and the update, to 1e-12."""
    ev = seed000.first
    for t_notes, back in reference["backward_per_step"].items():
        t = int(t_notes.split("=")[1]) + 1
        delta = {term.quantity: term for term in ev.terms if term.kind == "delta" and term.t == t}
        assert delta["h"].value == pytest.approx([back["delta_out"]], abs=1e-12)       # δout
        assert delta["c"].value == pytest.approx([back["delta_state"]], abs=1e-12)     # δstate
        assert delta["z"].value == pytest.approx(back["delta_gates"], abs=1e-12)       # δa, δi, δf, δo
        assert delta["x"].value == pytest.approx(back["delta_x"], abs=1e-12)           # Wᵀ·δgates
        if t > 1:  # the δ passed back to the previous step: Uᵀ·δgates, a part of that step's δh
            (passed,) = [e for label, e in ev.select("delta", "h", t=t - 1)[0].addends if label != "explicit"]
            assert ev.number(passed) == pytest.approx([back["Delta_out_prev"]], abs=1e-12)
    grads = reference["gradients"]
    assert seed000.gradients["W"] == pytest.approx(np.array(grads["dW"]), abs=1e-12)
    assert seed000.gradients["U"].ravel() == pytest.approx(grads["dU"], abs=1e-12)
    assert seed000.gradients["b"] == pytest.approx(grads["db"], abs=1e-12)
    new = reference["updated_parameters_exact"]
    for k, gate in enumerate(GATES):
        assert seed000.updated["W"][k] == pytest.approx(new[f"W{gate}"], abs=1e-12)
        assert seed000.updated["U"][k] == pytest.approx(new[f"U{gate}"], abs=1e-12)
        assert seed000.updated["b"][k] == pytest.approx(new[f"b{gate}"][0], abs=1e-12)
    assert ev.loss == pytest.approx(reference["total_loss_E"], abs=1e-15)


def test_seed000_text_shows_every_reference_number_at_its_digits(seed000, reference):
    text = to_text(seed000.doc, width=100)
    for step in reference["forward"]:
        for key in ("a", "i", "f", "o", "state", "out"):
            assert _shown(step[key]) in text, (step["t"], key)
        for v in step["preact"]:
            assert _shown(v) in text
        assert _shown(step["loss_t"]) in text
    for t_notes, back in reference["backward_per_step"].items():
        # the δ passed back from the notes' step 0 is dL/dh_0: a term only of a derivation with respect to h_0
        keys = ("delta_out", "delta_state", "Delta") + (("Delta_out_prev",) if t_notes != "t=0" else ())
        for key in keys:
            assert _shown(back[key]) in text, key
        for v in back["delta_gates"] + back["delta_x"]:
            assert _shown(v) in text
    for v in np.ravel(reference["gradients"]["dW"]).tolist() + reference["gradients"]["db"]:
        assert _shown(v) in text
    assert _shown(reference["total_loss_E"]) in text


def test_seed000_reads_in_the_students_order(seed000):
    titles = [s.title for s in seed000.doc.sections]
    assert titles == ["Problem", "Forward pass", "Loss", "Backward pass (reverse mode)",
                      "Gradient with respect to W", "Gradient with respect to U", "Gradient with respect to b",
                      "Update"]
    text = to_text(seed000.doc, width=100)
    assert "Steps are numbered t = 1, ..., T" in text and "seed 000 does" in text
    order = [text.index(s) for s in ("δh_2 (1,) = h_2 - y_2", "δc_2 (1,)", "δz_2[0:1] = δa_2⊙(1 - a_2²)",
                                      "δx_2 (2,) = Wᵀ·δz_2", "δh_1 (1,) = h_1 - y_1", "+ Uᵀ·δz_2", "δz_1[3:4]",
                                      "dL/dW[1] (4, 2) = δz_1·x_1ᵀ", "W ← W - 0.1·dL/dW")]
    assert order == sorted(order)
    for gate in GATES:
        assert f"(pre-activation of {gate}_2)" in text
    assert "z_1 (4,) = W·x_1 + U·h_0 + b = [1.150000, 3.200000, 1.750000, 1.500000]" in text


def test_seed000_naming(reference):
    ws = WorkedSolution(lstm_gomez(naming="seed000"), 2, SEED000, digits=6)
    text = to_text(ws.doc, width=100)
    assert "state_t (1,) = a_t⊙i_t + f_t⊙state_{t-1}" in text and "δout_2 (1,) = out_2 - y_2" in text
    assert "δstate_1" in text and "c_t" not in text
    assert ws.gradients["W"] == pytest.approx(np.array(reference["gradients"]["dW"]), abs=1e-12)
    with pytest.raises(SpecError, match="naming='notes'"):
        lstm_gomez(naming="notes")


def _softmax_rnn(values, T):
    """An independent numpy forward and backward pass of elman_softmax: dL/dV = Σ_t (ŷ_t − y_t)·h_tᵀ."""
    w, U, b, V, c = (np.asarray(values[k], float) for k in ("w", "U", "b", "V", "c"))
    h, hs, yhats, loss = np.zeros(U.shape[0]), [], [], 0.0
    for t in range(T):
        h = np.tanh(w @ values["x"][t] + U @ h + b)
        z = V @ h + c
        p = np.exp(z - z.max())
        p /= p.sum()
        hs.append(h)
        yhats.append(p)
        loss -= float(values["y"][t] @ np.log(p))
    dV = sum(np.outer(yhats[t] - values["y"][t], hs[t]) for t in range(T))
    return loss, yhats, dV


def test_seed004_softmax_terms_are_labelled_and_right():
    rng = np.random.default_rng(40)
    T = 3
    values = {"w": rng.normal(size=(2, 2)), "U": rng.normal(size=(2, 2)), "b": rng.normal(size=2),
              "V": rng.normal(size=(3, 2)), "c": rng.normal(size=3), "x": rng.normal(size=(T, 2)),
              "y": np.eye(3)[[2, 0, 1]]}
    ws = WorkedSolution(elman_softmax(), T, values, wrt=["V"], digits=6)
    loss, yhats, dV = _softmax_rnn(values, T)
    assert ws.first.loss == pytest.approx(loss, rel=1e-12)
    assert ws.gradients["V"] == pytest.approx(dV, abs=1e-12)
    for t in range(1, T + 1):
        (dz,) = ws.first.select("delta", "z", t=t)
        assert dz.value == pytest.approx(yhats[t - 1] - values["y"][t - 1], abs=1e-12)
    text = to_text(ws.doc, width=100)
    for t in range(1, T + 1):
        assert f"δz_{t} (3,) = yhat_{t} - y_{t}" in text and f"(explicit: ∂L_{t}/∂z_{t})" in text
        assert f"dL/dV[{t}] (3, 2) = δz_{t}·h_{t}ᵀ" in text
    assert "dL/dV (3, 2) = dL/dV[1] + dL/dV[2] + dL/dV[3]" in text
    wide = to_text(ws.doc, width=200)  # seed 004's closed form: dL/dV = Σ_t (ŷ_t − y_t)·h_tᵀ
    assert "dL/dV = Σ_{t=1..T} δz_t·h_tᵀ = Σ_{t=1..T} (yhat_t - y_t)·h_tᵀ" in wide


def test_adam_and_sgd_on_arrays():
    g = {"W": np.array([[1.0, -2.0], [0.5, 0.0]]), "b": np.array([3.0, -1.0])}
    theta = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    adam = Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)
    new, state = adam.step(theta, g)
    new2, state2 = adam.step(new, g, state)
    for k in theta:  # by hand, entry by entry
        V1, S1 = 0.2 * g[k], 0.01 * g[k] ** 2
        step1 = theta[k] - 0.01 * (V1 / 0.2) / (np.sqrt(S1 / 0.01) + 1e-6)
        V2, S2 = 0.8 * V1 + 0.2 * g[k], 0.99 * S1 + 0.01 * g[k] ** 2
        step2 = step1 - 0.01 * (V2 / (1 - 0.8 ** 2)) / (np.sqrt(S2 / (1 - 0.99 ** 2)) + 1e-6)
        assert new[k] == pytest.approx(step1, abs=1e-15) and new2[k] == pytest.approx(step2, abs=1e-15)
        assert state2.V[k] == pytest.approx(V2) and state2.S[k] == pytest.approx(S2)
    assert SGD(0.5).step(theta, g)["W"] == pytest.approx(theta["W"] - 0.5 * g["W"])
    with pytest.raises(ValueError, match="has shape"):
        adam.step({"W": np.ones(2)}, {"W": np.ones(3)})


def test_train_is_repeated_solving():
    values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    adam = Adam(lr=0.05)
    steps = train(elman(), 3, values, optimizer=adam, updates=4)
    now, state = dict(values), None
    for step in steps:  # each step from the last one's params, the moments carried
        s = solve(elman(), 3, now, optimizer=adam, adam_state=state)
        assert step.loss == pytest.approx(s.first.loss, rel=1e-12)
        assert step.updated == pytest.approx(s.updated, rel=1e-12)
        state = adam.step(s.params, s.gradients, state)[1]
        now = {**now, **s.updated}
    shaped = train(lstm_gomez(), 2, SEED000, updates=2)
    assert shaped[1].params["W"] == pytest.approx(shaped[0].updated["W"])
    assert shaped[1].loss < shaped[0].loss
    with pytest.raises(SpecError, match="updates=0"):
        train(elman(), 3, values, updates=0)


def test_markdown_and_latex_of_a_shaped_solution(tmp_path):
    ws = WorkedSolution(lstm_gomez(), 2, SEED000, optimizer=Adam(lr=0.01), updates=2)
    md = to_markdown(ws)
    assert "## Backward pass (reverse mode)" in md and "## Update steps" in md
    latex = to_latex(ws, standalone=True)
    assert r"\begin{bmatrix}" in latex and "δ" not in latex.split(r"\begin{document}")[1]
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    (tmp_path / "s.tex").write_text(latex)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "s.tex"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Overfull" not in (tmp_path / "s.log").read_text(errors="replace")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "symbrnn", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_solve_shaped_and_adam_options():
    run = _cli("solve", "lstm_gomez", "--naming", "seed000", "--values", "examples/cells/seed000_values.json",
               "--optimizer", "adam", "--lr", "0.01", "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-6",
               "--updates", "3", "--digits", "6")
    assert run.returncode == 0, run.stderr
    assert "δstate_2" in run.stdout and "Step k = 3: L =" in run.stdout
    assert "Adam with α = 0.01, β1 = 0.8, β2 = 0.99, ε = 1e-06" in run.stdout
    steps = train(lstm_gomez(), 2, SEED000, optimizer=Adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6), updates=3)
    assert f"Step k = 3: L = {steps[2].loss:.6f} before it." in run.stdout
    for bad, says in ((["--beta1", "1.5"], "must be in [0, 1)"), (["--eps", "-1"], "positive finite"),
                      (["--updates", "0"], "must be at least 1"), (["--updates", "20000"], "from 1 to 10000")):
        run = _cli("solve", "elman", "--values", "examples/cells/seed002_values.toml", *bad)
        assert run.returncode == 2 and says in run.stderr and "Traceback" not in run.stderr
    run = _cli("solve", "lstm_gomez", "--values", "examples/cells/seed000_values.json", "--mode", "forward")
    assert run.returncode == 2 and "reverse mode" in run.stderr
    run = _cli("solve", "elman", "--naming", "seed000", "--values", "examples/cells/seed002_values.toml")
    assert run.returncode == 2 and "has no --naming" in run.stderr


def test_seed000_example_script_writes_the_notes_corrected(tmp_path, reference):
    subprocess.run([sys.executable, "examples/seed000_worked_solution.py", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    md = (tmp_path / "seed000_worked_solution.md").read_text(encoding="utf-8")
    tex = (tmp_path / "seed000_worked_solution.tex").read_text(encoding="utf-8")
    assert md.startswith("# Seed 000: an LSTM, input 2, hidden 1, T = 2, worked solution\n")
    assert "{state}_{t} &= {a}_{t} \\odot {i}_{t} + {f}_{t} \\odot {state}_{t-1}" in md
    for v in reference["gradients"]["db"]:
        assert _shown(v) in md and _shown(v) in tex
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")


def test_jupyter_shows_a_worked_solution_as_markdown(seed000):
    assert seed000._repr_markdown_() == to_markdown(seed000)
    assert seed000._repr_markdown_().startswith("# Worked solution: lstm_gomez, T = 2")
