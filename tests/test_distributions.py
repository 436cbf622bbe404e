"""A cross-entropy's target must be a probability vector: other values are refused, never a silently wrong loss."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import symbrnn
from symbrnn import Cell, derive
from symbrnn.cells import elman_softmax
from symbrnn.declare.functions import logsumexp
from symbrnn.declare.spec import load_cell_text
from symbrnn.declare.values import resolve_batch, resolve_values

CE_CELL = """
name = "ce"
[inputs]
x = 2
[targets]
y = { shape = 3, distribution = "probabilities" }
[params]
W = [3, 2]
[states.h]
shape = 3
init = 0
update = "tanh(W @ x + h.prev)"
[loss]
L = "logsumexp(h) - (y * h).sum()"
"""


def _values(y):
    rng = np.random.default_rng(4)
    return {"w": rng.normal(size=(2, 2)), "U": rng.normal(size=(2, 2)), "b": rng.normal(size=2),
            "V": rng.normal(size=(3, 2)), "c": rng.normal(size=3), "x": rng.normal(size=(2, 2)), "y": y}


def _cross_entropy(values, T=2):
    """An independent numpy forward pass of elman_softmax: Σ_t −Σ_k y_tk log softmax(V h_t + c)_k."""
    h, total = np.zeros(2), 0.0
    for t in range(T):
        h = np.tanh(values["w"] @ values["x"][t] + values["U"] @ h + values["b"])
        z = values["V"] @ h + values["c"]
        logp = z - np.log(np.exp(z - z.max()).sum()) - z.max()
        total -= float(values["y"][t] @ logp)
    return total


def test_one_hot_and_probability_targets_give_the_cross_entropy():
    for y in ([[0, 1, 0], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]):
        values = _values(np.array(y, dtype=float))
        ev = derive(elman_softmax(), 2, wrt="V").evaluate(values)
        assert ev.loss == pytest.approx(_cross_entropy(values), rel=1e-12)


@pytest.mark.parametrize("y, says", [
    ([[0, 1, 0], [0.5, 0.5, 0.5]], "target 'y' at step 2 is [0.5, 0.5, 0.5], which sums to 1.5"),
    ([[0, 2, 0], [1, 0, 0]], "target 'y' at step 1 is [0.0, 2.0, 0.0], which sums to 2"),
    ([[1.5, -0.5, 0], [1, 0, 0]], "has the negative entry -0.5"),
])
def test_a_target_that_is_not_a_distribution_is_refused(y, says):
    values = _values(np.array(y, dtype=float))
    with pytest.raises(symbrnn.ValuesError, match="cross-entropy needs a probability vector") as err:
        derive(elman_softmax(), 2, wrt="V").evaluate(values)
    assert says in str(err.value)
    # the same loss over an undeclared target is computed as written, and is not the cross-entropy then
    cell = Cell("plain")
    z, yy = cell.param("z", shape=3), cell.target("y", shape=3)
    cell.loss(logsumexp(z) - (yy * z).sum())
    zs, ys = np.array([0.0, 1.0, 2.0]), np.array(y, dtype=float)
    plain = derive(cell, 2, wrt="z").evaluate({"z": zs, "y": ys}).loss
    lse = np.log(np.exp(zs).sum())
    assert plain == pytest.approx(float((lse - ys @ zs).sum()), rel=1e-12)
    if not np.allclose(ys.sum(axis=1), 1):  # rows summing to 1 give the cross-entropy's number (a negative entry
        assert plain != pytest.approx(float(-(ys * (zs - lse)).sum()), rel=1e-6)  # is refused all the same)


def test_one_hot_distribution_refuses_soft_labels():
    cell = Cell("c")
    y = cell.target("y", shape=3, distribution="one_hot")
    z = cell.input("z", shape=3)
    cell.loss(logsumexp(z) - (y * z).sum())
    with pytest.raises(symbrnn.ValuesError, match=r"at step 1 is \[0.5, 0.5, 0.0\], not one-hot"):
        resolve_values(cell, 1, {"z": [[0.0, 0.0, 0.0]], "y": [[0.5, 0.5, 0.0]]})
    assert cell.distribution("y") == "one_hot" and cell.distribution("z") is None


def test_batches_name_the_sequence():
    cell = elman_softmax()
    good = _values(np.eye(3)[[0, 1]])
    seqs = {k: np.stack([v, v]) if k in ("x", "y") else v for k, v in good.items()}
    seqs["y"] = seqs["y"].copy()
    seqs["y"][1, 0] = [0.3, 0.3, 0.3]
    with pytest.raises(symbrnn.ValuesError, match=r"target 'y' at sequence 1, step 1 is \[0.3, 0.3, 0.3\]"):
        resolve_batch(cell, seqs)


@pytest.mark.parametrize("declare, says", [
    (lambda c: c.target("y", distribution="probabilities"), "a distribution is a vector"),
    (lambda c: c.target("y", shape=3, distribution="softmax"), "use 'probabilities', 'one_hot' or None"),
])
def test_bad_declarations(declare, says):
    with pytest.raises(symbrnn.SpecError, match=says):
        declare(Cell("c"))


def test_cell_file_declares_the_distribution(tmp_path):
    cell = load_cell_text(CE_CELL)
    assert cell.distribution("y") == "probabilities"
    bad = CE_CELL.replace('"probabilities"', '"softmax"')
    with pytest.raises(symbrnn.SpecError, match="distribution 'softmax'"):
        load_cell_text(bad)
    path, values = tmp_path / "ce.toml", tmp_path / "v.json"
    path.write_text(CE_CELL)
    values.write_text(json.dumps({"W": [[1, 0], [0, 1], [1, 1]], "x": [[1, 2], [0, 1]],
                                  "y": [[0, 1, 0], [0.5, 0.5, 0.5]]}))
    run = subprocess.run([sys.executable, "-m", "symbrnn", "eval", str(path), "--values", str(values),
                          "--wrt", "W"], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"symbrnn: error: {values}: target 'y' at step 2 is [0.5, 0.5, 0.5], which sums to 1.5: the cross-entropy"
        " needs a probability vector (entries >= 0 summing to 1), e.g. one-hot [0, 1, 0]"]
