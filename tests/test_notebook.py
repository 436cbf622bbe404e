"""The example notebook runs, and Jupyter shows mathematics for every output: text/latex, no tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebooks" / "lstm.ipynb"


@pytest.fixture(scope="module")
def executed():
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("nbclient, nbformat and ipykernel are test dependencies: pip install -e '.[test]'")
        pytest.skip("nbclient is not installed (pip install -e '.[test]')")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def test_every_output_is_latex(executed):
    code = [c for c in executed.cells if c.cell_type == "code"][:4]
    assert len(code) == 4
    for cell in code:
        kinds = [o.output_type for o in cell.outputs]
        assert "error" not in kinds and "stream" not in kinds, cell.source
        (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert "text/latex" in result.data, (cell.source, list(result.data))
    cell, derivation, solution, scalar = (c.outputs[-1].data["text/latex"] for c in code)
    assert r"{c}_{t} &= {a}_{t} \odot {i}_{t} + {f}_{t} \odot {c}_{t-1}" in cell
    assert r"\delta {z}_{t}" in derivation and r"{W}^{\top} \delta {z}_{t}" in derivation
    assert r"$$\textbf{Backward pass (reverse mode)}$$" in solution and "-0.026716" in solution  # seed 000's dW
    assert r"\frac{\partial {h_{t}}}{\partial {U}} &= {h}_{t-1}" in scalar  # a step partial in closed form


def test_progress_is_one_line_in_a_notebook(executed):
    cell = [c for c in executed.cells if c.cell_type == "code"][4]
    kinds = [o.output_type for o in cell.outputs]
    assert "error" not in kinds and "stream" not in kinds, kinds  # nothing written to stderr
    lines = [o for o in cell.outputs if o.output_type == "display_data"]
    assert len(lines) == 1 and lines[0].data["text/plain"] == ""  # the line, updated in place, cleared at the end
    from symbrnn import derive
    from symbrnn.cells import elman
    assert cell.outputs[-1].data["text/plain"] == str(len(derive(elman(), T=400, wrt="U").terms))
