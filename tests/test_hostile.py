"""Hostile input through the command line: each case exits 2 with one line on stderr, no traceback, no file
written, within a time limit and a memory cap (a subprocess each)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "examples" / "cells"
SECONDS = 60
MEMORY = 3 * 2 ** 30  # bytes of address space

ELMAN = {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1, "x": [1, 0.8], "y": [0.5, 0.6]}
STATE = '[states]\nh = { init = 0, update = "tanh(w*x + h.prev)" }\n[loss]\nL = "h**2"\n'


def _values(tmp: Path, text: str, name: str = "v.json") -> str:
    (tmp / name).write_text(text, encoding="utf-8")
    return name


def _cell(tmp: Path, text: str, name: str = "c.toml") -> str:
    (tmp / name).write_text(text, encoding="utf-8")
    return name


def _elman_with(**changes) -> str:
    return json.dumps({**ELMAN, **changes})


# each case: (name, a function of the tmp folder returning the command's arguments, a piece of the message)
CASES = [
    ("float beyond the largest", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(w=1e308).replace(
        "1e+308", "1e400"))], "is inf"),
    ("5000-digit integer json", lambda d: ["eval", "elman", "--values", _values(d, _elman_with().replace(
        '"w": 0.5', '"w": ' + "9" * 5000))], "5,000 digits"),
    ("5000-digit integer toml", lambda d: ["eval", "elman", "--values", _values(
        d, "w = " + "9" * 5000 + "\n", "v.toml")], "more than 4,300 digits"),
    ("1000-digit integer param", lambda d: ["eval", "elman", "--values", _values(
        d, "w = " + "9" * 1000 + "\nU = 0.5\nV = 0.5\nb = 0.2\nc = 0.1\nx = [1, 0.8]\ny = [0.5, 0.6]\n", "v.toml")],
     "1,000 digits, too large"),
    ("500-digit integer in a sequence", lambda d: ["eval", "elman", "--values", _values(
        d, _elman_with(x=[1, 2]).replace("[1, 2]", "[1, " + "9" * 500 + "]"))], "an integer of 500 digits"),
    ("null in a matrix", lambda d: ["eval", "lstm_gomez", "--values", _values(d, json.dumps(
        {**json.loads((CELLS / "seed000_values.json").read_text()), "W": [[0.45, None], [1, 1], [1, 1], [1, 1]]}))],
     "'W[0,1]' is nan"),
    ("NaN constant", lambda d: ["eval", "elman", "--values", _values(d, _elman_with().replace("0.5,", "NaN,", 1))],
     "NaN is not a number"),
    ("a list where a number goes", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(w=[1, 2]))],
     "give one number"),
    ("empty values", lambda d: ["eval", "elman", "--values", _values(d, "{}")], "has no 'x', 'y'"),
    ("values is a list", lambda d: ["eval", "elman", "--values", _values(d, "[1, 2]")], "a table of names"),
    ("values nest deeply", lambda d: ["eval", "elman", "--values", _values(d, "[" * 100000 + "]" * 100000)],
     "nests too deeply"),
    ("values folder", lambda d: ["eval", "elman", "--values", "."], "is a folder"),
    ("values missing", lambda d: ["eval", "elman", "--values", "nothing.json"], "no such values file"),
    ("values not utf-8", lambda d: ["eval", "elman", "--values", _bytes(d, b"w = \xff\xfe\n")], "not UTF-8"),
    ("cell folder", lambda d: ["show", str(d)], "is a folder"),
    ("a name listed twice", lambda d: ["show", _cell(d, 'inputs = ["x"]\nparams = ["w", "w"]\n' + STATE)],
     "'w' is listed twice"),
    ("init beyond the largest float", lambda d: ["show", _cell(d, 'inputs = ["x"]\nparams = ["w"]\n' + STATE.replace(
        "init = 0", "init = 1" + "0" * 400))], "init is not finite or too large"),
    ("init list beyond the largest float", lambda d: ["show", _cell(
        d, '[inputs]\nx = 2\n[params]\nw = 2\n[states.h]\nshape = 2\ninit = [0, 1' + "0" * 400
        + ']\nupdate = "tanh(w*x + h.prev)"\n[loss]\nL = "h.sum()"\n')], "init has a number that is not finite"),
    ("70 axes", lambda d: ["show", _cell(d, "[inputs]\nx = [" + ", ".join(["1"] * 70) + ']\nparams = []\n'
                                         '[states]\nh = { init = 0, update = "h.prev" }\n[loss]\nL = "h**2"\n')],
     "has 70 axes; at most 8"),
    ("a 500,000-character name", lambda d: ["show", _cell(d, 'params = ["w"]\ninputs = ["' + "x" * 500000 + '"]\n'
                                                         + STATE)],
     "500,000 characters"),
    ("a name that is code", lambda d: ["show", _cell(d, 'params = ["w"]\ninputs = ["__import__(\'os\')"]\n' + STATE)],
     "not a valid quantity name"),
    ("equation calls eval", lambda d: ["show", _cell(d, 'inputs = ["x"]\n[states]\nh = { init = 0, update ='
                                                    ' "eval(\'1\')" }\n[loss]\nL = "h**2"\n')], "eval"),
    ("equation reaches a dunder", lambda d: ["show", _cell(d, 'inputs = ["x"]\n[states]\nh = { init = 0, update ='
                                                          ' "x.__class__" }\n[loss]\nL = "h**2"\n')],
     "attribute access"),
    ("byte-order mark in a cell file is fine, a bad equation is not", lambda d: ["show", _cell(
        d, '\ufeffinputs = ["x"]\n[states]\nh = { init = 0, update = "tanh(x +" }\n[loss]\nL = "h**2"\n')],
     "states.h"),
    ("unknown cell", lambda d: ["show", "nosuchcell"], "unknown cell"),
    ("-o a folder", lambda d: ["show", "elman", "-o", "."], "cannot write it"),
    ("-o in a missing folder", lambda d: ["show", "elman", "-o", "missing/x.txt"], "cannot write it"),
    ("-o a name too long", lambda d: ["show", "elman", "-o", "a" * 300], "File name too long"),
    ("-o a full disk", lambda d: ["show", "elman", "-o", "/dev/full"], "No space left on device"),
    ("--steps a billion", lambda d: ["derive", "elman", "--steps", "1000000000", "--wrt", "U"],
     "at most 10,000 steps"),
    ("an unknown name echoed short", lambda d: ["show", _cell(d, 'inputs = ["x"]\n[states]\nh = { init = 0, update ='
                                                             ' "tanh(' + "q" * 100000 + ' + h.prev)" }\n[loss]\n'
                                                             'L = "h**2"\n')], "characters"),
    ("--steps zero", lambda d: ["derive", "elman", "--steps", "0", "--wrt", "U"], "must be at least 1"),
    ("--wrt unknown", lambda d: ["derive", "gru", "--steps", "2", "--wrt", "W"], "(W_ih, W_hh, b_ih, b_hh"),
    ("--wrt an input", lambda d: ["derive", "elman", "--steps", "2", "--wrt", "x"], "is an input"),
    ("--wrt code", lambda d: ["derive", "elman", "--steps", "2", "--wrt", "__import__('os').system('x')"], "wrt="),
    ("--lr not a number", lambda d: ["solve", "elman", "--values", str(CELLS / "seed002_values.toml"),
                                     "--lr", "abc"], "is not a number"),
    ("--beta1 out of range", lambda d: ["solve", "elman", "--values", str(CELLS / "seed002_values.toml"),
                                        "--optimizer", "adam", "--beta1", "1"], "[0, 1)"),
    ("--updates too many", lambda d: ["solve", "elman", "--values", str(CELLS / "seed002_values.toml"),
                                      "--updates", "1000000"], "from 1 to 10000"),
    ("--naming on a cell without it", lambda d: ["show", "gru", "--naming", "seed000"], "has no --naming"),
    ("--components too many", lambda d: ["show", "lstm", "--hidden-size", "300", "--components"],
     "368,103 components"),
    ("a target that is not a distribution", lambda d: ["eval", "elman_softmax", "--values", _values(d, json.dumps(
        {**json.loads((CELLS / "seed004_values.json").read_text()), "y": [[0.5, 0.5, 0.5]] * 3}))],
     "sums to 1.5"),
    # equations in cell files: nothing is ever run, every form outside the whitelist is named
    ("floor in an equation", lambda d: ["show", _update(d, "floor(x) + h.prev")], "'floor' is not a function"),
    ("a power of ten billion", lambda d: ["show", _update(d, "x ** 10**10 + h.prev")], "between -16 and 16"),
    ("a lambda", lambda d: ["show", _update(d, "(lambda: 1)()")], "only named functions can be called"),
    ("a comprehension", lambda d: ["show", _update(d, "[q for q in x]")], "comprehension is not allowed"),
    ("if/else", lambda d: ["show", _update(d, "h.prev if x else 1")], "if/else is not allowed"),
    ("a statement after a semicolon", lambda d: ["show", _update(d, "x; import os")], "does not parse"),
    ("open()", lambda d: ["show", _update(d, "open('f')")], "'open' is not a function"),
    ("__globals__", lambda d: ["show", _update(d, "x.__globals__")], "attribute access .__globals__"),
    ("__import__", lambda d: ["show", _update(d, "__import__('os')")], "not a function"),
    ("a string constant", lambda d: ["show", _update(d, "'x' + h.prev")], "states.h"),
    ("a lambda in a subscript", lambda d: ["show", _update(d, "x[lambda: 0]")], "states.h"),
    ("a walrus", lambda d: ["show", _update(d, "(q := x)")], "states.h"),
    ("1000 nested calls", lambda d: ["show", _update(d, "tanh(" * 1000 + "x" + ")" * 1000)], "characters long"),
    ("45 nested parentheses of products", lambda d: ["show", _update(d, "x*(" * 45 + "x" + ")" * 45)],
     "nests deeper than 40"),
    ("an unknown name", lambda d: ["show", _update(d, "tanh(zz + h.prev)")], "unknown name 'zz'"),
    ("a fixed step in an equation", lambda d: ["show", _update(d, "x + h_3")], "states.h"),
    # the structure of cell files
    ("an unknown top-level key", lambda d: ["show", _cell(d, 'foo = 1\ninputs = ["x"]\n' + STATE)], "unknown key"),
    ("a negative shape", lambda d: ["show", _cell(d, "[inputs]\nx = -2\n" + STATE)], "shape -2"),
    ("a zero shape", lambda d: ["show", _cell(d, "[inputs]\nx = 0\n" + STATE)], "shape 0"),
    ("a fractional shape", lambda d: ["show", _cell(d, "[inputs]\nx = 2.5\n" + STATE)], "shape 2.5"),
    ("a billion-entry vector", lambda d: ["show", _cell(d, '[inputs]\nx = 1000000000\nparams = ["w"]\n' + STATE)],
     "at most 1,000,000"),
    ("a billion-entry cube", lambda d: ["show", _cell(d, '[inputs]\nx = [1000, 1000, 1000]\nparams = ["w"]\n'
                                                      + STATE)], "at most 1,000,000"),
    ("an init that is text", lambda d: ["show", _cell(d, 'inputs = ["x"]\nparams = ["w"]\n' + STATE.replace(
        "init = 0", 'init = "os.system"'))], "must be a number"),
    ("an algebraic loop", lambda d: ["show", _cell(d, 'inputs = ["x"]\n[nodes]\na = "b + x"\nb = "a"\n[states]\n'
                                                   'h = { init = 0, update = "a + h.prev" }\n[loss]\nL = "h**2"\n')],
     "algebraic loop"),
    ("no loss", lambda d: ["show", _cell(d, 'inputs = ["x"]\n[states]\nh = { init = 0, update = "x + h.prev" }\n')],
     "needs exactly one per-step loss"),
    ("an empty cell file", lambda d: ["show", _cell(d, "")], "needs exactly one per-step loss"),
    ("unclosed TOML", lambda d: ["show", _cell(d, 'inputs = ["x"\n')], "not valid TOML"),
    ("a cell file over 1 MiB", lambda d: ["show", _cell(d, "# " + "a" * (1 << 21) + "\n")], "at most 1,048,576"),
    ("100,000 dotted keys", lambda d: ["show", _cell(d, "".join(f"a{i}.b = 1\n" for i in range(100000)))],
     "at most 1,048,576"),
    ("binary bytes as a cell file", lambda d: ["show", _bytes(d, bytes(range(256)) * 10, "g.toml")], "not UTF-8"),
    ("a param named like a step", lambda d: ["show", _cell(d, 'inputs = ["x"]\nparams = ["w", "h_3"]\n' + STATE)],
     "would clash with 'h' at step 3"),
    ("a keyword as a name", lambda d: ["show", _cell(d, 'inputs = ["lambda"]\n' + STATE)], "not a valid quantity"),
    ("a non-ASCII name", lambda d: ["show", _cell(d, 'inputs = ["\u03be"]\n' + STATE)], "not a valid quantity"),
    ("a device as a cell file", lambda d: ["show", "/dev/zero"], "is not a regular file"),
    # values files
    ("a number as text", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(w="0.5"))],
     "must be a real number"),
    ("a boolean", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(w=True))], "must be a real number"),
    ("sequences of different lengths", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(y=[1, 2, 3]))],
     "has 3 values but T=2"),
    ("a ragged matrix", lambda d: ["eval", "lstm_gomez", "--values", _values(d, json.dumps(
        {**json.loads((CELLS / "seed000_values.json").read_text()), "W": [[1, 2], [3]]}))],
     "rows have different lengths"),
    ("a matrix of the wrong shape", lambda d: ["eval", "lstm_gomez", "--values", _values(d, json.dumps(
        {**json.loads((CELLS / "seed000_values.json").read_text()), "W": [[1, 2, 3]]}))], "got shape (1, 3)"),
    ("Infinity", lambda d: ["eval", "elman", "--values", _values(d, _elman_with().replace("0.5,", "Infinity,", 1))],
     "Infinity is not a number"),
    ("-Infinity", lambda d: ["eval", "elman", "--values", _values(d, _elman_with().replace("0.5,", "-Infinity,", 1))],
     "-Infinity is not a number"),
    ("an unknown value name", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(zzz=1))], "'zzz'"),
    ("a 100,000-character value name", lambda d: ["eval", "elman", "--values", _values(
        d, json.dumps({**ELMAN, "q" * 100000: 1}))], "'qqqqqqqqqqqqqqqqqqqqqqqq...'"),
    ("an input given as one number", lambda d: ["eval", "elman", "--values", _values(d, _elman_with(x=1))],
     "is per-step data"),
    ("a key given twice", lambda d: ["eval", "elman", "--values", _values(d, '{"w": 1, "w": 2}')],
     "'w' is given twice"),
    ("100,000 steps for a symbolic evaluation", lambda d: ["eval", "elman", "--values", _values(
        d, _elman_with(x=[0.1] * 100000, y=[0.1] * 100000))], "at most 10,000 steps"),
    ("a device as a values file", lambda d: ["eval", "elman", "--values", "/dev/zero"], "is not a regular file"),
    ("a symlink loop", lambda d: ["eval", "elman", "--values", _loop(d)], "Too many levels of symbolic links"),
    ("check-grad with empty values", lambda d: ["check-grad", "elman", "--values", _values(d, "{}")],
     "has no 'x', 'y'"),
    ("toml values that are not TOML", lambda d: ["eval", "elman", "--values", _values(d, "w = = 1\n", "v.toml")],
     "not valid TOML"),
    # options
    ("--digits negative", lambda d: ["eval", "elman", "--values", SEED002, "--digits", "-1"], "must be at least 1"),
    ("--digits 1000", lambda d: ["eval", "elman", "--values", SEED002, "--digits", "1000"], "at most 17 decimals"),
    ("--steps negative", lambda d: ["derive", "elman", "--steps", "-5", "--wrt", "U"], "must be at least 1"),
    ("--steps not a number", lambda d: ["derive", "elman", "--steps", "abc", "--wrt", "U"], "is not a whole number"),
    ("--steps 10,001", lambda d: ["derive", "elman", "--steps", "10001", "--wrt", "U"], "at most 10,000 steps"),
    ("--steps beyond a million", lambda d: ["eval", "elman", "--values", SEED002, "--steps", "1000001"],
     "at most 1,000,000 steps"),
    ("--hidden-size zero", lambda d: ["show", "lstm", "--hidden-size", "0"], "must be at least 1"),
    ("--input-size negative", lambda d: ["show", "elman", "--input-size", "-1"], "must be at least 1"),
    ("--classes zero", lambda d: ["show", "elman_softmax", "--classes", "0"], "must be at least 1"),
    ("--format unknown", lambda d: ["show", "elman", "--format", "pdf"], "invalid choice: 'pdf'"),
    ("--mode unknown", lambda d: ["derive", "elman", "--steps", "2", "--wrt", "U", "--mode", "sideways"],
     "invalid choice: 'sideways'"),
    ("an unknown command", lambda d: ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("an unknown option", lambda d: ["derive", "elman", "--steps", "2", "--wrt", "U", "--of", "h_99"],
     "unrecognized arguments: --of h_99"),
    ("--wrt a step beyond 0", lambda d: ["derive", "elman", "--steps", "2", "--wrt", "h_5"], "has no 'h_5'"),
    ("--lr infinite", lambda d: ["solve", "elman", "--values", SEED002, "--lr", "inf"], "positive finite number"),
    ("--lr nan", lambda d: ["solve", "elman", "--values", SEED002, "--lr", "nan"], "positive finite number"),
    ("--eps zero", lambda d: ["solve", "elman", "--values", SEED002, "--optimizer", "adam", "--eps", "0"],
     "positive finite number"),
    ("--truncate zero", lambda d: ["flow", "elman", "--values", SEED002, "--truncate", "0"], "whole number"),
    ("-o a read-only file", lambda d: ["show", "elman", "-o", "/proc/version"], "cannot write it"),
]


def _update(tmp: Path, update: str) -> str:
    """A cell file whose state h has the update ``update`` (written as TOML text)."""
    return _cell(tmp, 'inputs = ["x"]\nparams = ["w"]\n[states]\nh = { init = 0, update = "' + update
                 + '" }\n[loss]\nL = "h**2"\n')


def _loop(tmp: Path) -> str:
    (tmp / "loop.json").symlink_to("loop.json")
    return "loop.json"


SEED002 = str(CELLS / "seed002_values.toml")


def _bytes(tmp: Path, data: bytes, name: str = "v.toml") -> str:
    (tmp / name).write_bytes(data)
    return name


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.mark.parametrize("name, args, says", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_and_exit_2(tmp_path, name, args, says):
    argv = args(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    run = subprocess.run([sys.executable, "-m", "symbrnn", *argv], cwd=tmp_path, capture_output=True, text=True,
                         timeout=SECONDS, preexec_fn=_cap)
    assert run.returncode == 2, (name, run.returncode, run.stderr[-500:])
    lines = run.stderr.splitlines()
    assert len(lines) == 1, (name, run.stderr[-1000:])  # usage errors too (cli.parser.Parser)
    assert "Traceback" not in run.stderr and len(run.stderr) < 2000, name
    assert says in run.stderr, (name, run.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == before, name  # no file was written


def test_a_full_standard_output_is_exit_2():
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-m", "symbrnn", "show", "elman"], stdout=full, stderr=subprocess.PIPE,
                             text=True, timeout=SECONDS)
    assert run.returncode == 2 and run.stderr == "symbrnn: error: cannot write the output (No space left on device)\n"


def test_api_accepts_bytes_and_names(tmp_path):
    from symbrnn import SpecError, unroll
    from symbrnn.cells import elman
    from symbrnn.declare.spec import load_cell_text

    assert load_cell_text((CELLS / "elman.toml").read_bytes()).name == "elman"
    assert load_cell_text(b"\xef\xbb\xbf" + (CELLS / "elman.toml").read_bytes()).name == "elman"
    with pytest.raises(SpecError, match="give the file's text as a str"):
        load_cell_text(5)
    u = unroll(elman(), 3)
    assert u.expr("h_3") == u.expr(u.symbol("h", 3))


def test_at_least_a_hundred_hostile_cases():
    assert len(CASES) >= 100


def test_a_flat_sum_of_40_terms_is_one_level_not_40(tmp_path):
    """The depth limit counts nesting, not the left-leaning tree of a chain a + b + c + ..."""
    from symbrnn.declare.spec import load_cell_text

    terms = " + ".join(f"{k}*x" for k in range(1, 41))
    cell = load_cell_text('inputs = ["x"]\n[states]\nh = { init = 0, update = "' + terms + ' + h.prev" }\n'
                          '[loss]\nL = "h**2"\n')
    assert cell.expr("h").coeff(cell.symbol("x")) == sum(range(1, 41))
