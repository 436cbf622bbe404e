"""Graphviz DOT: a cell's own graph, the unrolled graph, and a derivation's paths marked on it.

:func:`to_dot` takes a :class:`~symbrnn.Cell` (its graph, delay edges dashed
and labelled ``t-1``), an :class:`~symbrnn.Unrolled` graph, or a derivation
(componentwise or for a whole array). The unrolled graph has one cluster per
step, left to right in step order (the initial states at t = 0), and params
apart; a shaped cell keeps its arrays whole. A derivation's edges are marked
(see :mod:`symbrnn.render.dotgraph`):

- explicit (green): the explicit terms ∂h_t/∂θ and ∂L_t/∂θ;
- implicit (magenta, forward mode): ∂h_t/∂h_{t-1}, carrying dh_{t-1}/dθ forward;
- delta (orange, reverse mode, arrows drawn backwards): the same edges
  carrying δh_t back to the previous step;
- chain (blue): ∂L_t/∂h_t.

:func:`render_dot` turns the text into SVG or PNG when Graphviz's ``dot``
is installed.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> text = to_dot(derive(elman(), T=2, wrt="U", mode="forward"))
>>> print(text.splitlines()[0])
digraph "elman, T = 2: dL/dU (forward mode)" {
>>> for line in text.splitlines():
...     if line.strip().startswith(('"U" -> "a_1"', '"h_1" -> "a_2"')):
...         print(line.strip())
"U" -> "a_1" [color="#2e7d32", penwidth=2.2, tooltip="explicit"];
"h_1" -> "a_2" [color="#8e24aa", penwidth=2.2, tooltip="implicit", style=dashed];
>>> reverse = to_dot(derive(elman(), T=2, wrt="U", mode="reverse"))
>>> [line.strip() for line in reverse.splitlines() if '"h_1" -> "a_2"' in line]
['"h_1" -> "a_2" [color="#ef6c00", penwidth=2.2, tooltip="delta", dir=back, style=dashed];']
>>> print(*[line for line in to_dot(elman()).splitlines() if "t-1" in line])
  "h" -> "a" [style=dashed, label="t-1"];
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import networkx as nx

from ..core.kinds import DELAY, LAGS
from ..declare.cell import Cell
from ..declare.tensor import Tensor
from ..derive.unroll import Unrolled
from .dotgraph import path_marks, step_graph

__all__ = ["MARKS", "marked_edges", "render_dot", "to_dot"]

#: colour of each kind of marked edge
MARKS = {"explicit": "#2e7d32", "implicit": "#8e24aa", "delta": "#ef6c00", "chain": "#1565c0"}
_SHAPES = {"param": "ellipse", "input": "plaintext", "target": "plaintext", "initial": "box",
           "state": "box", "node": "box", "loss": "diamond", "total_loss": "doubleoctagon"}
_LEGEND = {"forward": "green: explicit terms, magenta: implicit (through the previous state), blue: to the loss;",
           "reverse": "green: explicit terms, orange: the deltas, carried back a step (arrows reversed), blue:"
                      " to the loss;"}


def _q(name: str) -> str:
    """A DOT string: quotes and backslashes escaped, a newline as DOT's \\n."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrt(d) -> str:
    return str(getattr(d.wrt, "name", d.wrt))


def marked_edges(d) -> dict[tuple[str, str], tuple[str, ...]]:
    """Edge -> the kinds of path it is on (``explicit``, ``implicit`` or ``delta``, ``chain``) for the
    derivation ``d`` (componentwise or for a whole array), on its :func:`~symbrnn.render.dotgraph.step_graph`.

    An edge may be on several: a_t -> h_t carries both the explicit term of U and the implicit one.
    Unmarked edges are left out.
    """
    return path_marks(step_graph(d.cell, d.T), _wrt(d), d.mode)


def _label(name: str, shape) -> str:
    return f"{name}\n{'×'.join(map(str, shape))}" if shape else name


def _node(g: nx.DiGraph, n: str) -> str:
    data = g.nodes[n]
    label = f", label={_q(_label(n, data['shape']))}" if data.get("shape") else ""
    return f"{_q(n)} [shape={_SHAPES.get(data['kind'], 'box')}{label}];"


def to_dot(obj, *, title: str | None = None) -> str:
    """DOT text of a cell's graph, of an unrolled graph, or of a derivation's with its terms' paths marked.

    Parameters
    ----------
    obj : Cell, Unrolled, TotalDerivative or MatrixDerivative
    title : str, optional
        The graph's label (default: the cell, T and the derivative).
    """
    if isinstance(obj, Cell):
        return _cell_dot(obj, title)
    if isinstance(obj, Unrolled):
        cell, T, d = obj.cell, obj.T, None
    else:
        cell, T, d = obj.cell, obj.T, obj
    name = cell.origin.name if cell.origin is not None else cell.name
    g = step_graph(cell, T)
    marks = path_marks(g, _wrt(d), d.mode) if d is not None else {}
    name = title or (f"{name}, T = {T}: d{d.of}/d{_wrt(d)} ({d.mode} mode)" if d else f"{name}, T = {T}")
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR; newrank=true;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#9e9e9e"];', f"  label={_q(name)}; labelloc=t;"]
    params = sorted(n for n, k in g.nodes(data="kind") if k == "param")
    if params:
        lines.append('  subgraph cluster_params { label="params"; style=dashed;')
        lines += [f"    {_node(g, p)}" for p in params]
        lines.append("  }")
    for t in sorted({t for t in dict(g.nodes(data="t")).values() if t is not None}):  # 0, 1, 2, ... in order
        members = sorted((n for n, s in g.nodes(data="t") if s == t), key=lambda n: (g.nodes[n]["kind"], n))
        lines.append(f'  subgraph cluster_{t} {{ label="t = {t}"; style=rounded;')
        lines += [f"    {_node(g, n)}" for n in members]
        lines.append("  }")
    lines += [f"  {_node(g, n)}" for n, k in sorted(g.nodes(data="kind")) if k == "total_loss"]
    for a, b in sorted(g.edges):
        lines.append(f"  {_q(a)} -> {_q(b)}" + _edge_attrs(g, a, b, marks.get((a, b), ())) + ";")
    if marks:
        lines.append(f"  legend [shape=note, label={_q(_LEGEND[d.mode] + ' dashed: delay edge')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edge_attrs(g: nx.DiGraph, a: str, b: str, kinds: tuple) -> str:
    attrs = []
    if kinds:
        colours = ":".join(MARKS[k] for k in kinds)  # several colours: parallel lines
        attrs += [f'color="{colours}"', "penwidth=2.2", f'tooltip="{" + ".join(kinds)}"']
        if kinds == ("delta",):
            attrs.append("dir=back")  # the delta flows from b back to a
    ta, tb = g.nodes[a].get("t"), g.nodes[b].get("t")
    if ta is not None and tb is not None and ta < tb:
        attrs.append("style=dashed")  # a delay edge: the previous step's value
    return f" [{', '.join(attrs)}]" if attrs else ""


def _cell_dot(cell: Cell, title: str | None) -> str:
    """The cell's own graph: one node per quantity, a delay edge dashed and labelled t-1."""
    g = cell.graph
    name = title or f"cell {cell.name}"
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#616161"];', f"  label={_q(name)}; labelloc=t;"]
    for n in cell.names():
        text = _label(n, cell.shape(n))
        if cell.kind(n) == "state":
            init = cell.init(n)
            text += "\n(" + f"{n}_0 = {(init.name or 'an array') if isinstance(init, Tensor) else init}" + ")"
        label = f", label={_q(text)}" if text != n else ""
        lines.append(f"  {_q(n)} [shape={_SHAPES.get(cell.kind(n), 'box')}{label}];")
    for u, v, data in sorted(g.edges(data=True), key=lambda e: (e[0], e[1])):
        lags = sorted(data.get(LAGS, ())) or ([1] if data.get(DELAY) else [0])
        for lag in lags:
            lines.append(f"  {_q(u)} -> {_q(v)}" + (' [style=dashed, label="t-1"]' if lag else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(text: str, path, *, fmt: str | None = None) -> Path:
    """Write the picture of DOT ``text`` to ``path`` (SVG, PNG, PDF: from the suffix or ``fmt``) with Graphviz.

    Raises
    ------
    RuntimeError
        When Graphviz's ``dot`` is not installed (the DOT text itself needs nothing).
    """
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("Graphviz's 'dot' is not installed (e.g. apt-get install graphviz); save the DOT text"
                           " instead, or paste it into any Graphviz viewer")
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".") or "svg"
    subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=text, text=True, check=True, capture_output=True)
    return path
