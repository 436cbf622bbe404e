"""Drawing a gradient flow (rich at a fixed width, Markdown, LaTeX) and `symbrnn flow`, run in a real subprocess."""

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbrnn import render
from symbrnn.analysis import flow
from symbrnn.cells import elman, lstm
from symbrnn.render.flow import lags_shown, scientific, sparkline

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "examples" / "cells"
SEED002 = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}

SNAPSHOT = """\
───────────── Gradient flow of elman over T = 3 ──────────────
Bound
                              max|tanh'| = 1
                   ‖∂h_t/∂h_{t-1}‖ ≤ |U| = 0.5000
  ‖Π_{k steps} ∂h_j/∂h_{j-1}‖ ≤ 0.5000^k
Norms by lag
  lag ℓ   ‖J_T⋯J_{T-ℓ+1}‖   bound^ℓ   share of dL/dθ
  ────────────────────────────────────────────────────────────
  0                1.0000    1.0000           0.9339   ███████
  1                0.2581    0.5000           0.0554   ████▋
  2                0.0626    0.2500           0.0107   ██▏
  3                0.0199    0.1250           0.0000   ▏
  log‖Π‖ by lag 0..3: █▆▃▁
Verdict
  vanishing: ×0.2775 per step (fitted), ×0.0214 over 3 steps
Truncated BPTT against the full gradient
                              value
  ─────────────────────────────────
  truncate                        2
  relative error             0.0112
  cosine                     0.9999
  share lost (lags >= tau)   0.0107"""


def test_rich_snapshot_at_width_62():
    f = flow(elman(), 3, SEED002, truncate=2)
    assert render.to_text(render.renderable(f), width=62) == SNAPSHOT
    assert f"{f.norms[1]:.4f}" == "0.2581"  # the numbers themselves are checked against torch in test_flow


def test_the_rich_hook_draws_the_flow():
    f = flow(elman(), 3, SEED002)
    assert type(f.__rich__()).__name__ == "FlowView"
    assert f._repr_latex_().startswith("$$\n\\begin{aligned}\n\\max\\lvert \\operatorname{tanh}' \\rvert &= 1")


def test_markdown_and_latex_have_the_tables_without_the_chart():
    f = flow(elman(), 3, SEED002, truncate=("random", 0.5, 1))
    md, tex = render.to_markdown(f), render.to_latex(f, standalone=True)
    assert md.startswith("# Gradient flow of elman over T = 3\n\n## Bound\n")
    assert "| 1 | 0.2581 | 0.5000 | 0.0554 |" in md
    assert "| truncate | random, p = 0.5, seed 1 |" in md
    assert "█" not in md and "▁" not in md
    assert r"\lVert \partial h_t / \partial h_{t-1} \rVert \le \left|{U}\right| &= 0.5000" in tex
    assert tex.isascii() and tex.rstrip().endswith(r"\end{document}")


def test_a_gated_cell_says_no_simple_bound():
    cell = lstm(2, 2)
    rng = np.random.default_rng(0)
    v = {n: 0.5 * rng.normal(size=cell.shape(n)) for n in cell.names("param")}
    v |= {"x": rng.normal(size=(4, 2)), "y": rng.normal(size=(4, 2))}
    text = render.to_text(render.renderable(flow(cell, 4, v)), width=100)
    assert "lstm is a gated cell: the whole step Jacobian has no simple bound" in text
    assert "bound^ℓ" not in text and "‖Π diag(f)‖" in text


def test_number_formatting_never_underflows():
    assert scientific(math.log(2.5) - 700 * math.log(10)) == "2.500e-700"
    assert scientific(math.log(0.0012345)) == "0.0012"
    assert scientific(math.log(3.2e9), 3) == "3.20e9"
    assert scientific(math.log(9.9999e-5), 2) == "1.0e-4"
    assert lags_shown(10) == list(range(11))
    shown = lags_shown(10_000)
    assert shown[:6] == [0, 1, 2, 3, 4, 5] and shown[-1] == 10_000 and len(shown) < 30 and shown == sorted(set(shown))
    assert sparkline([0.0, -1.0, -2.0, -np.inf]) == "█▅▁ "


def symbrnn(*args, columns=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
    env["PYTHONHASHSEED"] = "0"
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "symbrnn", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_flow_command_prints_bound_table_chart_and_verdict():
    r = symbrnn("flow", "elman", "--values", CELLS / "seed002_values.toml", "--truncate", "2", columns=62)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.rstrip("\n") == SNAPSHOT


def test_flow_json_has_full_precision_and_no_nan():
    r = symbrnn("flow", "elman", "--values", CELLS / "flow_exploding.toml", "--truncate", "random:0.5:3", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "exploding" and doc["T"] == 12 and doc["states"] == ["h"]
    assert doc["bound"] == {"holds": True, "expr": "Abs(U)", "matrix": "U", "factor": "1", "value": 1.5,
                            "reason": None, "activations": {"tanh": "1"}, "gates": []}
    assert len(doc["norms"]) == 13 and doc["norms"][0] == 1.0
    assert all(n <= 1.5 ** k * (1 + 1e-12) for k, n in enumerate(doc["norms"]))
    assert doc["truncation"]["truncate"] == ["random", 0.5, 3] and doc["truncation"]["lost"] is None
    assert sum(doc["shares"]) == pytest.approx(1.0)


def test_flow_json_of_a_long_run_keeps_the_logarithm_of_an_underflowing_norm(tmp_path):
    T = 1200
    values = tmp_path / "long.json"
    values.write_text(json.dumps({**{k: SEED002[k] for k in "wUVbc"}, "x": [0.3] * T, "y": [0.1] * T}))
    r = symbrnn("flow", "elman", "--values", values, "--json", "--max-lag", "5")
    doc = json.loads(r.stdout)
    assert doc["norms"][-1] is None and doc["log10_norms"][-1] < -330 and doc["max_lag"] == 5
    assert len(doc["shares"]) == 7  # lags 0..5 and the rest


@pytest.mark.parametrize("bad, message", [
    ("0", "--truncate '0': give a whole number τ >= 1 or random:P:SEED (0 < P <= 1)"),
    ("random:2:0", "--truncate 'random:2:0': give a whole number τ >= 1"),
    ("random:0.5", "--truncate 'random:0.5': give"),
    ("fixed:1:2", "--truncate 'fixed:1:2': give"),
    ("two", "--truncate 'two': give"),
])
def test_a_bad_truncate_is_one_line_and_exit_two(bad, message):
    r = symbrnn("flow", "elman", "--values", CELLS / "seed002_values.toml", "--truncate", bad)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("symbrnn: error: ") and message in r.stderr


def test_flow_help_has_an_example():
    r = symbrnn("flow", "--help")
    example = "example: symbrnn flow elman --values examples/cells/seed002_values.toml --truncate 2"
    assert r.returncode == 0 and example in r.stdout


def test_readme_flow_outputs_are_what_the_command_prints():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```text\n\$ (symbrnn flow .*?)\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    for line, shown in blocks:
        r = symbrnn(*shlex.split(line)[1:], columns=100)
        assert r.returncode == 0, r.stderr
        assert r.stdout == shown, line


def test_output_is_identical_across_hash_seeds():
    args = [sys.executable, "-m", "symbrnn", "flow", str(CELLS / "lstm.toml"), "--values",
            str(CELLS / "seed000_values.json")]
    outs = []
    for seed in ("1", "999"):
        env = {**{k: v for k, v in os.environ.items() if k != "COLUMNS"}, "PYTHONHASHSEED": seed}
        outs.append(subprocess.run(args + ["--json"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120))
    assert outs[0].returncode == 0, outs[0].stderr
    assert json.loads(outs[0].stdout)["states"] == ["c[0]", "h[0]"]  # the file declares c, then h (shape 1)
    assert outs[0].stdout == outs[1].stdout
