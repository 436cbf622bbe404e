r"""Markdown export: a :class:`~symbrnn.render.doc.Doc` with ``$...$`` mathematics.

Sections become headings, equations ``$$\begin{aligned}...\end{aligned}$$``
blocks, tables pipe tables with inline mathematics: the flavour GitHub,
Jupyter and most note-taking tools render.

Examples
--------
>>> import sympy as sp
>>> from symbrnn.render.doc import Doc, M, Paragraph, Section, Table
>>> x = sp.Symbol("x")
>>> doc = Doc("Example", (Section("Values", (Paragraph.of("Let ", M.of(x), " be 2."),
...                                         Table((M.of(x), "square"), (("2", "4"),)))),))
>>> print(doc_markdown(doc))
# Example
<BLANKLINE>
## Values
<BLANKLINE>
Let $x$ be 2.
<BLANKLINE>
| $x$ | square |
|:--|--:|
| 2 | 4 |
<BLANKLINE>
"""

from __future__ import annotations

from .doc import Doc, Equations, Inline, M, Paragraph, Table
from .latex import math_block

__all__ = ["doc_markdown"]


def _inline(part: Inline) -> str:
    if isinstance(part, M):
        return "$" + part.latex.replace("|", r"\vert ") + "$"
    return part.replace("|", r"\|")


def _block(block) -> str:
    if isinstance(block, Paragraph):  # a line break in the text is a hard break (CommonMark's backslash)
        return "".join(_inline(p) for p in block.parts).replace("\n", "\\\n")
    if isinstance(block, Equations):
        return "$$\n" + math_block(block.rows) + "\n$$"
    if isinstance(block, Table):
        lines = [f"**{block.title}**", ""] if block.title else []
        lines.append("| " + " | ".join(_inline(c) for c in block.columns) + " |")
        lines.append("|" + "".join(":--|" if side == "l" else "--:|" for side in block.aligns()))
        lines += ["| " + " | ".join(_inline(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover


def doc_markdown(doc: Doc) -> str:
    """``doc`` as Markdown."""
    parts = [f"# {doc.title}"] if doc.title else []
    for section in doc.sections:
        if section.title:
            parts.append(f"## {section.title}")
        parts += [_block(b) for b in section.blocks]
    return "\n\n".join(parts) + "\n"
