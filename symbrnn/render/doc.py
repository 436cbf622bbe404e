"""A small document model shared by every output format, and its rich rendering.

A :class:`Doc` is a title and sections of blocks: :class:`Paragraph`,
:class:`Equations` (chains ``lhs = a = b = value``, each row optionally
labelled) and :class:`Table`. Each piece of mathematics is an :class:`M`,
which carries both its text (for the terminal) and its LaTeX (for LaTeX and
Markdown). Cells, derivations, evaluations and worked solutions are built as
Docs once; :mod:`.markdown` and :mod:`.latex` write them out, and a Doc is
itself a rich renderable.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> doc = Doc("Example", (Section("Square", (Equations.of([(M.of(x**2), M.of(sp.Integer(4)))]),)),))
>>> print(to_text(doc, width=40))
─────────────── Example ────────────────
Square
  x² = 4
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from .text import latex, text

__all__ = ["Doc", "Equations", "M", "Paragraph", "Row", "Section", "Table", "rich_block", "to_text"]

#: rich styles of the labels of terms (no effect without colour)
STYLES = {"explicit": "green", "implicit": "magenta", "chain": "cyan", "direct": "cyan",
          "delta": "yellow", "result": "bold"}


@dataclass(frozen=True)
class M:
    """A piece of mathematics, as text and as LaTeX."""

    text: str
    latex: str

    @classmethod
    def of(cls, expr, **kwargs) -> M:
        """From a sympy expression; keyword arguments as for :func:`~symbrnn.render.text.text`."""
        mul = kwargs.pop("mul_symbol", None)
        return cls(text(expr, **kwargs), latex(expr, mul_symbol=mul, **kwargs))

    def __str__(self) -> str:
        return self.text


Inline = str | M


@dataclass(frozen=True)
class Paragraph:
    """Text with inline mathematics: a sequence of str and :class:`M`."""

    parts: tuple[Inline, ...]

    @classmethod
    def of(cls, *parts: Inline) -> Paragraph:
        """``Paragraph.of("the loss ", M(...), " is ...")``."""
        return cls(tuple(parts))


@dataclass(frozen=True)
class Row:
    """One line of an :class:`Equations` block: ``parts[0] op parts[1] = parts[2] = ...``, with a label.

    ``op`` is ``"="`` or ``"←"`` (an update). With ``op="+"`` (or ``"-"``) the row has no
    left-hand side: it continues the sum of the row above, ``+ parts[0] = parts[1] ...``;
    with ``op=""`` it has none either: a chain ``parts[0] = parts[1] ...`` aligned with the
    right-hand sides above (a side calculation).
    """

    parts: tuple[M, ...]
    label: str = ""
    op: str = "="


@dataclass(frozen=True)
class Equations:
    """Aligned chains of equalities."""

    rows: tuple[Row, ...]

    @classmethod
    def of(cls, rows: Iterable[Sequence[M] | Row]) -> Equations:
        """From rows given as :class:`Row` or as sequences of :class:`M`."""
        return cls(tuple(r if isinstance(r, Row) else Row(tuple(r)) for r in rows))


@dataclass(frozen=True)
class Table:
    """A table; cells are str or :class:`M`; ``align`` gives each column's alignment, ``"l"`` or ``"r"`` (by
    default the first column left-aligned, the others right-aligned, as numbers are)."""

    columns: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    title: str = ""
    align: str = ""

    def aligns(self) -> str:
        """Each column's alignment, ``"l"`` or ``"r"``."""
        return self.align or "l" + "r" * (len(self.columns) - 1)


Block = Paragraph | Equations | Table


@dataclass(frozen=True)
class Section:
    """A titled list of blocks."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Doc:
    """A titled list of sections; a rich renderable."""

    title: str
    sections: tuple[Section, ...]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title and len(self.title) + 6 > options.max_width:  # a long title wraps above the rule
            yield Text(self.title, style="bold")
            yield Rule()
        elif self.title:
            yield Rule(Text(self.title))
        for section in self.sections:
            if section.title:
                yield Text(section.title, style="bold")
            for block in section.blocks:
                yield Padding(rich_block(block), (0, 0, 0, 2), expand=False)


def _plain(part: Inline) -> str:
    return part.text if isinstance(part, M) else part


def rich_block(block: Block):
    """The rich renderable of one block."""
    if isinstance(block, Paragraph):
        return Text("".join(_plain(p) for p in block.parts))
    if isinstance(block, Equations):
        return _EquationGrid(block)
    table = RichTable(title=Text(block.title) if block.title else None, title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col, side in zip(block.columns, block.aligns(), strict=True):
        table.add_column(Text(_plain(col)), justify="left" if side == "l" else "right", overflow="fold")
    for row in block.rows:
        table.add_row(*(Text(_plain(c)) for c in row))
    return table


class _EquationGrid:
    """Aligned equations with their labels in a column of their own, or, where that would leave the
    equations fewer than 40 columns, each label on the line below its equation; long right-hand sides
    wrap, never cut."""

    def __init__(self, block: Equations):
        self.rows = []
        for row in block.rows:
            if row.op in ("+", "-", ""):
                lhs, op, rest = "", row.op, row.parts
            else:
                lhs, op, rest = row.parts[0].text, row.op if len(row.parts) > 1 else "", row.parts[1:]
            self.rows.append((lhs, op, " = ".join(p.text for p in rest), row.label))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [max((len(line) for r in self.rows for line in r[i].split("\n")), default=0) for i in range(3)]
        label = max((len(r[3]) + 2 for r in self.rows if r[3]), default=0)
        room = min(widths[2], 40)  # the labels stay beside while the equations keep 40 columns (they wrap)
        beside = widths[0] + widths[1] + room + 2 + (label + 1 if label else 0) <= options.max_width
        grid = RichTable.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        if label and beside:
            grid.add_column(no_wrap=True)
        for lhs, op, rhs, lab in self.rows:
            tag = Text(f"({lab})" if lab else "", style=_style(lab))
            if not label:
                grid.add_row(Text(lhs), op, Text(rhs))
            elif beside:
                grid.add_row(Text(lhs), op, Text(rhs), tag)
            else:
                grid.add_row(Text(lhs), op, Text(rhs))
                if lab:
                    grid.add_row("", "", tag)
        yield grid


def _style(label: str) -> str:
    return STYLES.get(label.split()[0] if label else "", "dim")


def group(*renderables) -> Group:
    """Several rich renderables as one."""
    return Group(*renderables)


def terminal(file) -> Console:
    """A rich console on ``file`` that sees it as rich does: its width (the terminal's size, else
    ``$COLUMNS``, else 80), colour in a terminal, none when piped or with ``NO_COLOR``, and colour
    on any file with ``FORCE_COLOR``.

    Examples
    --------
    >>> console = terminal(io.StringIO())   # not a terminal: plain text
    >>> console.is_terminal, console.color_system
    (False, None)
    """
    return Console(file=file, highlight=False, emoji=False)


def draw(renderable, file) -> None:
    """Print ``renderable`` to ``file`` as :func:`terminal` sees it: with colour in a terminal, else as
    plain text at its width without trailing blanks."""
    if isinstance(renderable, (Paragraph, Equations, Table)):
        renderable = rich_block(renderable)
    console = terminal(file)
    if console.is_terminal:
        console.print(renderable)
        return
    file.write(to_text(renderable, width=console.width) + "\n")


def to_text(renderable, *, width: int = 100) -> str:
    """What rich prints for ``renderable`` at ``width`` columns, without colour or trailing spaces.

    Examples
    --------
    >>> print(to_text(Paragraph.of("hello"), width=20))
    hello
    """
    if isinstance(renderable, (Paragraph, Equations, Table)):
        renderable = rich_block(renderable)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False, emoji=False)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines())
