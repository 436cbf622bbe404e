"""The public surface, the README's contract example, the graphs, and the numbers of every term."""

import doctest
import re
from pathlib import Path

import mpmath
import networkx as nx
import pytest
import sympy as sp
from cellzoo import ZOO

import symbrnn
from symbrnn import Cell, derive, gradients, prev, unroll
from symbrnn.core.symbols import Step

ROOT = Path(__file__).resolve().parents[1]


def test_public_surface_is_sorted_and_importable():
    assert symbrnn.__all__ == sorted(symbrnn.__all__)
    for name in symbrnn.__all__:
        assert getattr(symbrnn, name) is not None


def _readme_blocks(lang):
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_contract_example_runs_and_gives_the_reference_gradients():
    block = _readme_blocks("python")[0]
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own documentation, not user data
    d, values, cell = namespace["d"], namespace["values"], namespace["cell"]
    assert isinstance(d, symbrnn.TotalDerivative)
    grads = gradients(cell, T=3, values=values)
    assert list(grads) == ["w", "U", "V", "b", "c"]
    assert d.value(values) == pytest.approx(grads["U"], abs=1e-15)
    # keyed by symbol, the same numbers
    by_symbol = {cell.symbol(k) if k in cell.names() else k: v for k, v in values.items()}
    assert gradients(cell, T=3, values=by_symbol) == grads


def test_readme_term_examples_are_doctests_that_pass():
    blocks = _readme_blocks("python")
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    doctests = [b for b in blocks if b.lstrip().startswith(">>>")]
    assert doctests
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(doctests):
        test = doctest.DocTestParser().get_doctest(block, dict(namespace), f"README[{i}]", "README.md", 0)
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 5


def test_readme_commands_are_the_ones_ci_runs():
    commands = _readme_blocks("bash")
    assert commands[0].strip().endswith("symbrnn solve elman --values examples/cells/seed002_values.toml")
    test_command = commands[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]' torch==2.13.0" in ci and ".venv/bin/python -m pytest" in ci
    assert "pip install -e '.[test]' torch==2.13.0 && .venv/bin/python -m pytest" in test_command


def test_cell_graph_is_a_networkx_digraph_with_kinds_expressions_and_delays():
    cell = ZOO["elman"][0]()
    G = cell.graph
    assert isinstance(G, nx.DiGraph)
    assert dict(G.nodes(data="kind")) == {
        "x": "input", "y": "target", "w": "param", "U": "param", "V": "param", "b": "param", "c": "param",
        "h": "state", "a": "node", "yhat": "node", "L": "loss",
    }
    assert G.edges["h", "a"]["delay"] and not G.edges["h", "yhat"]["delay"]
    assert G.edges["a", "h"]["lags"] == (0,)
    assert set(G.predecessors("a")) == {"w", "x", "U", "h", "b"}
    with pytest.raises(nx.NetworkXError):
        G.add_node("oops")  # read-only view


def test_from_graph_round_trip_gives_the_same_gradients():
    for make, make_values in ZOO.values():
        cell = make()
        again = Cell.from_graph(cell.graph)
        assert again.names() == cell.names()
        values = make_values(3)
        assert gradients(again, 3, values) == gradients(cell, 3, values)


def test_from_graph_with_plain_symbols_and_prev():
    x, w, u, h, y = sp.symbols("x w u h y")
    G = nx.DiGraph(name="plain")
    G.add_node("x", kind="input")
    G.add_node("y", kind="target")
    G.add_nodes_from(["w", "u"], kind="param")
    G.add_node("h", kind="state", init=0.5, expr=sp.tanh(w * x + u * prev("h")))
    G.add_node("L", kind="loss", expr=(h - y) ** 2)
    cell = Cell.from_graph(G)
    assert cell.name == "plain"
    values = {"w": 0.3, "u": -0.6, "x": [1, 2], "y": [0.1, 0.2]}
    report = symbrnn.testing.check_gradients(cell, 2, values, wrt=["w", "u", "h_0"])
    assert report.ok, str(report)


def test_unroll_has_initial_states_at_zero_and_every_step():
    cell = ZOO["learned_init"][0]()
    u = unroll(cell, 3)
    assert u.graph.nodes["h_0"]["kind"] == "initial"
    assert u.graph.nodes["h_0"]["expr"] == cell.symbol("h0")
    assert u.graph.has_edge("h0", "h_0")
    assert nx.is_directed_acyclic_graph(u.graph)
    w, x2, h1 = cell.symbol("w"), u.symbol("x", 2), u.symbol("h", 1)
    assert u.expr(u.symbol("h", 2)) == sp.tanh(w * x2 + cell.symbol("u") * h1)
    assert u.graph.nodes["L"]["kind"] == "total_loss"
    assert sorted(u.graph.predecessors("L")) == ["L_1", "L_2", "L_3"]
    # time steps order numerically
    assert [s.t for s in unroll(cell, 11).order if s.base == "h"] == list(range(12))


def test_terms_evaluated_by_their_own_expressions_at_high_precision():
    """Each term's number equals its displayed expression evaluated with sympy at 30 digits."""
    make, make_values = ZOO["gated"]
    cell, values = make(), make_values(3)
    for mode in ("forward", "reverse"):
        d = derive(cell, 3, wrt="ug", mode=mode)
        ev = d.evaluate(values)
        env = {cell.symbol(p): sp.Float(v, 30) for p, v in values.items() if p in cell.names("param")}
        for sym_name, value in ev.forward.items():
            env[Step(sym_name, real=True)] = sp.Float(value, 30)
        for term in ev.terms:
            exact = term.expr.xreplace(env).evalf(30)
            env[term.symbol] = exact
            assert float(exact) == pytest.approx(term.value, rel=1e-12, abs=1e-14), term


def test_check_gradients_reports_a_wrong_engine(monkeypatch):
    make, make_values = ZOO["elman"]
    cell, values = make(), make_values(3)
    real = symbrnn.testing.derive

    class Off:
        def __init__(self, d):
            self.d = d

        def value(self, v):
            return self.d.value(v) + 1e-7

    monkeypatch.setattr(symbrnn.testing, "derive", lambda *a, **k: Off(real(*a, **k)))
    report = symbrnn.testing.check_gradients(cell, 3, values)
    assert not report.ok
    assert "MISMATCH" in str(report)
    with pytest.raises(symbrnn.GradientCheckError, match="disagree with finite differences"):
        symbrnn.testing.check_gradients(cell, 3, values, raise_on_mismatch=True)


def test_mp_loss_matches_the_numpy_forward_pass():
    make, make_values = ZOO["gated"]
    cell, values = make(), make_values(3)
    loss = symbrnn.testing.mp_loss(cell, 3, values)
    ev = derive(cell, 3, wrt="wg").evaluate(values)
    params = {p: values[p] for p in cell.names("param")}
    assert float(loss(params)) == pytest.approx(ev.loss, rel=1e-14)
    assert isinstance(loss(params), mpmath.mpf)


def test_derivative_of_a_node_at_a_step():
    cell = ZOO["elman"][0]()
    values = ZOO["elman"][1](3)
    for mode in ("forward", "reverse"):
        d = derive(cell, 3, wrt="w", of="yhat_2", mode=mode)
        assert str(d.of) == "yhat_2"
        # yhat_2 = V h_2 + c: its derivative is V * dh_2/dw
        dh = derive(cell, 3, wrt="w", of="h_2").value(values)
        assert d.value(values) == pytest.approx(values["V"] * dh, rel=1e-14)


def test_compiled_cell_gives_the_engine_numbers_and_readable_source():
    from symbrnn import compile_cell

    for make, make_values in ZOO.values():
        cell, values = make(), make_values(4)
        f = compile_cell(cell)
        # the loss against a 50-digit forward pass that shares no code with the kernels
        params = {p: values[p] for p in cell.names("param")}
        assert f.loss(values) == pytest.approx(float(symbrnn.testing.mp_loss(cell, 4, values)(params)), rel=1e-14)
        # forward values against the unrolled expressions evaluated by sympy
        trace, u = f.forward(values), unroll(cell, 4)
        env = {cell.symbol(p): v for p, v in params.items()}
        env.update({u.symbol(n, t): values[n][t - 1] for n in cell.names("input") + cell.names("target")
                    for t in range(1, 5)})
        for s in cell.order():
            for t in range(1, 5):
                exact = float(u.expanded(u.symbol(s, t)).xreplace(env).evalf(30))
                assert trace[s][t] == pytest.approx(exact, rel=1e-13, abs=1e-15), (s, t)
        # gradients against finite differences
        wrts = list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]
        grads = f.gradients(values, wrt=wrts)
        report = symbrnn.testing.check_gradients(cell, 4, values, wrt=wrts)
        for wrt in wrts:
            assert grads[wrt] == pytest.approx(float(report[wrt].reference), rel=1e-10, abs=1e-12)
        source = f.source
        assert "def " in source and "_c0" in source and "Dummy" not in source
    with pytest.raises(symbrnn.MissingValueError, match="cannot tell T"):
        compile_cell(ZOO["elman"][0]()).loss({"w": 1})


def test_kernels_are_rebuilt_when_the_cell_changes():
    cell = Cell("grow")
    x = cell.input("x")
    w = cell.param("w")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(w * x + h.prev))
    cell.loss(h**2)
    values = {"w": 0.5, "x": [1.0, -0.5]}
    before = gradients(cell, 2, values)
    v = cell.param("v")  # a new param, used only by a new node: stale kernels would not know it
    cell.node("extra", v * x)
    assert gradients(cell, 2, {**values, "v": 2.0})["w"] == before["w"]
    report = symbrnn.testing.check_gradients(cell, 2, {**values, "v": 2.0})
    assert report.ok and report["v"].engine == 0.0


def test_str_lists_every_term_in_order_with_its_number():
    cell, values = ZOO["elman"][0](), ZOO["elman"][1](2)
    d = derive(cell, 2, wrt="U", mode="reverse")
    text = str(d.evaluate(values)).splitlines()
    assert len(text) == len(d.terms)
    assert text[-1].split() == ["result", "dL/dU", "=", "dL/dU[1]", "+", "dL/dU[2]", "=", text[-1].split()[-1]]
    assert any(line.split()[:3] == ["delta", "δh_1", "="] for line in text)
    with pytest.raises(KeyError, match="no contribution term at step 1 in this forward-mode derivation"):
        derive(cell, 2, wrt="U").contribution(1)


def test_readme_lstm_example_runs_and_agrees_with_finite_differences():
    block = [b for b in _readme_blocks("python") if 'Cell("small_lstm")' in b][0]
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own documentation
    grads, cell, values = namespace["grads"], namespace["cell"], namespace["values"]
    assert {k: v.shape for k, v in grads.items()} == {"W": (8, 3), "U": (8, 2), "b": (8,)}
    report = symbrnn.testing.check_gradients(cell, 4, values, wrt=["b[1]", "W[5,2]", "U[7,0]"])
    assert report.ok, str(report)
    assert grads["b"][1] == pytest.approx(float(report["b[1]"].reference), rel=1e-10)
    assert grads["W"][5, 2] == pytest.approx(float(report["W[5,2]"].reference), rel=1e-10)


def test_check_gradients_takes_symbols_and_compares_the_loss():
    cell, values = ZOO["elman"][0](), ZOO["elman"][1](3)
    h = cell.symbol("h")
    by_symbol = symbrnn.testing.check_gradients(cell, 3, values, wrt=[cell.symbol("U"), h.at(0)])
    by_name = symbrnn.testing.check_gradients(cell, 3, values, wrt=["U", "h_0"])
    assert by_symbol.ok and by_name.ok, str(by_symbol)
    assert list(by_symbol) == ["U", "h_0"]
    assert by_symbol["h_0"].engine == by_name["h_0"].engine != 0
    assert float(by_symbol.loss_reference) == pytest.approx(by_symbol.loss_engine, rel=1e-14)
    assert "loss L" in str(by_symbol)


def test_check_gradients_scales_its_step_for_large_params():
    # with an absolute step of 1e-16, c + eps == c at 50 digits would read as a zero derivative
    cell, values = ZOO["elman"][0](), {**ZOO["elman"][1](3), "c": 1e30}
    report = symbrnn.testing.check_gradients(cell, 3, values, wrt=["c"])
    assert report.ok, str(report)
    assert report["c"].engine == pytest.approx(float(report["c"].reference), rel=1e-12) and report["c"].engine > 1e29


def test_names_of_library_functions_get_unique_identifiers():
    """Params named like numpy/math functions, and their renamed forms, all compile and are right."""
    cell = Cell("names")
    x = cell.input("x")
    e, exp_, sum_, lgamma = cell.params("exp exp_ sum lgamma")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(e * x + exp_ * h.prev + sum_) + lgamma)
    cell.loss(h**2)
    values = {"exp": 0.3, "exp_": -0.4, "sum": 0.2, "lgamma": 0.1, "x": [1.0, 2.0]}
    assert symbrnn.testing.check_gradients(cell, 2, values).ok
    ids = symbrnn.codegen.kernels.identifiers(cell)
    assert len({s.name for s in ids.values()}) == len(ids)


def test_partials_lookup_works_on_a_derivation_too():
    d = derive(ZOO["elman"][0](), 3, wrt="U")
    (jac,) = d.partials(2)
    assert str(jac.symbol) == "∂h_2/∂h_1"


def test_readme_programs_and_progress_examples_run(capsys):
    blocks = [b for b in _readme_blocks("python") if "array_source" in b or "progress.reporting" in b]
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # our own documentation
    out = capsys.readouterr().out
    assert "def bptt(T, _seq_x, _seq_y, W, U, b, _init_c, _init_h):" in out and "_g_W = _o_W_a.T @ _o_W_b" in out
    assert out.strip().splitlines()[-4:] == [f"deriving dL/dU (forward mode): {k}/3" for k in range(4)]


def test_every_python_block_in_the_readme_runs(tmp_path, monkeypatch):
    """Every block runs: each continues the running example of the first block (in a copy of its namespace)."""
    monkeypatch.chdir(tmp_path)  # the blocks that write files write them here
    blocks = _readme_blocks("python")
    first = {}
    exec(compile(blocks[0], "README.md[0]", "exec"), first)  # our own documentation, not user data
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    ran = 0
    for i, block in enumerate(blocks[1:], start=1):
        if block.lstrip().startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(block, dict(first), f"README[{i}]", "README.md", 0)
            runner.run(test)
        else:
            exec(compile(block, f"README.md[{i}]", "exec"), dict(first))
        ran += 1
    assert runner.failures == 0
    assert ran == len(blocks) - 1 >= 8
