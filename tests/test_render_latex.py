"""LaTeX and Markdown export, compiled by a real LaTeX engine (pdflatex).

Without pdflatex the compile tests are skipped locally and FAIL on CI (CI=true): CI must install it
(Debian: texlive-latex-base).
"""

import io
import os
import shutil
import subprocess

import pytest
import sympy as sp
from cellzoo import elman, elman_values, gated

from symbrnn import Cell, derive, sigmoid
from symbrnn.render import SGD, Adam, WorkedSolution, repr_latex, to_latex, to_markdown
from symbrnn.render.latex import document, escape


def lstm() -> Cell:
    """A scalar LSTM with the gates of seed 000 (a, i, f, o), one bias per gate, h_0 = c_0 = 0."""
    cell = Cell("lstm")
    x = cell.input("x")
    y = cell.target("y")
    wa, wi, wf, wo, ua, ui, uf, uo, ba, bi, bf, bo = cell.params("wa wi wf wo ua ui uf uo ba bi bf bo")
    c = cell.state("c", init=0)
    h = cell.state("h", init=0)
    a = cell.node("a", sp.tanh(wa * x + ua * h.prev + ba))
    i = cell.node("i", sigmoid(wi * x + ui * h.prev + bi))
    f = cell.node("f", sigmoid(wf * x + uf * h.prev + bf))
    o = cell.node("o", sigmoid(wo * x + uo * h.prev + bo))
    cell.update(c, a * i + f * c.prev)
    cell.update(h, o * sp.tanh(c))
    cell.loss((h - y) ** 2 / 2)
    return cell


LSTM_VALUES = {"wa": 0.45, "wi": 0.95, "wf": 0.7, "wo": 0.6, "ua": 0.15, "ui": 0.8, "uf": 0.1, "uo": 0.25,
               "ba": 0.2, "bi": 0.65, "bf": 0.15, "bo": 0.1, "x": [1.0, 0.5], "y": [0.5, 0.8]}


@pytest.fixture(scope="module")
def pdflatex():
    path = shutil.which("pdflatex")
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("pdflatex is not installed on CI: install texlive-latex-base in .ci/run")
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base)")
    return path


def compile_latex(pdflatex, tex: str, tmp_path, name: str = "doc") -> None:
    (tmp_path / f"{name}.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / f"{name}.log").read_text(errors="replace") if (tmp_path / f"{name}.log").exists() else ""
    assert run.returncode == 0, run.stdout[-3000:] + log[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


SEED002 = {"w": 0.5, "U": 0.5, "V": 0.5, "b": 0.2, "c": 0.1, "x": [1.0, 0.8, 0.6], "y": [0.5, 0.6, 0.7]}


def test_seed002_worked_solution_compiles(pdflatex, tmp_path):
    s = WorkedSolution(elman(), 3, SEED002, optimizer=SGD(0.1))
    compile_latex(pdflatex, to_latex(s, standalone=True), tmp_path)


def test_seed002_worked_solution_reverse_mode_with_adam_compiles(pdflatex, tmp_path):
    adam = WorkedSolution(elman(), 3, SEED002, mode="reverse", optimizer=Adam(lr=0.01))
    seed003 = WorkedSolution(elman(), 3, SEED002, wrt=["U"], optimizer=Adam(lr=0.01, eps_inside_sqrt=True))
    compile_latex(pdflatex, document(to_latex(adam) + to_latex(seed003)), tmp_path)


def test_lstm_derivation_cell_and_jupyter_latex_compile(pdflatex, tmp_path):
    cell = lstm()
    forward = derive(cell, 2, wrt="uf").evaluate(LSTM_VALUES)
    reverse = derive(cell, 2, wrt="c_0", mode="reverse")
    body = to_latex(cell) + to_latex(forward) + to_latex(reverse)
    body += "\n".join(repr_latex(obj) for obj in (cell, forward, reverse))
    compile_latex(pdflatex, document(body), tmp_path)


def test_generic_forms_of_gated_and_elman_compile(pdflatex, tmp_path):
    body = to_latex(derive(gated(), 2, wrt="ug")) + to_latex(derive(elman(), 40, wrt="U", mode="reverse"))
    compile_latex(pdflatex, document(body), tmp_path)


def test_latex_of_a_derivation_has_the_closed_forms():
    tex = to_latex(derive(elman(), 3, wrt="U").evaluate(elman_values(3)))
    assert r"\subsection*{Generic T}" in tex
    assert (r"\frac{d L}{d U} &= \sum_{t=1}^{T} \frac{\partial L_{t}}{\partial h_{t}} \sum_{k=1}^{t}"
            r" \left(\prod_{j=k + 1}^{t} \frac{\partial h_{j}}{\partial h_{j - 1}}\right)"
            r" \frac{\partial h_{k}}{\partial U}") in tex
    assert r"\qquad \text{(explicit + implicit)}" in tex
    assert tex.isascii()


def test_jupyter_latex_is_one_math_block():
    text = repr_latex(derive(elman(), 2, wrt="U"))
    assert text.startswith("$$\n\\begin{aligned}") and text.endswith("\\end{aligned}\n$$")
    assert text.count("\\begin{aligned}") == 1
    with pytest.raises(TypeError):
        repr_latex(42)


def test_markdown_has_math_blocks_and_tables():
    md = to_markdown(derive(elman(), 2, wrt="b").evaluate(elman_values(2)))
    assert md.count("$$\n\\begin{aligned}") == md.count("\\end{aligned}\n$$") >= 4
    assert "| t | ${x}_{t}$ | ${y}_{t}$ | ${a}_{t}$ | ${h}_{t}$ | ${\\hat{y}}_{t}$ | ${L}_{t}$ |" in md


def test_escape_maps_unicode_and_refuses_the_unknown():
    assert escape("θ ← θ - η·dL/dθ, 100%") == (
        r"$\theta$ $\leftarrow$ $\theta$ - $\eta$$\cdot$dL/d$\theta$, 100\%")
    with pytest.raises(ValueError, match="no LaTeX for the character"):
        escape("∰")


def _shaped_cells():
    from symbrnn.cells import BUILTIN, elman_softmax, gru, lstm_gomez

    return [lstm_gomez(), gru(3, 4), elman_softmax(), BUILTIN["lstm_step_batch"][0](3, 2, 2)]


def test_shaped_cells_display_in_matrix_notation_everywhere():
    import re

    from rich.console import Console

    component = re.compile(r"[A-Za-z]\[\d+(, ?\d+)?\]")  # W[0, 1], h[2]: a component, not a slice
    for cell in _shaped_cells():
        console = Console(file=io.StringIO(), width=100, color_system=None)
        console.print(cell)  # rich
        text = console.file.getvalue()
        assert f"cell '{cell.name}'" in text and "(one step t)" in text
        assert not component.search(text) and "Tensor" not in text and "@" not in text, text
        assert "⊙" in text and "·" in text, text  # Hadamard and matrix products
        for out in (cell._repr_latex_(), to_markdown(cell), to_latex(cell)):  # Jupyter, Markdown, LaTeX
            assert "\\odot" in out and not component.search(out), out


def test_shaped_cells_and_matrix_derivations_compile_without_overfull_lines(pdflatex, tmp_path):
    from symbrnn.cells import lstm_gomez

    body = "".join(to_latex(cell) for cell in _shaped_cells())
    body += "\n".join(repr_latex(cell) for cell in _shaped_cells())
    values = {"W": [[0.7, 0.45], [0.95, 0.8], [0.45, 0.25], [0.6, 0.4]], "U": [[0.1], [0.8], [0.15], [0.25]],
              "b": [0.15, 0.65, 0.2, 0.1], "x": [[1.0, 2.0], [0.5, 3.0]], "y": [[0.5], [1.25]]}
    body += to_latex(derive(lstm_gomez(), 2, wrt="W").evaluate(values))
    body += to_latex(derive(lstm_gomez(), 2, wrt="b", mode="forward"))
    compile_latex(pdflatex, document(body), tmp_path)
    assert (tmp_path / "doc.log").read_text(errors="replace").count("Overfull \\hbox") == 0
