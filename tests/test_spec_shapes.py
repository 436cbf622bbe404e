"""Cell files with vectors and matrices: the same cells as the Python API, and clear errors for shapes."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from vectorzoo import INIT_C, gated_elman, random_values, softplus_peephole

from symbrnn import Tensor, gradients
from symbrnn.cells import lstm_gomez
from symbrnn.core.errors import AlgebraicLoopError, EquationError, NonScalarLossError, ShapeError, SymbrnnError
from symbrnn.core.symbols import now, param
from symbrnn.declare.equations import MAX_ELEMENTS, parse_equation
from symbrnn.declare.spec import load_cell, load_cell_text

ROOT = Path(__file__).resolve().parents[1]

GATED_ELMAN = """
name = "gated_elman"
[inputs]
x = 2
[targets]
y = 3
[params]
W = [3, 2]
U = [3, 3]
b = 3
W_g = [3, 2]
U_g = [3, 3]
b_g = 3
h0 = 3
[states]
h = { shape = 3, init = "h0", update = "g * tanh(W @ x + U @ h.prev + b) + (1 - g) * h.prev" }
[nodes]
g = "sigmoid(W_g @ x + U_g @ h.prev + b_g)"
[loss]
L = "((h - y) * (h - y)).sum() / 2"
"""

# the loss comes first and p before a: the file orders nodes by what they use
SOFTPLUS_PEEPHOLE = f"""
name = "softplus_peephole"
[loss]
L = "-(y * log(p)).sum() + 0.1 * h[0] * h[1] + 0.01 * (W * W).sum()"
[nodes]
p = "softmax(V @ h + s * x.sum())"
a = "relu(W @ x + (h.prev @ U.T) + b)"
[inputs]
x = 3
[targets]
y = 2
[params]
W = [4, 3]
U = [4, 4]
b = 4
V = [2, 4]
s = []
h0 = 4
[states]
h = {{ shape = 4, init = "h0", update = "tanh(c) * (1 - h.prev ** 2 / 4)" }}
c = {{ shape = 4, init = {INIT_C}, update = "sigmoid(s * h.prev) * c.prev + log(1 + exp(-a)) / 2" }}
"""


def _same_cell(file_cell, python_cell):
    assert sorted(file_cell.names()) == sorted(python_cell.names())
    for n in python_cell.names():
        assert file_cell.kind(n) == python_cell.kind(n) and file_cell.shape(n) == python_cell.shape(n), n
        want = python_cell.expr(n)
        if want is not None:
            assert file_cell.expr(n) == want, n
        if python_cell.kind(n) == "state":
            assert file_cell.init(n) == python_cell.init(n), n


@pytest.mark.parametrize("text, build", [(GATED_ELMAN, gated_elman), (SOFTPLUS_PEEPHOLE, softplus_peephole)],
                         ids=["gated_elman", "softplus_peephole"])
def test_a_vector_cell_file_is_the_python_cell(text, build):
    file_cell, python_cell = load_cell_text(text, "cell.toml"), build()
    _same_cell(file_cell, python_cell)
    values = random_values(python_cell, T=3, seed=5)
    got, want = gradients(file_cell, T=3, values=values), gradients(python_cell, T=3, values=values)
    for n in want:
        assert np.array_equal(got[n], want[n]), n


def test_the_example_lstm_file_is_the_seed000_cell():
    _same_cell(load_cell(ROOT / "examples" / "cells" / "lstm.toml"), lstm_gomez(2, 1))


SHAPED = '[inputs]\nx = 2\n[params]\nW = [3, 2]\nv = 3\ns = []\n[states]\nh = { shape = 3, update = "tanh(W @ x)" }\n'


@pytest.mark.parametrize("content, kind, message", [
    (SHAPED + '[loss]\nL = "(x + v).sum()"\n', EquationError,
     "cell.toml:10: loss.L: x + v: shapes (2,) and (3,) do not broadcast"),
    (SHAPED + '[loss]\nL = "(x @ W).sum()"\n', EquationError, "cell.toml:10: loss.L: x @ W: shapes (2,) and (3, 2)"),
    (SHAPED + '[loss]\nL = "s @ s"\n', EquationError, "@ multiplies vectors and matrices; use * with a scalar"),
    (SHAPED + '[loss]\nL = "h[3]"\n', EquationError, "index 3 is out of range for shape (3,) (0..2)"),
    (SHAPED + '[loss]\nL = "W[0, 0, 0]"\n', EquationError, "3 indices for a quantity of shape (3, 2)"),
    (SHAPED + '[loss]\nL = "h[x]"\n', EquationError, "an index must be a whole number written out"),
    (SHAPED + '[loss]\nL = "h[0:3:0].sum()"\n', EquationError, "a slice step cannot be 0"),
    (SHAPED + '[loss]\nL = "h[2:1].sum()"\n', EquationError, "the slice selects nothing from shape (3,)"),
    (SHAPED + '[loss]\nL = "s.T"\n', EquationError, ".T: only a vector or matrix has a transpose"),
    (SHAPED + '[loss]\nL = "W.sum(2)[0]"\n', EquationError, ".sum(2): shape (3, 2) has no axis 2"),
    (SHAPED + '[loss]\nL = "h.sum(axis=0)"\n', EquationError, ".sum() takes no argument or one axis"),
    (SHAPED + '[loss]\nL = "softmax(s)"\n', EquationError, "softmax needs a vector"),
    (SHAPED + '[loss]\nL = "h.shape"\n', EquationError, "attribute access .shape is not allowed"),
    (SHAPED + '[loss]\nL = "h"\n', NonScalarLossError, "cell.toml: loss 'L': got a (3,) tensor where a scalar"),
    ('[params]\nW = [3, 0]\n[loss]\nL = "1"\n', ShapeError,
     "cell.toml:2: params.W: shape [3, 0]: give 3 for a vector, [3, 2] for a matrix, [] for a scalar"),
    ('[params]\nW = "big"\n[loss]\nL = "1"\n', ShapeError, "params.W: shape 'big'"),
    ('[params]\nW = [1000, 1001]\n[loss]\nL = "1"\n', ShapeError,
     "params.W: shape [1000, 1001] brings the file's arrays to 1,001,000 entries; at most 1,000,000 in a cell"),
    ('[params]\nW = [1000, 500]\nU = [1000, 501]\n[loss]\nL = "1"\n', ShapeError,
     "params.U: shape [1000, 501] brings the file's arrays to 1,001,000 entries"),
    ('[params]\nu = [2000, 1]\nv = [1, 2000]\n[loss]\nL = "(u * v).sum()"\n', EquationError,
     "the result would have shape (2000, 2000), over 1,000,000 entries"),
    ('[params]\nu = [2000, 1]\nv = [1, 2000]\n[loss]\nL = "(u @ v).sum()"\n', EquationError,
     "the result would have shape (2000, 2000), over 1,000,000 entries"),
    ('params = ["w"]\n[states]\nh = { shape = 2, init = [1, 2, 3], update = "w * h.prev" }\n[loss]\nL = "h.sum()"\n',
     ShapeError, "state 'h' has shape (2,) but the value has shape (3,)"),
    ('params = ["w"]\n[states]\nh = { shape = 2, init = [[[[1]]]], update = "w * h.prev" }\n[loss]\nL = "h.sum()"\n',
     SymbrnnError, "states.h: init must be a number, a list of numbers or the name of a param"),
    ('params = ["w"]\n[states]\nh = { shape = 2, init = ["w"], update = "w * h.prev" }\n[loss]\nL = "h.sum()"\n',
     SymbrnnError, "states.h: init must be a number, a list of numbers or the name of a param"),
    ('[params]\nw = 3\n[states]\nh = { shape = 2, init = "w", update = "h.prev" }\n[loss]\nL = "h.sum()"\n',
     ShapeError, "state 'h' has shape (2,) but param 'w' has shape (3,)"),
    ('params = ["w"]\n[nodes]\na = "w * b"\nb = "w * a"\n[loss]\nL = "a"\n', AlgebraicLoopError,
     "cell.toml:3: nodes.a: algebraic loop in cell 'cell': a -> b -> a at the same step"),
    ('params = ["w"]\n[nodes]\na = "w * a"\n[loss]\nL = "a"\n', AlgebraicLoopError,
     "nodes.a: algebraic loop in cell 'cell': a -> a at the same step"),
    ('params = ["w"]\n[nodes]\na = "w +"\n[loss]\nL = "a"\n', EquationError,
     "cell.toml:3: nodes.a: the equation does not parse"),
])
def test_shape_errors_name_the_file_the_key_and_the_shapes(content, kind, message):
    with pytest.raises(kind) as info:
        load_cell_text(content, "cell.toml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------- the parser on vectors and matrices
W, V = Tensor.symbols("W", (3, 2), kind="param"), Tensor.symbols("V", (2, 3), kind="param")
X, H = Tensor.symbols("x", 2), Tensor.symbols("h", 3)
S = param("s")
NAMES = {"W": W, "V": V, "x": X, "h": H, "s": S, "u": now("u")}
ALPHABET = list("WVxhsu()+-*/.@0123456789 [],:") + ["**", "prev", "T", "sum()", "mean(", "tanh", "softmax"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_tensor_parser_never_fails_with_anything_but_an_equation_error(text):
    try:
        e = parse_equation(text, NAMES, {"h"})
    except EquationError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert math.prod(_shape(e)) <= MAX_ELEMENTS


# (text, value) leaves and operations, built once as text and once with the Tensor operators
LEAVES = [("W", W), ("V.T", V.T), ("h", H), ("h.prev", H.prev), ("x", X), ("s", S), ("2", 2), ("W[:, 1]", W[:, 1]),
          ("W[0]", W[0]), ("h[1:]", H[1:]), ("h[-1]", H[-1])]


def _shape(v):
    return v.shape if isinstance(v, Tensor) else ()


@st.composite
def tensor_equations(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    a_text, a = draw(tensor_equations(depth=depth - 1))
    kind = draw(st.sampled_from(["+", "*", "-", "@", "tanh", "sum", "T", "neg"]))
    if kind == "tanh":
        return f"tanh({a_text})", a.map(sp.tanh) if isinstance(a, Tensor) else sp.tanh(a)
    if kind == "sum":
        return (f"({a_text}).sum()", a.sum()) if isinstance(a, Tensor) else (a_text, a)
    if kind == "T":
        return (f"({a_text}).T", a.T) if isinstance(a, Tensor) else (a_text, a)
    if kind == "neg":
        return f"-({a_text})", -a
    b_text, b = draw(tensor_equations(depth=depth - 1))
    if kind == "@" and not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return a_text, a
    try:
        value = {"+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b, "@": lambda: a @ b}[kind]()
    except ShapeError:
        return a_text, a
    if isinstance(value, Tensor) and math.prod(value.shape) > MAX_ELEMENTS:
        return a_text, a
    return f"({a_text}) {kind} ({b_text})", value


@settings(max_examples=300, deadline=None)
@given(tensor_equations())
def test_tensor_parser_builds_what_the_operators_build(pair):
    text, expected = pair
    got = parse_equation(text, NAMES, {"h"})
    assert _shape(got) == _shape(expected)
    assert got == expected


def test_the_readme_cell_files_are_the_example_files():
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
              if "[loss]" in b]  # cell files (the README's other TOML is an answer sheet)
    cells = {c.name: c for c in (load_cell_text(b, "README.md") for b in blocks)}
    assert sorted(cells) == ["elman", "lstm"]
    for name, cell in cells.items():
        _same_cell(cell, load_cell(ROOT / "examples" / "cells" / f"{name}.toml"))


def _lstm_file(D: int, H: int) -> str:
    """The seed 000 LSTM as a cell file, at any size (the example file with its shapes changed)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "examples" / "cells" / "lstm.toml").read_text()
    return (text.replace("x = 2", f"x = {D}").replace("y = 1", f"y = {H}").replace("W = [4, 2]", f"W = [{4 * H}, {D}]")
            .replace("U = [4, 1]", f"U = [{4 * H}, {H}]").replace("b = 4", f"b = {4 * H}")
            .replace("shape = 1", f"shape = {H}").replace("z[0:1]", f"z[0:{H}]").replace("z[1:2]", f"z[{H}:{2 * H}]")
            .replace("z[2:3]", f"z[{2 * H}:{3 * H}]").replace("z[3:4]", f"z[{3 * H}:{4 * H}]"))


def test_a_cell_file_at_a_real_size_is_the_python_cell():
    from symbrnn import derive, gradients
    from symbrnn.cells import lstm_gomez

    text = _lstm_file(8, 64)
    assert "U = [256, 64]" in text and "z[192:256]" in text
    cell, python = load_cell_text(text, "lstm64.toml"), lstm_gomez(8, 64)
    values = random_values(python, 3, seed=2)
    for name, g in gradients(python, 3, values).items():
        np.testing.assert_allclose(gradients(cell, 3, values)[name], g, rtol=1e-12, atol=1e-14, err_msg=name)
    assert derive(cell, 3, wrt="U").result.shape == (256, 64)


def test_componentwise_work_on_a_big_file_is_refused_naming_the_matrix_route():
    from symbrnn import ShapeError, derive

    cell = load_cell_text(_lstm_file(8, 128), "lstm128.toml")  # 65,536 entries in U alone
    with pytest.raises(ShapeError, match=r"componentwise work .* is limited to 50,000: use the matrix route"):
        derive(cell, 2, wrt="U[0,0]")
    assert derive(cell, 2, wrt="U").result.shape == (512, 128)
