"""Graphviz DOT export: the unrolled graph, the paths of explicit and implicit terms marked."""

import shutil
import subprocess

import networkx as nx
import pytest
from cellzoo import elman, gated, learned_init
from test_render_rich import check_snapshot

from symbrnn import derive, unroll
from symbrnn.render import marked_edges, render_dot, to_dot


def test_elman_dot_snapshot():
    check_snapshot("dot_elman_U_T2.dot", to_dot(derive(elman(), 2, wrt="U")))


def test_marks_follow_the_chain_rule_terms():
    d = derive(elman(), 3, wrt="U")
    marks = marked_edges(d)
    for t in (1, 2, 3):
        assert marks["U", f"a_{t}"] == ("explicit",)              # ∂a_t/∂U: the explicit term starts here
        assert marks[f"h_{t - 1}", f"a_{t}"] == ("implicit",)     # ∂h_t/∂h_{t-1}: the implicit term
        assert marks[f"a_{t}", f"h_{t}"] == ("explicit", "implicit")
        assert marks[f"yhat_{t}", f"L_{t}"] == ("chain",)
        assert ("V", f"yhat_{t}") not in marks and ("w", f"a_{t}") not in marks
    # every marked explicit edge lies on a path from U, every implicit one on a path from a previous state
    g = d.unrolled.graph
    for (a, b), kinds in marks.items():
        if "explicit" in kinds:
            assert a == "U" or nx.has_path(g, "U", a)
        if "implicit" in kinds:
            t = g.nodes[b]["t"]
            assert a == f"h_{t - 1}" or nx.has_path(g, f"h_{t - 1}", a)


def test_two_states_and_a_loss_reading_the_previous_state():
    marks = marked_edges(derive(gated(), 2, wrt="ug"))
    assert marks["c_0", "c_1"] == ("implicit",) and marks["ug", "g_2"] == ("explicit",)
    marks = marked_edges(derive(learned_init(), 2, wrt="w"))
    assert marks["h_0", "L_1"] == ("chain",) and marks["w", "h_1"] == ("explicit",)


def test_unrolled_graph_without_a_derivation_has_every_node_and_no_marks():
    u = unroll(elman(), 3)
    text = to_dot(u)
    for node in u.graph.nodes:
        assert f'"{node}"' in text
    assert "tooltip" not in text and text.count(" -> ") == u.graph.number_of_edges()


def test_svg_when_graphviz_is_installed(tmp_path):
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="Graphviz's 'dot' is not installed"):
            render_dot(to_dot(unroll(elman(), 2)), tmp_path / "g.svg")
        pytest.skip("Graphviz is not installed")
    out = render_dot(to_dot(derive(gated(), 2, wrt="ug")), tmp_path / "g.svg")
    assert out.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_steps_are_listed_and_laid_out_in_order():
    text = to_dot(derive(elman(), 12, wrt="U"))
    clusters = [line.split()[1] for line in text.splitlines() if line.lstrip().startswith("subgraph cluster_")]
    assert clusters == ["cluster_params"] + [f"cluster_{t}" for t in range(13)]  # 0, 1, ..., 12: not 1, 10, 11, 2
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: the layout is not checked")
    from symbrnn.cells import lstm_gomez
    for d, state in ((derive(elman(), 4, wrt="U"), "h"), (derive(lstm_gomez(), 3, wrt="W"), "c"),
                     (derive(gated(), 4, wrt="ug"), "c")):
        plain = subprocess.run(["dot", "-Tplain"], input=to_dot(d), text=True, capture_output=True, check=True)
        x = {f[1].strip('"'): float(f[2]) for f in (line.split() for line in plain.stdout.splitlines())
             if f[0] == "node"}
        xs = [x[f"{state}_{t}"] for t in range(d.T + 1)]
        assert xs == sorted(xs) and len(set(xs)) == len(xs), (d, xs)  # left to right, step by step


def test_reverse_mode_marks_the_delta_paths():
    forward, reverse = (marked_edges(derive(elman(), 3, wrt="U", mode=m)) for m in ("forward", "reverse"))
    assert forward.keys() == reverse.keys()  # the same edges carry the terms in both modes
    for edge, kinds in forward.items():
        assert reverse[edge] == tuple("delta" if k == "implicit" else k for k in kinds)
    text = to_dot(derive(elman(), 3, wrt="U", mode="reverse"))
    assert '"h_2" -> "a_3" [color="#ef6c00", penwidth=2.2, tooltip="delta", dir=back, style=dashed];' in text
    assert "orange: the deltas" in text and "magenta" not in text


def test_a_shaped_cell_is_drawn_with_whole_arrays():
    from symbrnn.cells import lstm
    texts = [to_dot(derive(lstm(3, H), 2, wrt="W_hh")) for H in (4, 64)]
    assert texts[0].count(" -> ") == texts[1].count(" -> ")  # no components, at any hidden size
    assert '"W_hh" [shape=ellipse, label="W_hh\\n16×4"];' in texts[0]
    marks = marked_edges(derive(lstm(3, 4), 2, wrt="W_hh"))
    assert marks["W_hh", "z_1"] == ("explicit",) and "delta" in marks["h_1", "z_2"]
    # a component's derivation marks its array's paths
    assert marked_edges(derive(lstm(3, 2), 2, wrt="W_hh[0,1]", mode="forward"))["W_hh", "z_2"] == ("explicit",)


def test_the_cells_own_graph():
    from symbrnn.cells import lstm_gomez
    cell = lstm_gomez()
    text = to_dot(cell)
    for u, v, data in cell.graph.edges(data=True):
        edge = f'"{u}" -> "{v}"'
        assert (edge + ' [style=dashed, label="t-1"];' if data["delay"] else edge + ";") in text
    assert '"c" [shape=box, label="c\\n1\\n(c_0 = 0)"];' in text and text.count(" -> ") == cell.graph.number_of_edges()


def test_cli_writes_dot_and_draws_it(tmp_path):
    from symbrnn.cli import main
    path = tmp_path / "d.dot"
    assert main(["derive", "gru", "--input-size", "2", "--hidden-size", "3", "--steps", "3", "--wrt", "W_ih",
                 "-o", str(path), "--format", "dot"]) == 0
    assert path.read_text().startswith('digraph "gru, T = 3: dL/dW_ih (reverse mode)" {')
    assert main(["show", "elman", "--format", "dot", "-o", str(tmp_path / "c.dot")]) == 0
    assert (tmp_path / "c.dot").read_text() == to_dot(elman_builtin())
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    svg = tmp_path / "d.svg"
    assert main(["derive", "elman", "--steps", "2", "--wrt", "U", "--format", "dot", "-o", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


def elman_builtin():
    from symbrnn.cells import elman as builtin
    return builtin()
