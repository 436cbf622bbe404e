"""Drawing a :class:`~symbrnn.checking.Report`: one row per written number (key, written, exact, verdict, cause).

Examples
--------
>>> from symbrnn.checking import check
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> r = check(elman(), 3, values, {"h_1": "0.7", "yhat_1": "0.45", "h_2": "0.717"})
>>> print(to_text(report_renderable(r), width=72))
─────────────── Check of a hand derivation: elman, T = 3 ───────────────
Numbers
  key      written     exact   verdict   cause
  ──────────────────────────────────────────────────────────────────
  h_1          0.7    0.6044   wrong     the activation tanh omitted
  yhat_1      0.45    0.4022   carried   follows from your h_1
  h_2        0.717   0.71736   right
Summary
  1 right, 1 carried, 1 wrong of 3 numbers: not all right
"""

from __future__ import annotations

import math
import re

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table as RichTable
from rich.text import Text

from ..checking.report import Mark, Report
from .doc import Doc, Paragraph, Section, Table, rich_block, to_text

__all__ = ["ReportView", "exact_text", "report_doc", "report_latex", "report_renderable", "to_text"]

#: rich styles of the verdicts (no effect without colour)
STYLES = {"right": "green", "carried": "cyan", "wrong": "bold red", "unreadable": "yellow"}

COLUMNS = ("key", "written", "exact", "verdict", "cause")


def exact_text(m: Mark) -> str:
    """The exact value with two decimals more than written (at least 4); tiny ones in scientific notation.

    Examples
    --------
    >>> exact_text(Mark("h_2", "0.717", 0.7173595809, "right")), exact_text(Mark("L_1", "4.8e-3", 0.00478, "right"))
    ('0.71736', '4.780e-03')
    """
    from ..checking.written import read_number

    if not math.isfinite(m.exact):
        return str(m.exact)
    if m.exact != 0 and abs(m.exact) < 1e-3:
        return f"{m.exact:.3e}"
    decimals = read_number(m.written).decimals
    places = 6 if decimals is None else min(max(4, decimals + 2), 17)
    return f"{m.exact:.{places}f}"


def cause_text(m: Mark) -> str:
    """The cause column: what a carried number follows from, why a wrong one is wrong."""
    yours = ", ".join(m.uses)
    if m.verdict == "carried":
        return f"follows from your {yours}"
    if m.verdict == "wrong":
        text = m.cause or "no known slip explains it"
        return f"{text}, from your {yours}" if m.uses else text
    return m.cause or ""


def _summary(r: Report) -> str:
    counts = r.counts()
    parts = ", ".join(f"{n} {v}" for v, n in counts.items() if n or v in ("right", "wrong"))
    verdict = "every number right or carried" if r.ok else "not all right"
    return f"{parts} of {len(r)} numbers: {verdict}"


def report_doc(r: Report) -> Doc:
    """The :class:`~.doc.Doc` every format writes (rich, Markdown, LaTeX)."""
    rows = tuple((m.key, m.written, exact_text(m), m.verdict, cause_text(m)) for m in r)
    table = Table(COLUMNS, rows, align="lrrll") if rows else Paragraph.of("nothing was written")
    return Doc(f"Check of a hand derivation: {(r.cell.origin or r.cell).name}, T = {r.T}",
               (Section("Numbers", (table,)), Section("Summary", (Paragraph.of(_summary(r)),))))


_ASCII = {"∂": "d", "δ": "delta ", "σ": "sigma", "−": "-", "²": "^2", "·": "*", "×": "x", "ŷ": "yhat", "’": "'"}


def _tex_text(s: str) -> str:
    s = "".join(_ASCII.get(ch, ch if ord(ch) < 128 else "?") for ch in s)
    s = re.sub(r"([\\{}_&%$#^~])", lambda m: "\\" + m.group(1) if m.group(1) not in "\\^~" else " ", s)
    return r"\text{" + s + "}"


def report_latex(r: Report) -> str:
    """The marks as one LaTeX array (for ``_repr_latex_`` in Jupyter)."""
    lines = [" & ".join(_tex_text(c) for c in COLUMNS) + r" \\ \hline"]
    for m in r:
        cells = (m.key, m.written, exact_text(m), m.verdict, cause_text(m))
        lines.append(" & ".join(_tex_text(c) for c in cells) + r" \\")
    return "$$\n\\begin{array}{lrrll}\n" + "\n".join(lines) + "\n\\end{array}\n$$"


class ReportView:
    """The terminal's drawing of a report: the table with its verdicts in colour, the cause left-aligned."""

    def __init__(self, r: Report):
        self.report, self.doc = r, report_doc(r)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from Doc(self.doc.title, ()).__rich_console__(console, options)
        yield Text("Numbers", style="bold")
        if not len(self.report):
            yield Padding(Text("nothing was written"), (0, 0, 0, 2))
        else:
            table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
            for i, col in enumerate(COLUMNS):
                table.add_column(Text(col), justify="right" if i in (1, 2) else "left",
                                 no_wrap=i < 4, overflow="fold")
            for m in self.report:
                table.add_row(m.key, m.written, exact_text(m), Text(m.verdict, style=STYLES[m.verdict]),
                              cause_text(m))
            yield Padding(table, (0, 0, 0, 2), expand=False)
        yield Text("Summary", style="bold")
        yield Padding(rich_block(self.doc.sections[-1].blocks[0]), (0, 0, 0, 2), expand=False)


def report_renderable(r: Report) -> ReportView:
    """What ``__rich__`` of a :class:`~symbrnn.checking.Report` draws."""
    return ReportView(r)
