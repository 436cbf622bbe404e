"""The unrolled computation graph as Graphviz DOT, with the paths of explicit and implicit terms marked.

One cluster per step (the initial states at t = 0), params apart. For a
derivation d(L)/dθ the edges are marked:

- explicit (green): the paths from θ to a state inside one step, previous
  states held fixed (the explicit term ∂h_t/∂θ), and from θ to the loss;
- implicit (magenta): the paths from the previous states to a state (the
  step Jacobian ∂h_t/∂h_{t-1} that carries dh_{t-1}/dθ forward);
- chain (blue): the paths from the states to the per-step loss (∂L_t/∂h_t).

:func:`render_dot` turns the text into SVG or PNG when Graphviz's ``dot``
is installed.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> text = to_dot(derive(elman(), T=2, wrt="U"))
>>> print(text.splitlines()[0])
digraph "elman, T = 2: dL/dU" {
>>> for line in text.splitlines():
...     if line.strip().startswith(('"U" ->', '"h_1" -> "a_2"')):
...         print(line.strip())
"U" -> "a_1" [color="#2e7d32", penwidth=2.2, tooltip="explicit"];
"U" -> "a_2" [color="#2e7d32", penwidth=2.2, tooltip="explicit"];
"h_1" -> "a_2" [color="#8e24aa", penwidth=2.2, tooltip="implicit", style=dashed];
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import networkx as nx

from ..core.symbols import Prev, step_name
from ..derive.total import TotalDerivative
from ..derive.unroll import Unrolled

__all__ = ["MARKS", "marked_edges", "render_dot", "to_dot"]

#: colour of each kind of marked edge
MARKS = {"explicit": "#2e7d32", "implicit": "#8e24aa", "chain": "#1565c0"}
_SHAPES = {"param": "ellipse", "input": "plaintext", "target": "plaintext", "initial": "box",
           "state": "box", "node": "box", "loss": "diamond", "total_loss": "doubleoctagon"}


def _q(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _between(g: nx.DiGraph, sources: set, target: str, inside: set) -> set[tuple[str, str]]:
    """Edges on paths from ``sources`` to ``target`` whose inner nodes all lie in ``inside``."""
    sub = nx.DiGraph(g.subgraph(sources | inside | {target}))
    sub.remove_edges_from([(u, v) for u, v in list(sub.edges) if v in sources])  # no path through a source
    reach = set()
    for s in sources:
        if s in sub:
            reach |= nx.descendants(sub, s) | {s}
    back = nx.ancestors(sub, target) | {target}
    keep = reach & back
    return {(u, v) for u, v in sub.edges if u in keep and v in keep and u not in (target,) and v not in sources}


def marked_edges(d: TotalDerivative) -> dict[tuple[str, str], tuple[str, ...]]:
    """Edge -> the kinds of path it is on (``explicit``, ``implicit``, ``chain``) for the derivation ``d``.

    An edge may be on several: a_t -> h_t carries both the explicit term of U and the implicit one.
    Unmarked edges are left out.
    """
    g, cell = d.unrolled.graph, d.cell
    theta = d.wrt.name
    found: dict[tuple[str, str], set[str]] = {}

    def mark(edges, kind):
        for edge in edges:
            found.setdefault(edge, set()).add(kind)

    step_of = dict(g.nodes(data="t"))
    def at(z, t: int) -> str:
        return step_name(z.name, t - 1 if isinstance(z, Prev) else t)

    for t in range(1, d.T + 1):
        inside = {n for n, s in step_of.items() if s == t and g.nodes[n]["kind"] in ("node", "state")}
        for s in d.states:
            target = step_name(s, t)
            same = inside - {target}
            mark(_between(g, {at(z, t) for z in d.cell_partials.frontier(s)}, target, same), "implicit")
            if theta in g and g.nodes[theta]["kind"] == "param":
                mark(_between(g, {theta}, target, same), "explicit")
        loss = step_name(cell.loss_name, t)
        nodes_only = {n for n in inside if g.nodes[n]["kind"] == "node"}
        mark(_between(g, {at(z, t) for z in d.cell_partials.frontier(cell.loss_name)}, loss, nodes_only), "chain")
        if theta in g and g.nodes[theta]["kind"] == "param":
            mark(_between(g, {theta}, loss, nodes_only), "explicit")
    return {edge: tuple(k for k in MARKS if k in kinds) for edge, kinds in sorted(found.items())}


def to_dot(obj, *, title: str | None = None) -> str:
    """DOT text of an :class:`~symbrnn.Unrolled` graph, or of a derivation's with its terms' paths marked.

    Parameters
    ----------
    obj : TotalDerivative or Unrolled
    title : str, optional
    """
    d = obj if isinstance(obj, TotalDerivative) else None
    u: Unrolled = obj.unrolled if d is not None else obj
    g = u.graph
    marks = marked_edges(d) if d is not None else {}
    name = title or (f"{u.cell.name}, T = {u.T}: d{d.of}/d{d.wrt}" if d else f"{u.cell.name}, T = {u.T}")
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#9e9e9e"];', f"  label={_q(name)}; labelloc=t;"]
    params = sorted(n for n, k in g.nodes(data="kind") if k == "param")
    if params:
        lines.append('  subgraph cluster_params { label="params"; style=dashed;')
        lines += [f"    {_q(p)} [shape=ellipse];" for p in params]
        lines.append("  }")
    steps = sorted({t for t in dict(g.nodes(data="t")).values() if t is not None})
    for t in steps:
        members = sorted((n for n, s in g.nodes(data="t") if s == t), key=lambda n: (g.nodes[n]["kind"], n))
        lines.append(f'  subgraph cluster_{t} {{ label="t = {t}"; style=rounded;')
        lines += [f"    {_q(n)} [shape={_SHAPES.get(g.nodes[n]['kind'], 'box')}];" for n in members]
        lines.append("  }")
    for n, k in sorted(g.nodes(data="kind")):
        if k == "total_loss":
            lines.append(f"  {_q(n)} [shape={_SHAPES[k]}];")
    for a, b in sorted(g.edges, key=lambda e: (e[0], e[1])):
        attrs = []
        if (a, b) in marks:
            kinds = marks[a, b]
            colours = ":".join(MARKS[k] for k in kinds)  # several colours: parallel lines
            attrs += [f'color="{colours}"', "penwidth=2.2", f'tooltip="{" + ".join(kinds)}"']
        if g.nodes[a].get("t") is not None and g.nodes[b].get("t") is not None and g.nodes[a]["t"] < g.nodes[b]["t"]:
            attrs.append("style=dashed")  # a delay edge: the previous step's value
        lines.append(f"  {_q(a)} -> {_q(b)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    if marks:
        text = "green: explicit term paths, magenta: implicit (through the previous state), blue: to the loss;"
        lines.append(f"  legend [shape=note, label={_q(text + ' dashed: delay edge')}];")
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
