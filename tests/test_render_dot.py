"""Graphviz DOT export: the unrolled graph, the paths of explicit and implicit terms marked."""

import shutil

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
