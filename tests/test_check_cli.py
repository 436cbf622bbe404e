"""``symbrnn check``: the table, Markdown and JSON; exit 0 when every number is right or carried, 1 otherwise, 2 for
bad input; ``--template`` lists every key."""

from __future__ import annotations

import json

import tomllib
from test_check import EXACT, VALUES, sheet, write
from test_cli import CELLS, symbrnn

from symbrnn.cells import elman
from symbrnn.checking import build_program

SEED002 = CELLS / "seed002_values.toml"


def _sheet(tmp_path, entries: dict, name="answers.toml"):
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(entries, ensure_ascii=False))
    else:
        path.write_text("".join(f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}\n" for k, v in entries.items()))
    return path


def test_a_right_sheet_exits_zero(tmp_path):
    answers = _sheet(tmp_path, sheet().text)
    r = symbrnn("check", "elman", "--values", SEED002, "--answers", answers)
    assert r.returncode == 0, r.stderr
    n = len(sheet().text)
    assert f"{n} right, 0 wrong of {n} numbers: every number right or carried" in r.stdout


def test_three_slips_exit_one_with_json(tmp_path):
    text = dict(sheet().text)
    text["h_1"] = write(.7, 4)                          # the activation left out
    text["yhat_1"] = write(.5 * .7 + .1, 4)              # follows from it
    text["∂L_2/∂h_2"] = write(-EXACT["∂L_2/∂h_2"], 4)    # the sign
    text["L_3"] = write(10 * EXACT["L_3"], 4)            # the decimal point
    answers = _sheet(tmp_path, {k: text[k] for k in ("h_1", "yhat_1", "h_2", "∂L_2/∂h_2", "L_3")}, "a.json")
    r = symbrnn("check", "elman", "--values", SEED002, "--answers", answers, "--json")
    assert r.returncode == 1, r.stderr
    marks = {m["key"]: m for m in json.loads(r.stdout)}
    assert list(marks) == ["h_1", "yhat_1", "h_2", "L_3", "∂L_2/∂h_2"]  # in the order they are computed
    assert {k: m["verdict"] for k, m in marks.items()} == {"h_1": "wrong", "yhat_1": "carried", "h_2": "right",
                                                           "∂L_2/∂h_2": "wrong", "L_3": "wrong"}
    assert marks["yhat_1"]["uses"] == ["h_1"] and marks["h_1"]["cause"] == "the activation tanh omitted"
    assert "sign" in marks["∂L_2/∂h_2"]["cause"] and "factor of 10" in marks["L_3"]["cause"]
    assert set(marks["h_2"]) == {"key", "written", "exact", "verdict", "cause", "uses"}
    assert marks["h_2"]["exact"] == EXACT["h_2"] and marks["h_2"]["written"] == text["h_2"]


def test_markdown_for_a_teacher(tmp_path):
    answers = _sheet(tmp_path, {"h_1": "0.7", "yhat_1": "0.45"})
    r = symbrnn("check", "elman", "--values", SEED002, "--answers", answers, "--format", "markdown")
    assert r.returncode == 1
    assert "| key | written | exact | verdict | cause |" in r.stdout
    assert "| yhat_1 | 0.45 | 0.4022 | carried | follows from your h_1 |" in r.stdout


def test_bad_input_is_one_line_and_exit_two(tmp_path):
    for entries, message in (({"dh_3/dQ": "0.4"}, "no quantity 'dh_3/dQ'"),
                             ({"h_2": [1, 2]}, "an answer is a number written as text")):
        r = symbrnn("check", "elman", "--values", SEED002, "--answers", _sheet(tmp_path, entries))
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("symbrnn: error: ") and message in r.stderr
    r = symbrnn("check", "elman", "--values", SEED002)
    assert r.returncode == 2 and "give --answers SHEET" in r.stderr
    r = symbrnn("check", "elman", "--values", SEED002, "--answers", tmp_path / "none.toml")
    assert r.returncode == 2 and "none.toml" in r.stderr


def test_the_template_has_every_key_and_check_reads_it(tmp_path):
    r = symbrnn("check", "elman", "--values", SEED002, "--template", "-o", tmp_path / "t.toml")
    assert r.returncode == 0, r.stderr
    keys = tomllib.loads((tmp_path / "t.toml").read_text())
    program = build_program(elman(), 3, VALUES)
    assert set(keys) == {k for k in program.keys() if program[k].kind not in ("input", "target")}
    assert list(keys)[:3] == ["h_0", "a_1", "h_1"] and list(keys)[-1] == "c_new"  # forward values, terms, updates
    assert set(keys) >= {"h_2", "yhat_3", "L_3", "L", "∂h_3/∂U", "∂h_3/∂h_2", "implicit(dh_3/dU)", "dh_3/dU",
                         "dL_3/dV", "dL/dU", "δh_2", "dL/dU[3]", "U_new"}
    filled = dict(keys, h_2=write(EXACT["h_2"], 3))
    _sheet(tmp_path, filled, "filled.toml")
    r = symbrnn("check", "elman", "--values", SEED002, "--answers", tmp_path / "filled.toml")
    assert r.returncode == 0 and "1 right" in r.stdout


def test_the_help_has_an_example():
    r = symbrnn("check", "--help")
    assert r.returncode == 0 and "example: symbrnn check" in r.stdout
