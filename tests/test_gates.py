"""The gated-cell bound (issue 14): the direct path s_{t-1} → s_t through the gate, found symbolically, and its
numbers against PyTorch float64 autograd.

Oracles: for the LSTM, the (c, c) block of torch's step Jacobian ∂(h, c)_t/∂(h, c)_{t-1} (nn.LSTMCell, jacobian
by autograd) is diag(f_t) and the products of those blocks give the direct path's norms; for the GRU, the update
gate z_t computed by hand in numpy from the weights along torch's own trajectory (nn.GRUCell). The symbolic side
is checked on cells built for it: a leaky integrator (a constant coefficient, not a gate), a coefficient that is a
param, a peephole gate that reads c_{t-1}, and a gate written inline.
"""

import json

import numpy as np
import pytest
import sympy as sp
from test_cli import symbrnn
from test_flow import _torch_step, _values

from symbrnn import Cell, sigmoid
from symbrnn.analysis import flow, step_bound
from symbrnn.analysis.gates import gated_paths
from symbrnn.cells import elman, gru, lstm, lstm_gomez, stacked
from symbrnn.render import to_latex, to_markdown
from symbrnn.render.flow import flow_renderable, to_text


def _summary(cell):
    return [(p.state, str(p.gate), p.low, p.high, p.whole, p.reads) for p in gated_paths(cell)]


def test_library_cells_gates_are_found_from_their_equations():
    assert _summary(lstm(2, 3)) == [("c", "f_t", 0, 1, True, ("h",))]
    assert _summary(lstm_gomez(2, 3)) == [("c", "f_t", 0, 1, True, ("h",))]
    assert _summary(gru(2, 3)) == [("h", "z_t", 0, 1, False, ())]
    assert _summary(elman()) == [] and _summary(elman(2, 3, 2)) == []
    layers = [(p.state, str(p.gate)) for p in gated_paths(stacked(lstm(2, 3), gru(3, 2)))]
    assert len(layers) == 2 and all(g.endswith("_t") for _, g in layers), layers


def _scalar_cell(update):
    cell = Cell("custom")
    x, y = cell.input("x"), cell.target("y")
    a, w, u = cell.params("a w u")
    h = cell.state("h", init=0)
    c = cell.state("c", init=0)
    cell.update(h, sp.tanh(w * x + u * h.prev))
    cell.update(c, update(cell, a, w, u, x, h, c))
    cell.loss((c - y) ** 2)
    return cell


def test_a_constant_or_param_coefficient_is_not_a_gate():
    assert _summary(_scalar_cell(lambda cell, a, w, u, x, h, c: sp.Rational(1, 2) * c.prev + x)) == []
    assert _summary(_scalar_cell(lambda cell, a, w, u, x, h, c: a * c.prev + x)) == []
    assert _summary(_scalar_cell(lambda cell, a, w, u, x, h, c: sp.exp(w * h.prev) * c.prev + x)) == []


def test_a_peephole_gate_that_reads_its_own_state_is_not_the_whole_jacobian():
    def peephole(cell, a, w, u, x, h, c):
        f = cell.node("f", sigmoid(w * x + u * c.prev))
        return f * c.prev + (1 - f) * sp.tanh(a * h.prev)

    (p,) = gated_paths(_scalar_cell(peephole))
    assert (p.state, str(p.gate), p.whole) == ("c", "f_t", False)


def test_an_inline_gate_and_one_minus_a_gate_are_found():
    cell = _scalar_cell(lambda cell, a, w, u, x, h, c: (1 - sigmoid(w * h.prev)) * c.prev + a * x)
    (p,) = gated_paths(cell)
    assert p.whole and (p.low, p.high) == (0, 1) and p.reads == ("h",)


def test_step_bound_of_a_gated_cell_names_the_gate_and_says_what_has_no_bound():
    b = step_bound(lstm(2, 3))
    assert not b.holds and b.value({}) is None
    assert "∂c_t/∂c_{t-1} = diag(f_t)" in b.reason and "no simple bound" in b.reason and "h_{t-1}" in b.reason
    g = step_bound(gru(2, 3))
    assert "diag(z_t) + (the paths through the gates)" in g.reason


def torch_lstm_direct_norms(torch, v, H):
    """‖Π (c, c) blocks of torch's step Jacobians‖₂ by lag, and whether each block is diagonal."""
    step = _torch_step(torch, "lstm", v, H)
    s, blocks = torch.zeros(2 * H, dtype=torch.float64), []
    for x in torch.tensor(np.asarray(v["x"], dtype=float)):
        J = torch.autograd.functional.jacobian(lambda u, x=x: step(u, x), s).numpy()
        blocks.append(J[H:, H:])
        s = step(s, x).detach()
    diagonal = all(np.allclose(B, np.diag(np.diag(B)), rtol=0, atol=0) for B in blocks)
    out, M = [1.0], np.eye(H)
    for B in reversed(blocks):
        M = M @ B
        out.append(np.linalg.norm(M, 2))
    return np.array(out), diagonal


@pytest.mark.parametrize("T, scale", [(6, 0.5), (15, 1.5)])
def test_lstm_direct_path_norms_match_torch_and_are_at_most_one(torch, T, scale):
    cell = lstm(3, 4)
    v = _values(cell, T, seed=T, scale=scale)
    f = flow(cell, T, v)
    want, diagonal = torch_lstm_direct_norms(torch, v, 4)
    assert diagonal  # the whole (c, c) block is diag(f_t), as the bound says (whole=True)
    np.testing.assert_allclose(np.exp(f.direct["c"]), want, rtol=1e-10, atol=0)
    assert np.all(np.diff(f.direct["c"]) <= 0) and np.all(f.direct["c"] <= 0)


def test_gru_direct_path_is_the_product_of_the_update_gates(torch):
    T, H = 9, 3
    cell = gru(2, H)
    v = _values(cell, T, seed=4, scale=1.0)
    step = _torch_step(torch, "gru", v, H)
    h, zs = torch.zeros(H, dtype=torch.float64), []
    for x in torch.tensor(np.asarray(v["x"], dtype=float)):
        a = v["W_ih"] @ x.numpy() + v["b_ih"] + v["W_hh"] @ h.numpy() + v["b_hh"]
        zs.append(1 / (1 + np.exp(-a[H:2 * H])))  # torch's rows: r, z, n
        h = step(h, x).detach()
    logs = np.log(np.array(zs))[::-1]
    want = np.concatenate([[0.0], np.max(np.cumsum(logs, axis=0), axis=1)])
    np.testing.assert_allclose(flow(cell, T, v).direct["h"], want, rtol=0, atol=1e-12)


def test_renderers_show_the_direct_path():
    cell = lstm(2, 2)
    f = flow(cell, 4, _values(cell, 4, seed=1))
    md = to_markdown(f)
    assert r"\operatorname{diag}({f}_{t})" in md and r"\prod \operatorname{diag}({f})" in md
    assert "the direct path" in md and r"\operatorname{diag}({f}_{t})" in to_latex(f)
    shown = to_text(flow_renderable(f), width=100)
    assert "∂c_t/∂c_{t-1} = diag(f_t)" in shown and "‖Π diag(f)‖" in shown
    for lag, log in enumerate(f.direct["c"]):
        assert f"{np.exp(log):.4f}" in shown, lag
    assert flow(elman(), 3, _values(elman(), 3, seed=1)).direct == {}


def test_flow_json_lists_the_gates(tmp_path):
    r = symbrnn("flow", "gru", "--values", "examples/cells/gru_values.json", "--json")
    assert r.returncode == 0, r.stderr
    (gate,) = json.loads(r.stdout)["bound"]["gates"]
    assert gate["state"] == "h" and gate["gate"] == "z_t" and gate["whole"] is False
    logs = gate["log10_direct_norms"]
    assert logs[0] == 0 and all(b <= a for a, b in zip(logs, logs[1:], strict=False))
