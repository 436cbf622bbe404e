"""A researcher's own activation (``symbrnn.activation``): in cells, in derivations (φ' shown), on every backend.

Each activation's gradients equal those of the same cell with the expression
written inline, 50-digit mpmath finite differences and PyTorch float64
autograd, on the python, numpy, C and JAX programs; what cannot work is
refused with a message that names the fix.
"""

import io

import numpy as np
import pytest
import sympy as sp
from rich.console import Console

import symbrnn
from symbrnn import BackendError, Cell, ExpressionError, InvalidNameError, activation, derive, gradients
from symbrnn.codegen.c import build as cbuild
from symbrnn.numeric.gradients import loss_and_gradients
from symbrnn.testing import check_gradients

# the same definitions as the module's doctests declare (a name declared twice must mean the same function)
softsign = activation("softsign", lambda z: z / (1 + sp.Abs(z)))
scaled = activation("scaled_tanh", lambda z: sp.Rational(17, 10) * sp.tanh(2 * z / 3))
psi = activation("psi", sp.Function("psi"), derivative=lambda z, y: 1 - y**2, numeric=np.tanh)

INLINE = {"softsign": lambda a: a / (1 + sp.Abs(a)), "scaled_tanh": lambda a: sp.Rational(17, 10) * sp.tanh(2 * a / 3)}
#: the same on a vector, componentwise (the reference runs the componentwise engine, strategy="terms")
INLINE_VEC = {"softsign": lambda a: a.map(INLINE["softsign"]), "scaled_tanh": lambda a: a.map(INLINE["scaled_tanh"])}
USER = {"softsign": softsign, "scaled_tanh": scaled}
SCALAR_VALUES = {"w": .5, "U": .9, "V": -.7, "b": .2, "c": .1, "x": [1, -.8, .6, 1.5], "y": [.5, .6, -.7, .2]}
SCALAR_RUNS = [("terms", "python"), ("bptt", "python"), ("bptt", "numpy"), ("straight", "python")]
needs_cc = pytest.mark.skipif(cbuild.find_compiler() is None, reason="no C compiler here")


def scalar_cell(f, name="user"):
    cell = Cell(name)
    x, y = cell.input("x"), cell.target("y")
    w, U, V, b, c = cell.params("w U V b c")
    h = cell.state("h", init=0)
    a = cell.node("a", w * x + U * h.prev + b)
    cell.update(h, f(a))
    yhat = cell.node("yhat", V * h + c)
    cell.loss(sp.Rational(1, 2) * (yhat - y) ** 2)
    return cell


def shaped_cell(f, name="user_vec", D=2, H=3):
    cell = Cell(name)
    x, y = cell.input("x", shape=D), cell.target("y", shape=H)
    W, U, b = cell.param("W", shape=(H, D)), cell.param("U", shape=(H, H)), cell.param("b", shape=H)
    h = cell.state("h", shape=H, init=0)
    a = cell.node("a", W @ x + U @ h.prev + b)
    cell.update(h, f(a))
    cell.loss(((h - y) * (h - y)).sum() / 2)
    return cell


def shaped_values(T=4, D=2, H=3):
    rng = np.random.default_rng(3)
    return {"W": rng.normal(size=(H, D)), "U": .6 * rng.normal(size=(H, H)), "b": .3 * rng.normal(size=H),
            "x": rng.normal(size=(T, D)), "y": rng.normal(size=(T, H))}


def _same(got: dict, want: dict, rel=1e-12):
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(np.asarray(got[k], dtype=float), np.asarray(want[k], dtype=float), rtol=rel,
                                   atol=1e-14, err_msg=k)


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("name", sorted(USER))
@pytest.mark.parametrize("strategy, backend", SCALAR_RUNS)
def test_a_scalar_cell_with_an_activation_has_the_gradients_of_the_inline_expression(name, strategy, backend):
    want_loss, want = loss_and_gradients(scalar_cell(INLINE[name], "inline"), 4, SCALAR_VALUES, strategy="terms")
    loss, got = loss_and_gradients(scalar_cell(USER[name]), 4, SCALAR_VALUES, strategy=strategy, backend=backend)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    _same(got, want)


@pytest.mark.parametrize("name", sorted(USER))
@pytest.mark.parametrize("strategy, backend", [("terms", "python"), ("bptt", "numpy"), ("arrays", "numpy")])
def test_a_shaped_cell_with_an_activation_has_the_gradients_of_the_inline_expression(name, strategy, backend):
    values = shaped_values()
    want_loss, want = loss_and_gradients(shaped_cell(INLINE_VEC[name], "inline_vec"), 4, values, strategy="terms")
    loss, got = loss_and_gradients(shaped_cell(USER[name]), 4, values, strategy=strategy, backend=backend)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    _same(got, want)


@needs_cc
@pytest.mark.parametrize("name", sorted(USER))
def test_the_c_program_computes_an_activation_and_its_derivative(name):
    for make, inline, values in ((scalar_cell, INLINE, SCALAR_VALUES), (shaped_cell, INLINE_VEC, shaped_values())):
        _, want = loss_and_gradients(make(inline[name], "inline"), 4, values, strategy="terms")
        _, got = loss_and_gradients(make(USER[name]), 4, values, strategy="bptt", backend="c")
        _same(got, want)


@pytest.mark.parametrize("name", sorted(USER))
def test_the_jax_program_computes_an_activation_and_its_derivative(name):
    jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install jax")
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        values = shaped_values()
        _, want = loss_and_gradients(shaped_cell(INLINE_VEC[name], "inline_vec"), 4, values, strategy="terms")
        _, got = loss_and_gradients(shaped_cell(USER[name]), 4, values, strategy="arrays", backend="jax")
    finally:
        jax.config.update("jax_enable_x64", before)
    _same(got, want)


@pytest.mark.parametrize("name", sorted(USER))
def test_an_activation_agrees_with_50_digit_finite_differences(name):
    for cell, values in ((scalar_cell(USER[name]), SCALAR_VALUES), (shaped_cell(USER[name]), shaped_values(3))):
        T = len(values["x"])
        report = check_gradients(cell, T, values, rtol=1e-12, atol=1e-13)
        assert report.ok, str(report)


@pytest.mark.parametrize("name", sorted(USER))
def test_an_activation_agrees_with_torch_float64_autograd(torch, name):
    f = {"softsign": lambda a: a / (1 + a.abs()), "scaled_tanh": lambda a: 1.7 * torch.tanh(2 * a / 3)}[name]
    p = {k: torch.tensor(float(SCALAR_VALUES[k]), dtype=torch.float64, requires_grad=True) for k in "wUVbc"}
    h, loss = torch.tensor(0.0, dtype=torch.float64), 0.0
    for x, y in zip(SCALAR_VALUES["x"], SCALAR_VALUES["y"], strict=True):
        h = f(p["w"] * x + p["U"] * h + p["b"])
        loss = loss + 0.5 * (p["V"] * h + p["c"] - y) ** 2
    loss.backward()
    got = gradients(scalar_cell(USER[name]), 4, SCALAR_VALUES)
    _same(got, {k: p[k].grad.item() for k in "wUVbc"})


def test_a_function_known_by_its_derivative_and_numpy_form_is_tanh_here():
    _, want = loss_and_gradients(scalar_cell(sp.tanh, "tanh"), 4, SCALAR_VALUES, strategy="terms")
    for strategy, backend in SCALAR_RUNS:
        _, got = loss_and_gradients(scalar_cell(psi), 4, SCALAR_VALUES, strategy=strategy, backend=backend)
        _same(got, want)
    raw = scalar_cell(sp.Function("psi"), "raw")  # the undefined function itself, named as the declared one
    assert type(raw.expr("h")) is psi
    _same(gradients(raw, 4, SCALAR_VALUES), want)
    _, got = loss_and_gradients(shaped_cell(psi), 4, shaped_values(), strategy="arrays", backend="numpy")
    _same(got, loss_and_gradients(shaped_cell(symbrnn.tanh, "tanh_vec"), 4, shaped_values(), strategy="terms")[1])


# ---------------------------------------------------------------- what a derivation shows
def test_a_derivation_shows_the_derivative_as_phi_prime_in_text_and_latex():
    d = derive(scalar_cell(softsign), 4, wrt="U")
    assert str(d.explicit(3).expr) == "h_2*softsign'(a_3)"
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(d)
    assert "explicit  ∂h_3/∂U = h_2·softsign'(a_3)" in console.file.getvalue()
    assert r"&= U \operatorname{softsign}'{\left({a}_{t} \right)} \qquad \text{(step Jacobian)}" in \
        symbrnn.render.to_markdown(d.evaluate(SCALAR_VALUES))
    assert r"\operatorname{softsign}'{\left({a}_{3} \right)}" in symbrnn.render.to_latex(d)
    phi = activation("phi", sp.Function("phi"), derivative=lambda z, y: 1 - y**2, numeric=np.tanh)
    assert r"\phi'{\left({a}_{3} \right)}" in symbrnn.render.to_latex(derive(scalar_cell(phi), 3, wrt="U"))


def test_the_matrix_derivation_shows_the_derivative_elementwise():
    d = derive(shaped_cell(softsign), 3, wrt="U")
    assert "softsign'(a_2)" in str(d.delta(2, "a"))
    assert r"\operatorname{softsign}'\left({a}_{2}\right)" in symbrnn.render.to_latex(d)


def test_the_generated_programs_call_the_activation_and_its_derivative_by_name():
    from symbrnn.codegen.c.source import c_source
    from symbrnn.codegen.plan import BPTTPlan
    from symbrnn.codegen.printing import CodePrinter
    from symbrnn.codegen.python import python_source

    plan = BPTTPlan(scalar_cell(softsign))
    python = python_source(plan, CodePrinter().doprint)
    assert "h = softsign(a)" in python and "softsign_prime(a)" in python
    c = c_source(plan, name="user")
    assert "static double symbrnn_user_softsign(double z)\n{\n    return z/(fabs(z) + 1.0);\n}" in c
    assert "symbrnn_user_softsign_prime(a)" in c


def test_a_quantity_named_as_the_activation_is_renamed_in_generated_code():
    cell = Cell("clash")
    x, y = cell.input("x"), cell.target("y")
    w = cell.param("softsign")
    h = cell.state("h", init=0)
    cell.update(h, softsign(w * x + h.prev))
    cell.loss((h - y) ** 2)
    inline = Cell("inline")
    xi, yi = inline.input("x"), inline.target("y")
    wi = inline.param("softsign")
    hi = inline.state("h", init=0)
    inline.update(hi, INLINE["softsign"](wi * xi + hi.prev))
    inline.loss((hi - yi) ** 2)
    values = {"softsign": .7, "x": [1, -2, .5], "y": [.1, .2, .3]}
    want = loss_and_gradients(inline, 3, values, strategy="terms")[1]
    for strategy, backend in SCALAR_RUNS:
        _same(loss_and_gradients(cell, 3, values, strategy=strategy, backend=backend)[1], want)


# ---------------------------------------------------------------- refusals
def test_backends_that_cannot_run_a_numpy_only_activation_say_so_and_name_the_fix():
    with pytest.raises(BackendError, match=r"backend='c' cannot run activation 'psi'.*sympy expression"):
        loss_and_gradients(scalar_cell(psi), 4, SCALAR_VALUES, strategy="bptt", backend="c")
    with pytest.raises(BackendError, match=r"no mpmath form.*symbrnn.activation\('psi', lambda z"):
        check_gradients(scalar_cell(psi), 4, SCALAR_VALUES)
    jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install jax")
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        with pytest.raises(BackendError, match=r"backend='jax' cannot run activation 'psi'.*numeric=\{'jax'"):
            loss_and_gradients(shaped_cell(psi), 4, shaped_values(), strategy="arrays", backend="jax")
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "exp", "softmax", "Softmax", "sin", "Abs", "Max",
                                  "maximum", "sum", "abs", "scan", "Pi", "Sum"])
def test_a_built_in_name_is_refused(name):
    with pytest.raises(InvalidNameError, match=f"activation name '{name}' is a built-in function"):
        activation(name, lambda z: z / (1 + z**2))


@pytest.mark.parametrize("name", ["2x", "_phi", "a b", "lambda", "φ", "", 3])
def test_a_name_that_is_not_an_identifier_is_refused(name):
    with pytest.raises(InvalidNameError, match="is not usable: write an identifier"):
        activation(name, lambda z: z)


def test_a_name_declared_with_another_definition_is_refused_the_same_one_is_returned():
    assert activation("softsign", lambda z: z / (1 + sp.Abs(z))) is softsign
    with pytest.raises(InvalidNameError, match="'softsign' is already declared with another definition"):
        activation("softsign", lambda z: z / (1 + z**2))
    with pytest.raises(InvalidNameError, match="is the derivative of activation 'softsign'"):
        activation("softsign_prime", lambda z: z)


@pytest.mark.parametrize("kwargs, message", [
    ({"expr": sp.Function("nodef")}, "needs its derivative"),
    ({"expr": None, "derivative": lambda z: 1}, "needs numeric="),
    ({"expr": sp.Function("other"), "derivative": lambda z: 1, "numeric": np.tanh}, r"sp.Function\('other'\)"),
    ({"expr": lambda z: z**3, "derivative": lambda z: 2 * z}, "derivative disagrees with its definition"),
    ({"expr": lambda z: z**3, "numeric": np.square}, "numeric form disagrees with its definition"),
    ({"expr": sp.Function("nodef"), "derivative": lambda z: 1, "numeric": np.sum}, "acts elementwise"),
    ({"expr": lambda z: sp.floor(z)}, "has no derivative sympy can write"),
    ({"expr": sp.Symbol("u") * sp.Symbol("v")}, "write it in one variable"),
    ({"expr": lambda z: sp.I * z}, "complex"),
    ({"expr": lambda z: sp.Function("g")(z)}, "undefined function"),
    ({"expr": "z / (1 + abs(z))"}, "expected a function"),
    ({"expr": lambda z: z, "numeric": {"torch": np.tanh}}, "numeric maps backends"),
    ({"expr": lambda z, w: z}, "failed on a sympy symbol"),
    ({"expr": lambda z: z, "derivative": lambda a, b, c: 1}, "takes z, or z and the output y"),
])
def test_an_unusable_definition_is_refused_with_the_reason(kwargs, message):
    with pytest.raises(ExpressionError, match=message):
        activation("nodef", **kwargs)


def test_an_undefined_function_in_a_cell_is_refused_naming_symbrnn_activation():
    with pytest.raises(ExpressionError, match=r"'undeclared', an undefined function.*symbrnn.activation\('undeclared'"):
        scalar_cell(sp.Function("undeclared"))
