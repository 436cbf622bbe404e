"""The conventions a command-line user expects (issue 16): --version, --values -, ``symbrnn values``, help
examples that run; and gradients() telling T from the values."""

import argparse
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

try:  # Python 3.11+, as symbrnn.declare.spec reads TOML
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import symbrnn as sb
from symbrnn import errors, gradients, values_template
from symbrnn.cells import BUILTIN, elman, elman_softmax, lstm
from symbrnn.cli import main
from symbrnn.cli.parser import parser
from symbrnn.cli.valuesfile import values_text
from symbrnn.declare.spec import MAX_FILE_BYTES
from symbrnn.declare.template import MAX_NUMBERS, PLACEHOLDERS
from symbrnn.declare.values import resolve_values

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "examples" / "cells"
TOML_VALUES = CELLS / "seed002_values.toml"
JSON_VALUES = CELLS / "seed000_values.json"
RUN = [sys.executable, "-m", "symbrnn"]


def _env(seed: str = "0") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
    env["PYTHONHASHSEED"] = seed
    return env


def symbrnn(*args, stdin: str | bytes | None = None, cwd=None, seed: str = "0"):
    """Run the command line in a subprocess, ``stdin`` (text, or bytes as they are) on its standard input."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    r = subprocess.run([*RUN, *map(str, args)], input=data, capture_output=True, cwd=cwd, env=_env(seed),
                       timeout=120)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())


def inprocess(argv, capsys, monkeypatch, stdin: str | None = None):
    """Run the command line in this process; the standard input is ``stdin``."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, message=""):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("symbrnn: error: ") and "Traceback" not in err, err
    assert message in err, err


# ------------------------------------------------------------------------------------------------- --version
def test_version_prints_the_package_version():
    r = symbrnn("--version")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == f"symbrnn {sb.__version__}\n" == "symbrnn 0.1.0\n"


# -------------------------------------------------------------------------------------------------- --values -
def _subparsers() -> dict[str, argparse.ArgumentParser]:
    p = parser()
    action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _takes_values(c: argparse.ArgumentParser) -> bool:
    return any("--values" in a.option_strings for a in c._actions)


VALUES_COMMANDS = sorted(name for name, c in _subparsers().items() if _takes_values(c))


def test_the_commands_that_take_values_are_found():
    assert {"eval", "solve", "check-grad", "flow"} <= set(VALUES_COMMANDS)


@pytest.mark.parametrize("command", VALUES_COMMANDS)
def test_values_from_stdin_give_what_the_file_gives(command):
    by_file = symbrnn(command, "elman", "--values", TOML_VALUES)
    by_stdin = symbrnn(command, "elman", "--values", "-", stdin=TOML_VALUES.read_text())
    assert "no such values file" not in by_stdin.stderr  # the command reads "-" as the standard input
    assert (by_stdin.returncode, by_stdin.stdout, by_stdin.stderr) == (by_file.returncode, by_file.stdout,
                                                                        by_file.stderr)
    if command in ("eval", "solve", "check-grad", "flow"):
        assert by_stdin.returncode == 0 and by_stdin.stdout


def test_json_from_stdin_is_told_by_its_content():
    by_file = symbrnn("eval", "lstm_gomez", "--values", JSON_VALUES, "--json")
    by_stdin = symbrnn("eval", "lstm_gomez", "--values", "-", "--json", stdin=JSON_VALUES.read_bytes())
    assert by_stdin.returncode == 0, by_stdin.stderr
    assert by_stdin.stdout == by_file.stdout and json.loads(by_stdin.stdout)["T"] == 2


@pytest.mark.parametrize("stdin, message", [
    ("", "--values -: the standard input is empty; pipe a values file into it"),
    ("  \n\t\n", "--values -: the standard input is empty"),
    ("w = 0.5\nx = [1.0,\n", "<stdin>: not valid TOML"),
    ("[[[ not a format ]", "<stdin>: not valid TOML"),
    ('{"w": 0.5,', "<stdin>:1: not valid JSON"),
    ('{"w": NaN}', "<stdin>: NaN is not a number"),
    ("[1, 2]", "<stdin>: not valid TOML"),
    ('w = 0.5\nU = 0.5\nV = 0.5\nb = 0.2\nc = 0.1\nx = [1, 2]\ny = [1, "a"]\n', "<stdin>: y[1] (step 2)"),
    ('w = 0.5\nx = [1, 2]\ny = [1, 2]\n', "<stdin>: values lacks 'U', 'V', 'b', 'c'"),
])
def test_bad_values_on_stdin_are_one_line_and_exit_two(stdin, message, capsys, monkeypatch):
    code, out, err = inprocess(["eval", "elman", "--values", "-"], capsys, monkeypatch, stdin=stdin)
    assert out == ""
    one_line_error(code, err, message)


def test_stdin_that_is_not_utf8_or_too_large_is_refused():
    r = symbrnn("eval", "elman", "--values", "-", stdin=b"w = 0.5\xff\n")
    one_line_error(r.returncode, r.stderr, "<stdin>: not UTF-8 text (byte 7)")
    r = symbrnn("eval", "elman", "--values", "-", stdin=b"#" * (MAX_FILE_BYTES + 10))
    one_line_error(r.returncode, r.stderr, f"more than {MAX_FILE_BYTES:,} bytes")


def test_empty_stdin_in_a_real_pipe_exits_two():
    r = symbrnn("solve", "elman", "--values", "-", stdin="")
    one_line_error(r.returncode, r.stderr, "the standard input is empty")
    assert r.stdout == ""


# ----------------------------------------------------------------------------------------------- symbrnn values
def _pipe(producer: list, consumer: list) -> subprocess.CompletedProcess:
    line = " ".join(shlex.quote(a) for a in [*RUN, *producer]) + " | " + \
        " ".join(shlex.quote(a) for a in [*RUN, *consumer])
    return subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, env=_env(),
                          timeout=120)


@pytest.mark.parametrize("cell", sorted(BUILTIN))
def test_values_round_trip_through_eval_for_every_builtin_cell(cell):
    r = _pipe(["values", cell, "--random", "--seed", "0", "--steps", "4"], ["eval", cell, "--values", "-"])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout
    doc = json.loads(_pipe(["values", cell, "--steps", "4", "--format", "json"],
                           ["eval", cell, "--values", "-", "--json"]).stdout)
    assert doc["T"] == 4 and np.isfinite(doc["loss"])


@pytest.mark.parametrize("cell", sorted(BUILTIN))
@pytest.mark.parametrize("seed", [None, 0, 7])
def test_every_template_is_valid_values_and_its_toml_says_what_each_entry_is(cell, seed):
    c = BUILTIN[cell][0]()
    t = values_template(c, 4, seed=seed)
    resolve_values(c, 4, t.as_dict())  # every name, of the right shape, a valid distribution
    text = values_text(t, "toml")
    assert tomllib.loads(text) == t.as_dict() == json.loads(values_text(t, "json"))
    needed = c.names("param") + c.names("input") + c.names("target")
    assert [e.name for e in t.entries] == list(needed)
    lines = text.splitlines()
    for e in t.entries:  # the comment above each entry: its kind and shape
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{e.name} = "))
        comment = lines[at - 1]
        assert comment.startswith(f"# {e.kind}, ")
        shape = f"shape {e.shape}" if e.shape else ("a number" if e.kind == "param" else "one number per step")
        assert shape in comment and (e.kind == "param" or "4 steps" in comment)


def test_placeholders_are_the_documented_numbers():
    t = values_template(elman(), 2)
    assert t.as_dict() == {"w": 0.1, "U": 0.1, "V": 0.1, "b": 0.1, "c": 0.1, "x": [1.0, 1.0], "y": [0.0, 0.0]}
    assert PLACEHOLDERS == {"param": 0.1, "input": 1.0, "target": 0.0}
    y = values_template(elman_softmax(), 2).as_dict()["y"]
    assert y == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]  # a distribution target: one-hot on the first class


def test_a_random_draw_is_reproducible_and_follows_the_seed():
    a = symbrnn("values", "lstm", "--random", "--seed", "3", seed="1")
    b = symbrnn("values", "lstm", "--random", "--seed", "3", seed="999")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert "numpy.random.default_rng(3)" in a.stdout.splitlines()[0]
    assert values_template(lstm(), 3, seed=3).as_dict() == tomllib.loads(a.stdout)
    assert values_template(lstm(), 3, seed=4).as_dict() != tomllib.loads(a.stdout)
    default = symbrnn("values", "lstm", "--random")
    assert tomllib.loads(default.stdout) == values_template(lstm(), 3, seed=0).as_dict()  # --seed defaults to 0


ONE_HOT_CELL = """\
inputs = { x = 2 }
params = { W = [3, 2], h0 = 3 }
[targets]
y = { shape = 3, distribution = "one_hot" }
[states]
h = { shape = 3, init = "h0", update = "tanh(W @ x + h.prev)" }
[loss]
L = "logsumexp(h) - (y * h).sum()"
"""


def test_distribution_targets_and_initial_state_params(tmp_path, capsys, monkeypatch):
    cell = tmp_path / "onehot.toml"
    cell.write_text(ONE_HOT_CELL)
    code, out, err = inprocess(["values", cell, "--random", "--seed", "5", "--steps", "6"], capsys, monkeypatch)
    assert code == 0, err
    y = np.array(tomllib.loads(out)["y"])
    assert y.shape == (6, 3) and set(y.ravel()) <= {0.0, 1.0} and (y.sum(axis=1) == 1).all()
    assert "# param, shape (3,): the initial value of state 'h'\nh0 = " in out
    assert "# target, 6 steps of shape (3,): each one-hot (a single 1, 0 elsewhere)\ny = [" in out
    code, _, err = inprocess(["eval", cell, "--values", "-"], capsys, monkeypatch, stdin=out)
    assert code == 0, err
    p = np.array(values_template(elman_softmax(), 50, seed=1).as_dict()["y"])
    assert (p >= 0).all() and np.allclose(p.sum(axis=1), 1, atol=1e-12, rtol=0)
    assert np.array_equal(np.round(p, 4), p)  # rounded to 4 decimals, still summing to 1


def test_values_writes_to_a_file_in_the_format_its_name_says(tmp_path, capsys, monkeypatch):
    for name, load in (("v.toml", tomllib.loads), ("v.json", json.loads)):
        code, out, err = inprocess(["values", "gru", "--random", "-o", tmp_path / name], capsys, monkeypatch)
        assert (code, out, err) == (0, "", "")
        assert load((tmp_path / name).read_text()) == values_template(BUILTIN["gru"][0](), 3, seed=0).as_dict()
    code, _, err = inprocess(["eval", "gru", "--values", tmp_path / "v.json"], capsys, monkeypatch)
    assert code == 0, err


def test_values_takes_the_size_options(capsys, monkeypatch):
    code, out, _ = inprocess(["values", "lstm", "--input-size", "3", "--hidden-size", "2"], capsys, monkeypatch)
    assert code == 0 and np.array(tomllib.loads(out)["W_ih"]).shape == (8, 3)


@pytest.mark.parametrize("argv, message", [
    (["values", "elman", "--seed", "1"], "--seed N is the seed of --random: give --random too"),
    (["values", "elman", "--random", "--seed", "-1"], "seed=-1: the seed of a random draw is a whole number >= 0"),
    (["values", "nosuchcell"], "unknown cell 'nosuchcell'"),
    (["values", "elman", "--classes", "3"], "cell 'elman' has no --classes"),
    (["values", "elman", "--steps", "300000"], "--values reads at most 1,048,576: use fewer --steps"),
    (["values", "lstm", "--steps", "300000"], f"a template holds at most {MAX_NUMBERS:,}: use fewer steps"),
    (["values", "elman", "--steps", "2000000"], "T=2,000,000: an evaluation takes at most 1,000,000 steps"),
])
def test_bad_values_options_are_one_line_and_exit_two(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, err = inprocess(argv, capsys, monkeypatch)
    assert out == "" and not list(tmp_path.iterdir())
    one_line_error(code, err, message)


@pytest.mark.parametrize("args", [["--format", "yaml"], ["--steps", "0"], ["--seed", "one", "--random"]])
def test_bad_option_values_are_argparse_errors_with_exit_two(args):
    r = symbrnn("values", "elman", *args)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1].startswith("symbrnn values: error: argument ")


def test_the_library_refuses_a_bad_seed_and_too_many_numbers():
    with pytest.raises(errors.SpecError, match="whole number >= 0"):
        values_template(elman(), 2, seed=1.5)
    with pytest.raises(errors.SpecError, match="at most 1,000,000"):
        values_template(lstm(8, 64), 20000)
    with pytest.raises(errors.StepsError):
        values_template(elman(), 0)


# ---------------------------------------------------------------------------------------------- help examples
def _examples() -> list[tuple[str, str]]:
    """(command, example line) from the epilog of the parser and of every subcommand."""
    found = [("symbrnn", parser().epilog)] + [(name, c.epilog) for name, c in sorted(_subparsers().items())]
    out = []
    for command, epilog in found:
        lines = [ln.removeprefix("example: ") for ln in (epilog or "").splitlines() if ln.startswith("example: ")]
        assert lines, f"{command}: no example in its help"
        out += [(command, ln) for ln in lines]
    return out


EXAMPLES = _examples()
OUTPUT_OPTIONS = ("-o", "--output", "--values-out", "--key")


def _paths(example: str) -> list[str]:
    """The files an example reads: the words that look like paths, not what -o writes."""
    words = shlex.split(example)
    return [w for i, w in enumerate(words) if ("/" in w or re.search(r"\.(toml|json)$", w))
            and words[i - 1] not in OUTPUT_OPTIONS]


def test_every_help_example_is_shown_on_one_line():
    helps = {name: c.format_help() for name, c in _subparsers().items()}
    for command, example in EXAMPLES:
        text = parser().format_help() if command == "symbrnn" else helps[command]
        assert f"example: {example}\n" in text, (command, example)


@pytest.mark.parametrize("command, example", EXAMPLES)
def test_help_examples_name_files_that_exist_and_run(command, example, tmp_path):
    words = shlex.split(example)
    assert words[0] == "symbrnn" and (command == "symbrnn" or words[1] == command)
    for path in _paths(example):
        assert (ROOT / path).is_file(), f"{command} --help: {example!r} names {path}, which does not exist"
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # run as from the checkout; -o files land in tmp
    r = symbrnn(*words[1:], cwd=tmp_path)
    # check's example sheet has three planted slips: it exits 1, as documented ("exit 1 if one is wrong")
    assert r.returncode == (1 if command == "check" else 0), (example, r.stderr)
    for i, w in enumerate(words[:-1]):
        if w in OUTPUT_OPTIONS:
            assert (tmp_path / words[i + 1]).stat().st_size > 0


# ------------------------------------------------------------------------------------ gradients() infers T
V3 = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}


def test_gradients_tells_T_from_the_values():
    cell = elman()
    given = gradients(cell, 3, V3)  # the positional call still works
    assert gradients(cell, values=V3) == given == gradients(cell, T=3, values=V3)
    assert gradients(cell, values=V3, wrt=["U", "h_0"], mode="forward") == \
        gradients(cell, 3, V3, wrt=["U", "h_0"], mode="forward")
    assert gradients(cell, values=resolve_values(cell, 3, V3)) == given  # checked values carry their T
    assert sb.compile_cell(cell).gradients(V3) == pytest.approx(given, rel=1e-12)


def test_gradients_tells_T_of_a_shaped_cell():
    cell = lstm(2, 3)
    values = values_template(cell, 5, seed=2).as_dict()
    inferred = gradients(cell, values=values)
    for name, g in gradients(cell, 5, values).items():
        assert np.array_equal(inferred[name], g)


def test_gradients_without_values_or_steps_says_what_to_give():
    cell = elman()
    with pytest.raises(errors.ValuesError, match=r"give the values by keyword, gradients\(cell, values=...\)"):
        gradients(cell, V3)
    with pytest.raises(errors.MissingValueError, match=r"gradients\(\) needs values="):
        gradients(cell)
    with pytest.raises(errors.MissingValueError, match="cannot tell T"):
        gradients(cell, values={k: v for k, v in V3.items() if k not in "xy"})
    with pytest.raises(errors.SequenceLengthError):
        gradients(cell, 4, V3)


# ----------------------------------------------------------------------------------------------------- README
def test_the_readme_shows_what_symbrnn_values_prints():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```text\n\$ (symbrnn (?:values|--version)[^\n]*)\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for line, shown in blocks:
        r = symbrnn(*shlex.split(line)[1:], cwd=ROOT)
        assert r.returncode == 0, r.stderr
        assert r.stdout == shown, line
    assert "--values -" in text


def test_the_readme_pipes_run():
    text = (ROOT / "README.md").read_text()
    lines = [ln for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S) for ln in block.splitlines()
             if ln.startswith("symbrnn ") and " | symbrnn " in ln]
    assert lines
    for line in lines:
        producer, consumer = (shlex.split(part)[1:] for part in line.split(" | "))
        r = _pipe(producer, consumer)
        assert r.returncode == 0 and r.stdout, (line, r.stderr)


def test_a_closed_pipe_stops_quietly(tmp_path):
    """``symbrnn eval ... | head -1``: no BrokenPipeError traceback once head has read its line."""
    script = (f"{shlex.quote(sys.executable)} -m symbrnn values lstm --random --seed 0 --steps 300"
              f" | {shlex.quote(sys.executable)} -m symbrnn eval lstm --values - 2>err.txt | head -1")
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + script], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300)
    assert r.stdout.startswith("# cell 'lstm', T = 300")
    assert (tmp_path / "err.txt").read_text() == ""
    assert r.returncode == 0
