"""The command line, run in a real subprocess: every command, exit codes, reference numbers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import load_reference
from symbrnn.cells import BUILTIN

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "examples" / "cells"
VALUES = CELLS / "seed002_values.toml"


def symbrnn(*args, cwd=None, seed="0"):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
    env["PYTHONHASHSEED"] = seed
    return subprocess.run([sys.executable, "-m", "symbrnn", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_cells_lists_the_builtins():
    r = symbrnn("cells")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("elman            scalar Elman RNN (seed 002)")  # names padded to the longest
    assert [line.split()[0] for line in r.stdout.splitlines() if not line.startswith(" ")] == sorted(BUILTIN)
    assert max(map(len, r.stdout.splitlines())) <= 80  # piped with no COLUMNS: rich's default width


@pytest.mark.parametrize("cell", ["elman", str(CELLS / "elman.toml")])
def test_show_prints_equations_and_graph(cell):
    r = symbrnn("show", cell)
    assert r.returncode == 0, r.stderr
    lines = [line.strip() for line in r.stdout.splitlines()]
    assert "h_t = tanh(a_t)" in lines and "states: h (h_0 = 0)" in lines
    assert "h_{t-1} → a_t   (previous step)" in lines and "h_t → yhat_t" in lines


@pytest.mark.parametrize("mode, line", [
    ("forward", "total  dh_3/dU = ∂h_3/∂U + ∂h_3/∂h_2*dh_2/dU"),
    ("reverse", "delta  δh_2 = ∂L_2/∂h_2 + ∂h_3/∂h_2*δh_3"),
])
def test_derive_prints_every_term(mode, line):
    r = symbrnn("derive", "elman", "--steps", 3, "--wrt", "U", "--mode", mode, "--form", "terms")
    assert r.returncode == 0, r.stderr
    assert line in [ln.strip() for ln in r.stdout.splitlines()]
    assert r.stdout.splitlines()[-1].split()[:2] == ["result", "dL/dU"]


def test_derive_expanded_is_refused_for_large_T():
    r = symbrnn("derive", "elman", "--steps", 40, "--wrt", "U", "--form", "expanded")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "the expanded form grows fast with T" in r.stderr
    assert "has 820 products at T=40" in r.stderr  # counted from the recursion, never built
    small = symbrnn("derive", "elman", "--steps", 1, "--wrt", "U", "--form", "expanded")
    assert small.returncode == 0 and small.stdout.startswith("dL/dU = ")


@pytest.mark.parametrize("cell", ["elman", str(CELLS / "elman.toml")])
def test_eval_json_gives_the_seed002_reference_numbers(cell):
    ref = load_reference("seed002_elman.json")
    r = symbrnn("eval", cell, "--values", VALUES, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["T"] == 3
    assert doc["loss"] == pytest.approx(ref["L_total"], abs=1e-12)
    for name, g in ref["summed_gradients"].items():
        assert doc["gradients"][name] == pytest.approx(g, abs=1e-12)
    for row in ref["forward"]:
        for q in ("a", "h", "yhat", "L"):
            assert doc["forward"][f"{q}_{row['t']}"] == pytest.approx(row[q], abs=1e-12)
    for t in (1, 2, 3):
        r_t = ref["hidden_state_derivatives"][f"t={t}"]
        by = {(term["kind"], term["quantity"], term["t"]): term["value"] for term in doc["terms"]["U"]}
        assert by["explicit", "h", t] == pytest.approx(r_t[f"dh{t}_dU_explicit"], abs=1e-12)
        assert by["implicit", "h", t] == pytest.approx(r_t[f"dh{t}_dU_implicit"], abs=1e-12)
        assert by["total", "L", t] == pytest.approx(ref["per_step_gradients"][f"t={t}"]["U"], abs=1e-12)


def test_eval_text_and_digits():
    r = symbrnn("eval", "elman", "--values", VALUES, "--wrt", "U", "--digits", "4")
    assert r.returncode == 0, r.stderr
    assert "  dL/dU = -0.0770" in r.stdout  # 4 decimals, as solve shows them
    assert "t=1  x=1.0000  y=0.5000  a=0.7000  h=0.6044  yhat=0.4022  L=0.0048" in r.stdout


def test_check_grad_agrees_and_exits_zero():
    r = symbrnn("check-grad", "elman", "--values", VALUES)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].startswith("ok:")


def test_check_grad_exits_one_on_a_mismatch(tmp_path):
    """A wrong engine is simulated by a sitecustomize that shifts every derivative."""
    (tmp_path / "sitecustomize.py").write_text(
        "import symbrnn.testing as t\n"
        "_d = t.derive\n"
        "class _Off:\n"
        "    def __init__(self, d): self.d = d\n"
        "    def value(self, v): return self.d.value(v) + 1e-6\n"
        "t.derive = lambda *a, **k: _Off(_d(*a, **k))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "symbrnn", "check-grad", "elman", "--values", str(VALUES)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "MISMATCH" in r.stdout


def test_steps_default_to_the_values_length_and_can_be_checked(tmp_path):
    r = symbrnn("eval", "elman", "--values", VALUES, "--steps", 2)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"symbrnn: error: {VALUES}: input 'x' has 3 values but T=2; give exactly one per step")


@pytest.mark.parametrize("args, message", [
    (["eval", "nosuchcell", "--values", VALUES],
     "unknown cell 'nosuchcell': use a built-in cell (elman, elman_softmax, gru, lstm, lstm_gomez, lstm_step_batch,"
     " stacked)"),
    (["eval", "elman", "--values", "missing.toml"], "missing.toml: no such values file"),
    (["derive", "elman", "--steps", 3, "--wrt", "x"], "wrt=x: 'x' is an input of cell 'elman'"),
    (["show", "missing.toml"], "missing.toml: no such cell file"),
])
def test_bad_input_is_one_line_and_exit_two(args, message, tmp_path):
    r = symbrnn(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("symbrnn: error: ")
    assert message in r.stderr


def test_every_command_has_help_with_an_example():
    for command in ("cells", "show", "derive", "eval", "check-grad"):
        r = symbrnn(command, "--help")
        assert r.returncode == 0
        assert f"example: symbrnn {command}" in r.stdout


def test_output_is_identical_across_hash_seeds():
    for args in (["derive", "elman", "--steps", 3, "--wrt", "b", "--mode", "reverse"],
                 ["eval", str(CELLS / "gated.toml"), "--values", CELLS / "gated_values.json", "--json"],
                 ["show", str(CELLS / "gated.toml")]):
        a, b = symbrnn(*args, seed="1"), symbrnn(*args, seed="999")
        assert a.returncode == 0, a.stderr
        assert a.stdout == b.stdout


def test_the_readme_command_lines_run():
    import re
    import shlex

    text = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S) if b.lstrip().startswith("symbrnn ")]
    lines = [ln.split("  #")[0].strip() for block in blocks for ln in block.splitlines() if ln.strip()]
    assert len(lines) >= 9
    for line in lines:
        args = shlex.split(line)
        assert args[0] == "symbrnn"
        r = symbrnn(*args[1:], cwd=ROOT)
        assert r.returncode == 0, (line, r.stderr)
        assert r.stdout


def test_eval_of_a_cell_without_params(tmp_path):
    cell = tmp_path / "free.toml"
    cell.write_text('inputs = ["x"]\n[states]\nh = { init = 0.5, update = "tanh(x + h.prev)" }\n[loss]\nL = "h**2"\n')
    values = tmp_path / "v.json"
    values.write_text('{"x": [0.1, -0.2]}')
    r = symbrnn("eval", cell, "--values", values, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["gradients"] == {} and doc["forward"]["h_0"] == 0.5
    assert doc["loss"] == pytest.approx(sum(v for k, v in doc["forward"].items() if k.startswith("L_")), rel=1e-15)


def test_an_internal_error_exits_three_not_one(tmp_path):
    """Exit 1 means 'gradients disagree' for check-grad; a bug must not look like that."""
    (tmp_path / "sitecustomize.py").write_text(
        "import symbrnn.testing as t\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('simulated bug')\n"
        "t.check_gradients = boom\n"
        "import symbrnn.cli as c\n"
        "c.check_gradients = boom\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "symbrnn", "check-grad", "elman", "--values", str(VALUES)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 3
    assert r.stderr.count("\n") == 1 and "internal error" in r.stderr and "RuntimeError: simulated bug" in r.stderr


@pytest.mark.parametrize("cell", ["lstm_gomez", CELLS / "lstm.toml"])
def test_eval_json_gives_the_seed000_reference_numbers(cell):
    ref = load_reference("seed000_lstm.json")
    r = symbrnn("eval", cell, "--values", CELLS / "seed000_values.json", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["loss"] == pytest.approx(ref["total_loss_E"], abs=1e-12)
    for name in ("W", "U", "b"):
        got = np.array(doc["gradients"][name]).reshape(-1)
        want = np.array(ref["gradients"]["d" + name]).reshape(-1)
        assert np.abs(got - want).max() < 1e-12, name
    for t, row in enumerate(ref["forward"], start=1):  # the notes count steps from 0
        assert doc["forward"][f"h_{t}"] == pytest.approx([row["out"]], abs=1e-12)
        assert doc["forward"][f"c_{t}"] == pytest.approx([row["state"]], abs=1e-12)


@pytest.mark.parametrize("form, first", [
    ("abstract", "dL/dU = dL_1/dU + dL_2/dU   (elman, T = 2, forward mode)"),
    ("concrete", "∂h_1/∂U = h_0*(1 - tanh(a_1)**2)"),
    ("generic", "dL/dU = Σ_{t=1..T} ∂L_t/∂h_t·Σ_{k=1..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂U"),
    ("expanded", "dL/dU = ∂L_1/∂h_1·∂h_1/∂U + ∂L_2/∂h_2·∂h_2/∂U + ∂L_2/∂h_2·∂h_2/∂h_1·∂h_1/∂U"),
    ("terms", "# dL/dU of cell 'elman', T = 2, forward mode: every term, in evaluation order"),
])
def test_derive_every_form(form, first):
    r = symbrnn("derive", "elman", "--steps", 2, "--wrt", "U", "--form", form)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == first
    assert all(line == line.rstrip() for line in r.stdout.splitlines())


@pytest.mark.parametrize("fmt, marker", [("markdown", "# dL/dU for 'elman'"), ("latex", "\\section*")])
def test_derive_markdown_and_latex(fmt, marker):
    r = symbrnn("derive", "elman", "--steps", 3, "--wrt", "U", "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(marker)


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex"])
def test_eval_rendered_formats_show_the_reference_numbers(fmt):
    r = symbrnn("eval", "elman", "--values", VALUES, "--wrt", "U", "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert "-0.076971" in r.stdout  # dL/dU of seed 002, 6 digits
    assert "0.445993" in r.stdout  # dh_3/dU


def test_solve_writes_the_worked_solution_in_every_format(tmp_path):
    ref = load_reference("seed002_elman.json")
    r = symbrnn("solve", "elman", "--values", VALUES, "--digits", 6)
    assert r.returncode == 0, r.stderr
    for name, value in ref["updated_parameters"].items():
        assert f"{value:.6f}" in r.stdout, name  # the SGD update, eta = 0.1
    md = tmp_path / "s.md"
    assert symbrnn("solve", "elman", "--values", VALUES, "--format", "markdown", "-o", md).returncode == 0
    assert md.read_text().startswith("# ") and "-0.0770" in md.read_text()
    tex = tmp_path / "s.tex"
    r = symbrnn("solve", "elman", "--values", VALUES, "--optimizer", "adam", "--lr", "0.01", "--format", "latex",
                "-o", tex)
    assert r.returncode == 0 and r.stdout == ""
    text = tex.read_text()
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}") and "Adam" in text


def test_solve_writes_vector_cells_in_reverse_mode():
    r = symbrnn("solve", "lstm_gomez", "--values", CELLS / "seed000_values.json")
    assert r.returncode == 0 and r.stderr == ""
    assert "Backward pass (reverse mode)" in r.stdout and "dL/dW[2] (4, 2) = δz_2·x_2ᵀ" in r.stdout


def test_size_options_of_builtin_cells():
    r = symbrnn("show", "lstm", "--input-size", 2, "--hidden-size", 3)
    assert r.returncode == 0, r.stderr
    assert "params: W_ih (12, 2), W_hh (12, 3), b_ih (12,), b_hh (12,)" in r.stdout
    r = symbrnn("derive", "elman", "--hidden-size", 2, "--steps", 2, "--wrt", "U[1,0]", "--form", "terms")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].split()[:2] == ["result", "dL/dU[1,0]"]


@pytest.mark.parametrize("args, message", [
    (["show", "elman", "--classes", 3], "cell 'elman' has no --classes (it takes --input-size, --hidden-size"),
    (["show", str(CELLS / "elman.toml"), "--hidden-size", 2], "size options are for built-in cells"),
])
def test_size_option_errors(args, message):
    r = symbrnn(*args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr


def test_colour_in_a_terminal_plain_when_piped():
    plain = symbrnn("derive", "elman", "--steps", 2, "--wrt", "U")
    assert plain.returncode == 0 and "\x1b[" not in plain.stdout  # piped: no escape codes
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    coloured = subprocess.run([sys.executable, "-m", "symbrnn", "derive", "elman", "--steps", "2", "--wrt", "U"],
                              capture_output=True, text=True, env={**env, "FORCE_COLOR": "1"}, timeout=120)
    assert "\x1b[32mexplicit" in coloured.stdout and "\x1b[35mimplicit" in coloured.stdout  # green, magenta
    no_colour = subprocess.run([sys.executable, "-m", "symbrnn", "derive", "elman", "--steps", "2", "--wrt", "U"],
                               capture_output=True, text=True, env={**env, "FORCE_COLOR": "1", "NO_COLOR": "1"},
                               timeout=120)
    assert "\x1b[32m" not in no_colour.stdout and "\x1b[35m" not in no_colour.stdout


def test_o_writes_the_output_to_a_file_and_latex_standalone_is_a_document(tmp_path):
    r = symbrnn("derive", "elman", "--steps", 2, "--wrt", "U", "--format", "latex", "-o", tmp_path / "d.tex")
    assert r.returncode == 0 and r.stdout == ""
    text = (tmp_path / "d.tex").read_text()
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    r = symbrnn("derive", "elman", "--steps", 2, "--wrt", "U", "--format", "latex", "--standalone")
    assert r.stdout == text
    fragment = symbrnn("derive", "elman", "--steps", 2, "--wrt", "U", "--format", "latex").stdout
    assert fragment.startswith("\\section*") and fragment in text
    r = symbrnn("eval", "elman", "--values", CELLS / "seed002_values.toml", "-o", tmp_path / "e.txt")
    assert r.returncode == 0 and r.stdout == "" and "gradients:" in (tmp_path / "e.txt").read_text()
    r = symbrnn("show", "elman", "-o", tmp_path / "missing" / "x.txt")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot write it" in r.stderr


def test_show_lists_components_only_when_asked():
    plain = symbrnn("show", "lstm_gomez")
    assert plain.returncode == 0 and "z_t (4,) = W·x_t + U·h_{t-1} + b" in plain.stdout and "W[0,0]" not in plain.stdout
    r = symbrnn("show", "lstm_gomez", "--components")
    assert r.returncode == 0, r.stderr
    assert "z[0]_t = U[0,0]·h[0]_{t-1} + W[0,0]·x[0]_t + W[0,1]·x[1]_t + b[0]" in r.stdout
    r = symbrnn("show", "lstm", "--hidden-size", "300", "--components")
    assert r.returncode == 2 and "368,103 components" in r.stderr and r.stderr.count("\n") == 1


def test_eval_of_a_shaped_cell_without_wrt_is_reverse_mode_with_the_forward_modes_numbers(tmp_path):
    """Every gradient of an LSTM in one reverse sweep by default (forward mode: one derivation per component)."""
    values = tmp_path / "v.toml"
    values.write_text(symbrnn("values", "lstm", "--random", "--steps", "2").stdout)
    default = json.loads(symbrnn("eval", "lstm", "--values", values, "--json").stdout)
    forward = json.loads(symbrnn("eval", "lstm", "--values", values, "--json", "--mode", "forward").stdout)
    assert (default["mode"], forward["mode"]) == ("reverse", "forward")
    assert default["gradients"].keys() == forward["gradients"].keys() and default["gradients"]
    for name, g in default["gradients"].items():
        np.testing.assert_allclose(g, forward["gradients"][name], rtol=1e-12, atol=1e-15, err_msg=name)
