r"""LaTeX export: a :class:`~symbrnn.render.doc.Doc` as a LaTeX body or a standalone document.

Equations become ``align*`` environments, tables ``tabular`` (shrunk to the
line width when wider), text is escaped and the few unicode letters symbrnn
writes (θ, η, ...) become LaTeX macros, so ``pdflatex`` compiles the output
with the packages of a basic TeX installation (amsmath, geometry, graphicx).

Examples
--------
>>> import sympy as sp
>>> from symbrnn.render.doc import Doc, Equations, M, Section
>>> x = sp.Symbol("x")
>>> doc = Doc("Example", (Section("Square of θ", (Equations.of([(M.of(x**2), M.of(sp.Integer(4)))]),)),))
>>> print(doc_latex(doc))
\section*{Example}
\subsection*{Square of $\theta$}
\begin{align*}
x^{2} &= 4
\end{align*}
"""

from __future__ import annotations

import re

from .doc import Doc, Equations, Inline, M, Paragraph, Row, Table

__all__ = ["PREAMBLE", "doc_latex", "document", "escape", "math_block"]

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{graphicx}
\usepackage[margin=2cm]{geometry}
\setlength{\parindent}{0pt}
\allowdisplaybreaks
"""

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_UNICODE = {"θ": r"$\theta$", "η": r"$\eta$", "δ": r"$\delta$", "∂": r"$\partial$", "Σ": r"$\Sigma$",
            "Π": r"$\Pi$", "·": r"$\cdot$", "—": "---", "–": "--", "≤": r"$\le$", "≥": r"$\ge$",
            "×": r"$\times$", "α": r"$\alpha$", "β": r"$\beta$", "ε": r"$\varepsilon$", "σ": r"$\sigma$",
            "→": r"$\to$", "←": r"$\leftarrow$", "−": "-", "²": r"$^2$", "√": r"$\surd$", "ŷ": r"$\hat y$",
            "Ŝ": r"$\hat S$", "‖": r"$\Vert$", "κ": r"$\kappa$", "τ": r"$\tau$", "⁻": r"$^{-}$",
            **{d: f"$^{{{i}}}$" for i, d in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹") if i != 2}}
_MARKS = {"\u0302": "\x00", "\u0303": "\x01"}  # combining hat (V̂) and tilde (g̃) after a letter
_ACCENTS = {"\x00": r"\hat", "\x01": r"\tilde"}


def escape(s: str) -> str:
    """Text for LaTeX's text mode: special characters escaped, unicode letters as macros.

    Examples
    --------
    >>> escape("dL/dθ_t & 50%")
    'dL/d$\\\\theta$\\\\_t \\\\& 50\\\\%'
    """
    s = re.sub("(\\w)([\u0302\u0303])", lambda m: _MARKS[m.group(2)] + m.group(1), s)  # V̂, g̃
    out = []
    accent = None
    for ch in s:
        if ch in _ACCENTS:
            accent = _ACCENTS[ch]
            continue
        if accent:
            out.append(f"${accent}{{{ch}}}$")
            accent = None
            continue
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) > 127:
            raise ValueError(f"no LaTeX for the character {ch!r} in {s!r}")
        else:
            out.append(ch)
    return "".join(out)


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _inline(part: Inline) -> str:
    if isinstance(part, M):
        return f"${part.latex}$"
    return f"${part}$" if _NUMBER.fullmatch(part) else escape(part)


def _row(row: Row) -> str:
    if row.op in ("+", "-", ""):
        line = f"&{row.op} " + " = ".join(p.latex for p in row.parts)
    else:
        op = r"\leftarrow " if row.op == "←" else "="
        head, rest = row.parts[0].latex, [p.latex for p in row.parts[1:]]
        line = head + (f" &{op} " + " = ".join(rest) if rest else " &")
    if row.label:
        line += r" \qquad \text{(" + escape(row.label) + ")}"
    return line


def math_block(rows: tuple[Row, ...]) -> str:
    """Rows as an ``aligned`` environment (for ``$$...$$`` in Markdown and Jupyter)."""
    return "\\begin{aligned}\n" + " \\\\\n".join(_row(r) for r in rows) + "\n\\end{aligned}"


def _table(table: Table) -> str:
    spec = table.aligns()
    keep = len(table.rows) <= 40  # a short table stays on one page with its title
    lines = [r"\par\noindent\begin{minipage}{\linewidth}"] if keep else []
    if table.title:
        lines.append(r"\textbf{" + escape(table.title) + r"}\\[2pt]")
    lines += [r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
              r"\begin{tabular}{" + spec + "}", r"\hline",
              " & ".join(_inline(c) for c in table.columns) + r" \\", r"\hline"]
    lines += [" & ".join(_inline(c) for c in row) + r" \\" for row in table.rows]
    lines += [r"\hline", r"\end{tabular}}"]
    lines += [r"\end{minipage}\par", ""] if keep else [""]
    return "\n".join(lines)


def _block(block) -> str:
    if isinstance(block, Paragraph):  # a line break in the text is one in the paragraph
        return "".join(_inline(p) for p in block.parts).replace("\n", "\\\\\n") + "\n"
    if isinstance(block, Equations):
        return "\\begin{align*}\n" + " \\\\\n".join(_row(r) for r in block.rows) + "\n\\end{align*}"
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover


def doc_latex(doc: Doc) -> str:
    """The LaTeX body of ``doc`` (sections, equations, tables), without a preamble."""
    parts = [r"\section*{" + escape(doc.title) + "}"] if doc.title else []
    for section in doc.sections:
        if section.title:
            parts.append(r"\subsection*{" + escape(section.title) + "}")
        parts += [_block(b) for b in section.blocks]
    return "\n".join(parts) + "\n"


def document(body: str) -> str:
    """A standalone LaTeX document around ``body``, ready for ``pdflatex``.

    Examples
    --------
    >>> print(document("Hello.").splitlines()[-3:])
    ['\\\\begin{document}', 'Hello.', '\\\\end{document}']
    """
    return PREAMBLE + "\\begin{document}\n" + body.rstrip("\n") + "\n\\end{document}\n"
