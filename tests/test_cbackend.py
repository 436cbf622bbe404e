"""The C backend: the BPTT plan written in C, built with the system's compiler, cached, and its errors."""

import ctypes
import os
import stat
import sys

import numpy as np
import pytest
import sympy as sp
from cellzoo import ZOO

from symbrnn import BackendError, Cell, compile_cell
from symbrnn.cells import elman
from symbrnn.codegen.c import build as cbuild
from symbrnn.declare.values import resolve_values
from symbrnn.numeric.gradients import loss_and_gradients
from symbrnn.numeric.programs import BPTTProgram


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty library cache, and nothing loaded yet in this process."""
    monkeypatch.setenv("SYMBRNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cbuild, "_LOADED", {})
    return tmp_path / "cache"


def _fake_compiler(tmp_path, body: str) -> str:
    path = tmp_path / "fake-cc"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_names_that_c_reserves_are_renamed_and_give_the_reference_numbers():
    cell = Cell("ckeys")
    x, y = cell.input("double"), cell.target("y0")
    w, b = cell.params("int static")
    h = cell.state("long", init=0)
    a = cell.node("fabs", w * x + b * h.prev)
    cell.update(h, sp.tanh(a))
    cell.loss((h - y) ** 2)
    values = {"double": [0.3, -0.2, 0.5, 0.1], "y0": [0.1, 0.2, -0.1, 0.0], "int": 0.7, "static": -0.4}
    want_loss, want = loss_and_gradients(cell, 4, values, wrt=["int", "static", "long_0"], strategy="terms")
    program = BPTTProgram(cell)
    source = program.c_source
    assert "static_v = _p[1]" in source and " static =" not in source  # Python takes int, double and long
    loss, got = program.run(resolve_values(program.cell, 4, values), wrt=["int", "static", "long_0"], backend="c")
    assert loss == pytest.approx(want_loss, rel=1e-13)
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12, abs=1e-15)


def test_a_long_sequence_in_c_matches_the_python_program():
    cell = elman()
    rng = np.random.default_rng(3)
    T = 5000
    values = {"w": .4, "U": .9, "V": .5, "b": .1, "c": -.2, "x": rng.normal(size=T), "y": rng.normal(size=T)}
    program = BPTTProgram(cell)
    loss_py, py = program.run(resolve_values(program.cell, T, values))
    loss_c, c = program.run(resolve_values(program.cell, T, values), backend="c")
    assert loss_c == pytest.approx(loss_py, rel=1e-12)
    for k in py:
        assert c[k] == pytest.approx(py[k], rel=1e-10, abs=1e-13)


def test_a_function_c_cannot_write_is_refused_by_name():
    cell = Cell("lambert")
    x, y = cell.input("x"), cell.target("y")
    w = cell.param("w")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(w * x + sp.LambertW(h.prev ** 2)))
    cell.loss((h - y) ** 2)
    with pytest.raises(BackendError, match=r"backend='c' cannot write 'LambertW' \(in cell 'lambert'\) in C; use"):
        _ = compile_cell(cell).c_source


def test_no_compiler_is_a_clear_error(fresh_cache, monkeypatch):
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(cbuild.shutil, "which", lambda name: None)
    values = ZOO["elman"][1](3)
    with pytest.raises(BackendError, match=r"backend='c' needs a C compiler for the BPTT program of cell 'elman'"):
        loss_and_gradients(elman(), 3, values, backend="c")
    # the other backends do not need one
    assert loss_and_gradients(elman(), 3, values, backend="python")[0] > 0


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the compiler")
def test_a_failing_compiler_is_named_with_its_error(fresh_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("CC", _fake_compiler(tmp_path, 'echo "bptt.c:1:1: error: no space left" >&2; exit 1'))
    with pytest.raises(BackendError, match=r"compiler '.*fake-cc' failed on the BPTT program of cell 'elman': "
                                           r"bptt.c:1:1: error: no space left"):
        compile_cell(elman()).gradients(ZOO["elman"][1](3), backend="c")


@pytest.mark.skipif(cbuild.find_compiler() is None and not os.environ.get("CI"), reason="no C compiler here")
def test_a_built_library_is_reused_from_the_cache(fresh_cache, monkeypatch, tmp_path):
    """The compiler runs once per source; a new process (here: an emptied in-memory table) loads the file."""
    real = cbuild.find_compiler()
    log = tmp_path / "calls"
    monkeypatch.setenv("CC", _fake_compiler(tmp_path, f'echo run >> "{log}"; exec {" ".join(real)} "$@"'))
    values = ZOO["elman"][1](3)
    first = loss_and_gradients(elman(), 3, values, backend="c")
    monkeypatch.setattr(cbuild, "_LOADED", {})
    second = loss_and_gradients(elman(), 3, values, backend="c")
    assert first == second
    assert log.read_text().split() == ["run"]
    assert sorted(p.suffix for p in fresh_cache.iterdir()) == [".c", ".so"]


def test_a_cell_name_from_a_file_cannot_reach_the_c_code():
    """The name is written into the source's comment: one that would end the comment is made harmless."""
    from symbrnn.declare.spec import load_cell_text

    text = """name = "x */ int main(void) { return 1; } /* y"
inputs = ["x"]
targets = ["y"]
params = ["w"]
[states]
h = { init = 0, update = "tanh(w*x + h.prev)" }
[loss]
L = "(h - y)**2"
"""
    cell = load_cell_text(text, "evil.toml")
    source = compile_cell(cell).c_source
    assert source.count("*/") == 1 and "int main" not in source
    values = {"x": [0.5, -0.2], "y": [0.1, 0.3], "w": 0.7}
    want = loss_and_gradients(cell, 2, values, strategy="terms")[1]
    assert loss_and_gradients(cell, 2, values, backend="c")[1]["w"] == pytest.approx(want["w"], rel=1e-12)


def test_big_integers_pi_and_math_macro_names_in_c():
    """C reads an integer literal past 2**63 as a truncated integer, has no M_PI in C99, and has macros like NAN."""
    cell = Cell("literals")
    x, y = cell.input("x"), cell.target("y")
    w, nan = cell.params("w NAN")
    h = cell.state("h", init=0)
    cell.update(h, sp.tanh(w * x + nan * h.prev + w * x * sp.Integer(2) ** 70 / sp.Integer(10) ** 21 + sp.pi / 10))
    cell.loss((h - y) ** 2)
    values = {"x": [0.3, -0.2, 0.5], "y": [0.1, 0.2, -0.1], "w": 0.7, "NAN": -0.4}
    want_loss, want = loss_and_gradients(cell, 3, values, strategy="terms")
    loss, got = loss_and_gradients(cell, 3, values, backend="c")
    assert loss == pytest.approx(want_loss, rel=1e-13)
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12)


def test_builds_from_several_threads_and_a_damaged_library(fresh_cache):
    import threading

    source = "double three(void) { return 3.0; }\n"
    errors_seen, libs = [], []

    def build():
        try:
            libs.append(cbuild.build_library(source, what="a test"))
        except Exception as exc:  # noqa: BLE001 - any failure is the test's failure
            errors_seen.append(exc)

    threads = [threading.Thread(target=build) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors_seen and len(libs) == 6
    assert sorted(p.suffix for p in fresh_cache.iterdir()) == [".c", ".so"]  # no temporary file left
    so = next(fresh_cache.glob("*.so"))
    so.unlink()  # (the loaded one stays mapped)
    so.write_bytes(b"")  # damaged, as by a full disk
    cbuild._LOADED.clear()
    lib = cbuild.build_library(source, what="a test")
    lib.three.restype = ctypes.c_double
    assert lib.three() == 3.0
