"""Cell and values files are data: hostile files fail cleanly, and the equation parser is fuzzed."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from cellzoo import ZOO
from hypothesis import given, settings
from hypothesis import strategies as st

from symbrnn import SymbrnnError, gradients, sigmoid
from symbrnn.core.errors import EquationError, SpecError
from symbrnn.core.symbols import now, param, prev
from symbrnn.declare.equations import parse_equation
from symbrnn.declare.spec import load_cell, load_cell_text, load_values_text

ROOT = Path(__file__).resolve().parents[1]
CELLS = ROOT / "examples" / "cells"

HEADER = (
    'name = "hostile"\ninputs = ["x"]\ntargets = ["y"]\nparams = ["w"]\n'
    '[states]\nh = { init = 0, update = "tanh(w*x + h.prev)" }\n'
)


def _cell_with_loss(loss: str) -> str:
    return HEADER + "[loss]\nL = " + _toml_string(loss) + "\n"


def _toml_string(text: str) -> str:
    return "'''" + text + "'''" if "'" not in text else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


HOSTILE_EQUATIONS = {
    "import-system": ("__import__('os').system('touch PWNED')", "only named functions can be called"),
    "import-call": ("__import__('os')", "'__import__' is not a function symbrnn knows"),
    "attribute": ("h.__class__.__mro__", "attribute access .__mro__ is not allowed"),
    "attribute-on-call": ("tanh(h).__globals__", "attribute access .__globals__ is not allowed"),
    "lambda": ("(lambda: 1)()", "only named functions can be called"),
    "bare-lambda": ("lambda: 1", "a lambda is not allowed"),
    "comprehension": ("[h for h in ().__class__.__bases__]", "a comprehension is not allowed"),
    "generator": ("sum(h for h in x)", "'sum' is not a function symbrnn knows"),
    "dunder-name": ("__builtins__", "'__builtins__': names starting with _ are not allowed"),
    "power-tower": ("10**10**10", "an exponent must be a number between -16 and 16"),
    "power-chain": ("(((((10**16)**16)**16)**16)**16)", "a power of numbers in the equation has more than 300 digits"),
    "deep-parens": ("(" * 10000 + "x" + ")" * 10000, "the equation is 20001 characters long (at most 2000)"),
    "deep-unary": ("-" * 1999 + "x", "the equation nests deeper than 40 levels"),
    "string": ("'rm -rf /'", "'rm -rf /' is not a number"),
    "walrus": ("(h := 1)", ":= is not allowed"),
    "subscript": ("x[0]", "indexing [...] is only for vectors and matrices; this is a scalar"),
    "slice-of-scalar": ("x[0:10**9]", "indexing [...] is only for vectors and matrices"),
    "keyword-arg": ("tanh(x=1)", "tanh(...) takes plain positional arguments only"),
    "fstring": ("f'{x}'", "an f-string is not allowed"),
    "huge-int": ("1" * 200, "has more than 20 digits"),
    "syntax": ("w * * x", "the equation does not parse"),
    "imaginary": ("tanh(sqrt(-1)*w*x)", "the equation has an imaginary number"),
    "zero-division": ("w/(x - x)", "division by zero in the equation"),
}


def _limited():
    # the child may not use more than 1 GiB of address space or 60 s of CPU
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def run_cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "symbrnn", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=90, preexec_fn=_limited, env={**os.environ, "PYTHONHASHSEED": "0"})


@pytest.mark.parametrize("name", sorted(HOSTILE_EQUATIONS))
def test_hostile_equation_is_refused_by_the_cli(name, tmp_path):
    text, message = HOSTILE_EQUATIONS[name]
    path = tmp_path / "cell.toml"
    path.write_text(_cell_with_loss(text))
    r = run_cli(["show", path], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"symbrnn: error: {path}:8: loss.L: ")
    assert message in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cell.toml"]  # nothing was created


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe name = 1\n", "is not UTF-8 text (byte 0); save it as UTF-8"),
    (b"x = [" * 5000 + b"1" + b"]" * 5000, "not valid TOML"),
    (b"name = \n", "not valid TOML"),
    (b'name = "a"\nparams = "w"\n', "params: must be a list of names"),
    (b'name = "a"\nhack = 1\n', "hack: unknown key; a cell file has: name, description"),
    (HEADER.encode() + b'[loss]\nL = "q*h"\n', "loss.L: unknown name 'q'; declare it first"),
    (HEADER.encode() + b'[nodes]\nz = "z*w"\n[loss]\nL = "z"\n', "algebraic loop in cell 'hostile': z -> z"),
    (HEADER.encode(), "loss: needs exactly one per-step loss"),
    (b'[inputs]\nx = 2\n[params]\nv = 3\n[loss]\nL = "(x + v).sum()"\n',
     ":6: loss.L: x + v: shapes (2,) and (3,) do not broadcast"),
    (b'[params]\nW = [100000, 100000]\n[loss]\nL = "1"\n',
     "brings the file's arrays to 10,000,000,000 entries; at most 1,000,000"),
])
def test_bad_cell_files_are_refused_with_the_file_named(content, message, tmp_path):
    path = tmp_path / "cell.toml"
    path.write_bytes(content)
    r = run_cli(["show", path], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"symbrnn: error: {path}")
    assert message in r.stderr


def test_a_50_megabyte_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.toml"
    with open(path, "wb") as f:
        f.write(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    for args in (["show", path], ["eval", "elman", "--values", path]):
        r = run_cli(args, cwd=tmp_path)
        assert r.returncode == 2
        assert "at most 1,048,576 are read" in r.stderr


@pytest.mark.parametrize("text, source, message", [
    ('{"w": NaN}', "v.json", "NaN is not a number; give finite numbers"),
    ('{"w": [' * 100000 + "]" * 100000 + "}", "v.json", "not valid JSON"),
    ("[1, 2]", "v.json", "a values file is a table of names"),
    ("w = ", "v.toml", "not valid TOML"),
])
def test_bad_values_files(text, source, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[")):
        load_values_text(text, source)


def test_values_file_errors_name_the_file_in_the_cli(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text('w = 0.5\nU = 0.5\nV = 0.5\nb = 0.2\nc = "0.1"\nx = [1.0]\ny = [0.5]\n')
    r = run_cli(["eval", "elman", "--values", path], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == f"symbrnn: error: {path}: param 'c' must be a real number, got '0.1'"


def test_the_file_cell_equals_the_python_cell():
    """examples/cells/gated.toml and tests/cellzoo.gated are declared independently: same numbers."""
    from_file, from_python = load_cell(CELLS / "gated.toml"), ZOO["gated"][0]()
    values = ZOO["gated"][1](4)
    assert gradients(from_file, 4, values) == gradients(from_python, 4, values)
    for n in from_python.names():
        assert from_file.expr(n) == from_python.expr(n), n


def test_the_example_cell_file_is_the_documented_one():
    cell = load_cell(CELLS / "elman.toml")
    values = load_values_text((CELLS / "seed002_values.toml").read_text(), "v.toml")
    assert gradients(cell, 3, values) == gradients(ZOO["elman"][0](), 3, values)


# ----------------------------------------------------------------- fuzzing the parser
NAMES = {"w": param("w"), "u": param("u"), "x": now("x"), "h": now("h")}
ALPHABET = list("wuxh()+-*/.0123456789 _,'[]:=e") + ["**", "prev", "tanh", "sigmoid", "lambda", "import", "exp"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_parser_never_fails_with_anything_but_an_equation_error(text):
    try:
        e = parse_equation(text, NAMES, {"h"})
    except EquationError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(e, sp.Expr)
    assert e.free_symbols <= set(NAMES.values()) | {prev("h")}


LEAVES = [("w", NAMES["w"]), ("x", NAMES["x"]), ("h.prev", prev("h")), ("0.5", sp.Float(0.5)), ("3", sp.Integer(3))]


@st.composite
def equations(draw, depth=4):
    """Random equations as (text, the sympy expression built directly with operators)."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "tanh", "sigmoid", "neg"]))
    a_text, a = draw(equations(depth=depth - 1))
    if kind in ("tanh", "sigmoid"):
        return f"{kind}({a_text})", (sp.tanh if kind == "tanh" else sigmoid)(a)
    if kind == "neg":
        return f"-({a_text})", -a
    if kind == "**":
        n = draw(st.integers(-3, 3))
        return f"({a_text})**{n}", a**n if not (a == 0 and n < 0) else sp.zoo
    b_text, b = draw(equations(depth=depth - 1))
    if kind == "/" and b.is_zero:
        return f"({a_text})+({b_text})", a + b
    ops = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}
    return f"({a_text}){kind}({b_text})", ops[kind]


@settings(max_examples=300, deadline=None)
@given(equations())
def test_parser_builds_the_expression_the_text_describes(pair):
    text, expected = pair
    if expected.has(sp.zoo, sp.nan):
        with pytest.raises(SymbrnnError):
            parse_equation(text, NAMES, {"h"})
        return
    try:
        got = parse_equation(text, NAMES, {"h"})
    except EquationError as exc:  # only the limits may refuse a valid equation
        assert "nests deeper" in str(exc) or "parts" in str(exc) or "division by zero" in str(exc)
        return
    assert sp.simplify(got - expected) == 0 if got != expected else True


def test_load_cell_text_never_runs_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text, _ in HOSTILE_EQUATIONS.values():
        with pytest.raises(SymbrnnError):
            load_cell_text(_cell_with_loss(text), "hostile.toml")
    assert list(tmp_path.iterdir()) == []
