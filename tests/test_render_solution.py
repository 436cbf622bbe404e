"""Worked solutions: every number equals the engine's Evaluation and, for seed 002, the reference;
the update (SGD, Adam with bias correction) against an independent implementation; snapshots of the
seed 002 solution in the terminal and as Markdown (reviewed by eye); the example script."""

import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cellzoo import elman, elman_values, gated, gated_values
from rich.console import Console

from conftest import load_reference
from symbrnn import gradients
from symbrnn.render import SGD, Adam, AdamState, Doc, Equations, WorkedSolution, to_latex, to_markdown
from symbrnn.render.optimizers import explain
from symbrnn.render.text import number

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots"


def check_snapshot(name: str, text: str) -> None:
    """As in test_render_rich: SYMBRNN_UPDATE_SNAPSHOTS=1 rewrites, then read the file."""
    path = SNAPSHOTS / name
    if os.environ.get("SYMBRNN_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with SYMBRNN_UPDATE_SNAPSHOTS=1 and review it by eye"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def render(obj, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(obj)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"


@pytest.fixture(scope="module")
def ref():
    return load_reference("seed002_elman.json")


@pytest.fixture(scope="module")
def seed002(ref):
    values = {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}
    return WorkedSolution(elman(), 3, values, digits=6, optimizer=SGD(ref["data"]["eta"]))


def test_seed002_gradients_and_update_equal_the_reference(ref, seed002):
    assert set(seed002.gradients) == set(ref["summed_gradients"])
    for name, g in seed002.gradients.items():
        assert g == pytest.approx(ref["summed_gradients"][name], abs=1e-12)
        assert seed002.updated[name] == pytest.approx(ref["updated_parameters"][name], abs=1e-12)


def _reference_numbers(ref):
    for row in ref["forward"]:
        yield from ((f"{k}_{row['t']}", row[k]) for k in ("a", "h", "yhat", "L"))
    yield "L", ref["L_total"]
    for step, quantities in ref["hidden_state_derivatives"].items():
        yield from ((f"{step} {k}", v) for k, v in quantities.items())
    for step, quantities in ref["per_step_gradients"].items():
        yield from ((f"{step} {k}", v) for k, v in quantities.items())
    yield from ref["summed_gradients"].items()
    yield from ((f"{k} updated", v) for k, v in ref["updated_parameters"].items())


def test_seed002_solution_shows_every_number_of_the_reference(ref, seed002):
    md = to_markdown(seed002)
    shown = set(re.findall(r"-?\d+\.\d{6}", md))
    missing = [(what, v) for what, v in _reference_numbers(ref) if number(v, 6) not in shown]
    assert not missing, missing


def _rows(solution):
    for section in solution.doc.sections:
        for block in section.blocks:
            if isinstance(block, Equations):
                yield from block.rows


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("make, values", [(elman, elman_values), (gated, gated_values)])
def test_every_number_shown_is_the_engines(make, values, mode):
    """Each equation whose left side is a term or a forward value ends with that term's number."""
    s = WorkedSolution(make(), 3, values(3), digits=5, mode=mode)
    known = {}
    for ev in s.evaluations.values():
        known.update({str(t.symbol): t.value for t in ev.terms})
        known.update(ev.forward)
    checked = 0
    for row in _rows(s):
        lhs = row.parts[0].text
        if row.op == "=" and lhs in known and len(row.parts) > 2:
            assert row.parts[-1].text == number(known[lhs], 5), (lhs, row.parts[-1].text, known[lhs])
            checked += 1
    assert checked > 40
    assert s.gradients == pytest.approx(gradients(make(), 3, values(3)), abs=1e-13)


def test_reverse_mode_solution_has_the_deltas_and_the_same_gradients(seed002, ref):
    values = {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}
    r = WorkedSolution(elman(), 3, values, digits=6, mode="reverse")
    assert r.gradients == pytest.approx(seed002.gradients, abs=1e-14)
    text = render(r)
    assert "Deltas (reverse mode)" in text
    assert "δh_t = ∂L_t/∂h_t + ∂h_{t+1}/∂h_t·δh_{t+1}" in text


def _adam_reference(theta, g, k, V, S, lr, b1, b2, eps, inside):
    """Adam (Kingma and Ba, 2015, Algorithm 1), written independently of the renderer."""
    V = b1 * V + (1 - b1) * g
    S = b2 * S + (1 - b2) * g ** 2
    v_hat, s_hat = V / (1 - b1 ** k), S / (1 - b2 ** k)
    step = v_hat / math.sqrt(s_hat + eps) if inside else v_hat / (math.sqrt(s_hat) + eps)
    return theta - lr * step, V, S


@pytest.mark.parametrize("inside", [False, True])
def test_adam_two_steps_with_bias_correction(inside):
    adam = Adam(lr=0.05, beta1=0.8, beta2=0.9, eps=1e-3, eps_inside_sqrt=inside)
    params, grads1, grads2 = {"w": 0.5, "U": -0.2}, {"w": 0.3, "U": -0.01}, {"w": -0.1, "U": 0.02}
    new1, state1 = adam.step(params, grads1)
    new2, state2 = adam.step(new1, grads2, state1)
    for name in params:
        r1, V1, S1 = _adam_reference(params[name], grads1[name], 1, 0, 0, 0.05, 0.8, 0.9, 1e-3, inside)
        r2, V2, S2 = _adam_reference(r1, grads2[name], 2, V1, S1, 0.05, 0.8, 0.9, 1e-3, inside)
        assert new1[name] == pytest.approx(r1, abs=1e-15)
        assert new2[name] == pytest.approx(r2, abs=1e-15)
        assert (state2.V[name], state2.S[name]) == pytest.approx((V2, S2), abs=1e-15)
    assert state2.k == 2
    rows, value = explain(adam, "w", new1["w"], grads2["w"], 4, state1)
    assert value == pytest.approx(new2["w"], abs=1e-15)
    assert [r.label for r in rows] == ["first moment", "second moment", "bias correction", "bias correction", "update"]
    assert rows[0].parts[0].text == "V_2[w]" and rows[2].parts[1].text.endswith("/(1 - 0.8^2)")


def test_adam_worked_solution_continues_from_a_state(ref):
    values = {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}
    state = AdamState(k=3, V={"U": 0.01}, S={"U": 0.002})
    s = WorkedSolution(elman(), 3, values, wrt=["U"], optimizer=Adam(lr=0.1), adam_state=state)
    g = ref["summed_gradients"]["U"]
    expected, _, _ = _adam_reference(0.5, g, 4, 0.01, 0.002, 0.1, 0.9, 0.999, 1e-8, False)
    assert s.updated["U"] == pytest.approx(expected, abs=1e-12)
    check_snapshot("solution_seed002_adam_U.txt", render(Doc("", (s.doc.sections[-1],))))


def test_seed002_solution_in_the_terminal(seed002, ref):
    values = {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}
    s = WorkedSolution(elman(), 3, values, title="Seed 002: scalar Elman RNN, T = 3, worked solution")
    check_snapshot("solution_seed002.txt", render(s))


def test_seed002_solution_as_markdown(ref):
    values = {**ref["data"]["params"], "x": ref["data"]["x"], "y": ref["data"]["y"]}
    s = WorkedSolution(elman(), 3, values, title="Seed 002: scalar Elman RNN, T = 3, worked solution")
    md = to_markdown(s)
    assert md.startswith("# Seed 002: scalar Elman RNN, T = 3, worked solution\n")
    check_snapshot("solution_seed002.md", md)


def test_example_script_writes_the_markdown_and_the_latex(tmp_path):
    subprocess.run([sys.executable, "examples/seed002_worked_solution.py", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import seed002_worked_solution as example
    finally:
        sys.path.remove(str(ROOT / "examples"))
    s = example.solution()
    assert (tmp_path / "seed002_worked_solution.md").read_text(encoding="utf-8") == to_markdown(s)
    tex = (tmp_path / "seed002_worked_solution.tex").read_text(encoding="utf-8")
    assert tex == to_latex(s, standalone=True)
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
