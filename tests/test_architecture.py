"""The house: the package's import graph (function-local imports included) and the size of its rooms.

Layers, from the bottom: core < declare < cells < derive < codegen < numeric < analysis < checking < render < the
package's face (``__init__``, ``cli``, ``testing``). A module imports only its own layer and the
layers below it, so the graph has no cycle; the core never imports rich and never prints.
"""

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PKG = Path(__file__).resolve().parents[1] / "symbrnn"
LAYERS = ("core", "declare", "cells", "derive", "codegen", "numeric", "analysis", "checking", "render")
TOP = len(LAYERS)  # __init__, __main__, cli, testing
MAX_LINES = 400
MAX_FUNCTION_LINES = 60
#: sympy's and the standard library's protocols, which other objects' underscore names may be
PROTOCOLS = ("_print", "_eval_", "_latex", "_sympystr", "_sympy_", "_repr_", "_replace", "_asdict", "_fields")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return TOP


def _targets(module: str, node) -> list[str]:
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        prefix = base[: len(base) - node.level + 1] if node.level else []
        target = ".".join(prefix + ([node.module] if node.module else []))
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]
    found = []
    for name in names:  # the longest known module the name is in
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.append(name)
    return found


def _type_checking_nodes(tree) -> set:
    skip = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            skip.update(id(c) for c in ast.walk(n))
    return skip


def import_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for module, tree in TREES.items():
        skip = _type_checking_nodes(tree)
        for n in ast.walk(tree):
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in skip:
                for target in _targets(module, n):
                    g.add_edge(module, target, line=n.lineno)
    return g


GRAPH = import_graph()


def test_the_import_graph_has_no_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert cycles == []


def test_no_layer_imports_a_higher_one():
    upward = [f"{a} -> {b} (line {d['line']})" for a, b, d in GRAPH.edges(data=True) if layer(b) > layer(a)]
    assert upward == []


def test_the_checker_sees_function_local_imports():
    # the display hook used to import render inside a method; such an import counts like any other
    tree = ast.parse("def f():\n    from ..render import renderable\n")
    (node,) = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert _targets("symbrnn.core.display", node) == ["symbrnn.render"]


def test_the_core_never_imports_rich_nor_prints():
    for module, tree in TREES.items():
        if layer(module) >= LAYERS.index("render"):
            continue
        for n in ast.walk(tree):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
                assert not any(name.split(".")[0] == "rich" for name in names), module
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                assert n.func.id != "print", f"{module}:{n.lineno} prints"


def test_importing_symbrnn_does_not_load_rich():
    code = "import sys, symbrnn; from symbrnn.cells import elman; print(sorted(m for m in sys.modules if m == 'rich'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most {MAX_LINES})"


def _long_functions(tree) -> list[str]:
    out = []
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = n.body[1:] if ast.get_docstring(n) else n.body
            if body:
                length = body[-1].end_lineno - body[0].lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{n.name} (line {n.lineno}): {length} lines")
    return out


def test_functions_are_short():
    long = {m: f for m, tree in TREES.items() if (f := _long_functions(tree))}
    assert long == {}


def _own_names(tree) -> set[str]:
    """Underscore names a module defines: functions, classes, attributes it assigns, parameters."""
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
            names.add(n.attr)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
    return names


def test_no_module_reads_another_modules_private_attributes():
    found = []
    for module, tree in TREES.items():
        own = _own_names(tree)
        for n in ast.walk(tree):
            if not isinstance(n, ast.Attribute) or not n.attr.startswith("_") or n.attr.startswith("__"):
                continue
            if isinstance(n.value, ast.Name) and n.value.id in ("self", "cls"):
                continue
            if n.attr in own or n.attr.startswith(PROTOCOLS):
                continue
            found.append(f"{module}:{n.lineno} .{n.attr}")
    assert found == []
