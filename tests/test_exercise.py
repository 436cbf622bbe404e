"""symbrnn exercise: hand-workable values, the problem sheet, and an answer key that check marks all right.

The key is checked by :func:`symbrnn.check` (which recomputes every quantity from its definition) and its
gradients against an independent oracle: 50-digit finite differences of the loss recomputed in mpmath
(:func:`symbrnn.testing.check_gradients`).
"""

from __future__ import annotations

import json
import math

import pytest
import tomllib
from test_cli import symbrnn
from test_render_latex import compile_latex, pdflatex  # noqa: F401 (a fixture)

from symbrnn import SpecError, check
from symbrnn.cells import elman, elman_softmax, gru, lstm, lstm_gomez
from symbrnn.checking.exercise import MAX_COMPONENTS, exercise
from symbrnn.checking.program import build_program, params_of
from symbrnn.render import to_latex, to_markdown
from symbrnn.render.exercise import exercise_doc
from symbrnn.testing import check_gradients

CELLS = {"elman": elman, "elman_softmax": elman_softmax, "lstm_gomez": lambda: lstm_gomez(2, 1),
         "gru": lambda: gru(1, 2), "lstm": lambda: lstm(1, 2)}


def _numbers(value):
    return [v for row in value for v in _numbers(row)] if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("seed", [0, 7])
def test_the_key_is_all_right_and_the_values_are_hand_workable(name, seed):
    cell = CELLS[name]()
    ex = exercise(cell, 2, seed=seed, digits=3)
    report = check(cell, 2, ex.values, ex.key)
    assert report.ok and {m.verdict for m in report} == {"right"} and len(report) == len(ex.key)
    for value in ex.values.values():  # one decimal place at most
        assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in _numbers(value))
    program = build_program(cell, 2, ex.values, forward=[])
    for q in program.quantities.values():
        f = type(q.defs[0]).__name__ if q.defs else ""
        if q.kind in ("state", "node") and f == "tanh":
            assert abs(program.exact[q.key]) <= math.tanh(2) + 1e-12, q.key
        elif q.kind in ("state", "node") and f == "sigmoid":
            assert 1 / (1 + math.exp(2)) - 1e-12 <= program.exact[q.key] <= 1 / (1 + math.exp(-2)) + 1e-12, q.key
    for key, text in ex.key.items():  # nothing rounds to 0 that is not 0
        assert float(text) != 0 or program.exact[key] == 0, key
    assert {k.split("/d")[-1].partition("[")[0] for k in ex.key if k.startswith("dL/d")} == set(cell.names("param"))


@pytest.mark.parametrize("cell", [elman(), lstm_gomez(2, 1)], ids=["elman", "lstm_gomez"])
def test_the_gradients_of_the_key_agree_with_finite_differences(cell):
    ex = exercise(cell, 3, seed=2, digits=6)
    names = [k[len("dL/d"):] for k in ex.key if k.startswith("dL/d") and "][" not in k]
    report = check_gradients(cell, 3, ex.values, wrt=names)
    assert report.ok and names == params_of(cell, None)  # every param (component) has its gradient in the key
    for name in names:  # the key is the reference rounded to 6 decimals
        assert abs(float(ex.key[f"dL/d{name}"]) - float(report[name].reference)) <= 5e-7 + 1e-12, name


def test_the_same_seed_gives_the_same_sheet_and_another_seed_another():
    a, b, c = (exercise(lstm_gomez(2, 1), 2, seed=s) for s in (4, 4, 5))
    assert to_markdown(exercise_doc(a)) == to_markdown(exercise_doc(b)) and a.key == b.key
    assert a.values != c.values


def test_the_sheet_names_every_asked_quantity_and_leaves_the_answers_out():
    ex = exercise(elman(), 2, seed=0, digits=4)
    md = to_markdown(exercise_doc(ex))
    for key in ex.key:
        assert f"| {key} |  |" in md, key
    assert "## Compute: the backward pass" in md and "η = 0.1" in md
    assert not any(f"| {answer} |" in md for answer in ex.key.values() if len(answer) > 5)


def test_bad_requests_are_errors_that_say_why():
    with pytest.raises(SpecError, match="at most 64"):
        exercise(lstm(2, 16), 2)
    with pytest.raises(SpecError, match="1 to 10 steps"):
        exercise(elman(), 11)
    with pytest.raises(SpecError, match="1 to 8 decimals"):
        exercise(elman(), 2, digits=9)
    assert MAX_COMPONENTS == 64


def test_the_cli_writes_sheet_values_and_key_that_check_marks_all_right(tmp_path, pdflatex):  # noqa: F811
    r = symbrnn("exercise", "gru", "--input-size", "1", "--hidden-size", "2", "--seed", "3", "--format", "latex",
                "-o", tmp_path / "sheet.tex", "--values-out", tmp_path / "v.toml", "--key", tmp_path / "key.toml")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    key = tomllib.loads((tmp_path / "key.toml").read_text())
    assert key and all(isinstance(v, str) for v in key.values())
    c = symbrnn("check", "gru", "--input-size", "1", "--hidden-size", "2", "--values", tmp_path / "v.toml",
                "--answers", tmp_path / "key.toml", "--json")
    assert c.returncode == 0, c.stderr
    assert {m["verdict"] for m in json.loads(c.stdout)} == {"right"}
    compile_latex(pdflatex, (tmp_path / "sheet.tex").read_text(), tmp_path, "sheet")


def test_the_cli_output_is_the_same_for_every_hash_seed():
    runs = [symbrnn("exercise", "elman_softmax", "--format", "markdown", seed=s) for s in ("0", "1", "77")]
    assert runs[0].returncode == 0 and runs[0].stdout == runs[1].stdout == runs[2].stdout


@pytest.mark.parametrize("args, message", [
    (["exercise", "lstm", "--hidden-size", "16"], "at most 64"),
    (["exercise", "elman", "--steps", "50"], "1 to 10 steps"),
    (["exercise", "elman", "--digits", "12"], "1 to 8 decimals"),
])
def test_cli_bad_input_is_one_line_and_exit_two(args, message):
    r = symbrnn(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_latex_of_the_doc_is_a_document():
    tex = to_latex(exercise_doc(exercise(elman(), 2)), standalone=True)
    assert tex.startswith("\\documentclass") and "\\end{document}" in tex
