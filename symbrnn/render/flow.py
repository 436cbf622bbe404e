"""Drawing a gradient flow (:class:`~symbrnn.analysis.Flow`): the bound, the norms by lag, a chart, the verdict.

:func:`flow_doc` is the :class:`~.doc.Doc` every format writes (rich, Markdown,
LaTeX); :func:`flow_renderable` adds the terminal's chart: a bar per lag in
the table and a sparkline of log‖Π‖ over every lag. Numbers are formatted
from the logarithms the analysis kept, so a norm of 1e-600 prints as such.

Examples
--------
>>> from symbrnn.analysis import flow
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> print(to_text(flow_renderable(flow(elman(), 3, values)), width=72))
────────────────── Gradient flow of elman over T = 3 ───────────────────
Bound
                              max|tanh'| = 1
                   ‖∂h_t/∂h_{t-1}‖ ≤ |U| = 0.5000
  ‖Π_{k steps} ∂h_j/∂h_{j-1}‖ ≤ 0.5000^k
Norms by lag
  lag ℓ   ‖J_T⋯J_{T-ℓ+1}‖   bound^ℓ   share of dL/dθ
  ─────────────────────────────────────────────────────────────────
  0                1.0000    1.0000           0.9339   ████████████
  1                0.2581    0.5000           0.0554   ███████▉
  2                0.0626    0.2500           0.0107   ███▋
  3                0.0199    0.1250           0.0000   ▏
  log‖Π‖ by lag 0..3: █▆▃▁
Verdict
  vanishing: ×0.2775 per step (fitted), ×0.0214 over 3 steps
"""

from __future__ import annotations

import math
import re

import numpy as np
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table as RichTable
from rich.text import Text

from ..analysis.flow import Flow
from .doc import Doc, Equations, M, Paragraph, Row, Section, Table, rich_block, to_text
from .text import latex, text

__all__ = ["FlowView", "flow_doc", "flow_latex", "flow_renderable", "lags_shown", "scientific", "sparkline", "to_text"]

BLOCKS = " ▏▎▍▌▋▊▉█"
SPARKS = "▁▂▃▄▅▆▇█"
#: the widest bar of the table, and the most characters of the sparkline
BAR_WIDTH, SPARK_WIDTH = 12, 60


def scientific(log_value: float, digits: int = 4) -> str:
    """exp(log_value) as text: fixed decimals from 1e-3 to 1e6, else mantissa and exponent (never underflows).

    Examples
    --------
    >>> scientific(math.log(0.25)), scientific(-2000.0, 3), scientific(-math.inf)
    ('0.2500', '1.11e-869', '0')
    """
    if math.isinf(log_value):
        return "0" if log_value < 0 else "inf"
    if math.log(1e-3) <= log_value < math.log(1e6):
        return f"{math.exp(log_value):.{digits}f}"
    exponent = math.floor(log_value / math.log(10))
    mantissa = math.exp(log_value - exponent * math.log(10))
    if round(mantissa, digits - 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits - 1}f}e{exponent:+d}".replace("e+", "e")


def lags_shown(T: int, every_up_to: int = 16) -> list[int]:
    """The lags a table shows: every one up to ``every_up_to``, else 0..5 then about ×1.6 each row, and T."""
    if T <= every_up_to:
        return list(range(T + 1))
    out, lag = list(range(6)), 5.0
    while lag * 1.6 < T:
        lag *= 1.6
        if round(lag) > out[-1]:
            out.append(round(lag))
    return out + [T]


def sparkline(log_norms, width: int = SPARK_WIDTH) -> str:
    """One character per lag (or per group of lags, averaged), from ▁ (the smallest log‖Π‖) to █ (the largest)."""
    logs = np.asarray(log_norms, dtype=float)
    logs = np.where(np.isneginf(logs), np.nan, logs)
    groups = np.array_split(logs, min(width, len(logs)))
    means = np.array([np.nan if np.all(np.isnan(g)) else np.nanmean(g) for g in groups])
    lo, hi = np.nanmin(means), np.nanmax(means)
    span = hi - lo if hi > lo else 1.0
    return "".join(" " if np.isnan(m) else SPARKS[int(round((m - lo) / span * (len(SPARKS) - 1)))] for m in means)


def _bar(log_value: float, lo: float, hi: float, width: int) -> str:
    if math.isinf(log_value) and log_value < 0:
        return ""
    eighths = round((log_value - lo) / (hi - lo) * (width * 8 - 1)) + 1 if hi > lo else width * 8
    return BLOCKS[-1] * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def _m(s: str, tex: str) -> M:
    return M(s, tex)


NORM = _m("‖J_T⋯J_{T-ℓ+1}‖", r"\lVert J_T \cdots J_{T-\ell+1} \rVert")


def _bound_section(f: Flow, digits: int) -> Section:
    b = f.bound
    if not b.holds:
        rows = tuple(r for p in b.gates for r in _gate_rows(p))
        return Section("Bound", (Paragraph.of(b.reason),) + ((Equations(rows),) if rows else ()))
    rows = [Row((_m(f"max|{n}'|", r"\max\lvert " + _tex_name(n) + r"' \rvert"), M.of(v)))
            for n, v in b.activations.items()]
    (state, *_more) = f.cell.names("state")
    J = _m(f"‖∂{state}_t/∂{state}_{{t-1}}‖", r"\lVert \partial " + state + r"_t / \partial " + state + r"_{t-1} \rVert")
    if b.expr is not None:
        closed = M(re.sub(r"Abs\(([^()]*)\)", r"|\1|", text(b.expr)), latex(b.expr))
    else:
        name = b.matrix_name or "A"
        closed = _m(f"{text(b.factor)}·‖{name}‖₂", latex(b.factor) + r" \cdot \lVert " + name + r" \rVert_2")
    value = f"{f.bound_value:.{digits}f}"
    rows.append(Row((_le(J, closed), _m(value, value))))  # "≤" inside the left side: the rows' operator is "="
    product = _m("‖Π_{k steps} ∂h_j/∂h_{j-1}‖",
                 r"\lVert \prod_{k\ \mathrm{steps}} \partial h_j/\partial h_{j-1} \rVert")
    rows.append(Row((_le(product, _m(f"{value}^k", f"{value}^k")),)))
    return Section("Bound", (Equations(tuple(rows)),))


def _gate_rows(p) -> tuple[Row, ...]:
    """A gated state's direct path: ∂s_t/∂s_{t-1} = diag(g_t) (+ the paths through the gates), g's range,
    and the bound on the direct path's product."""
    s, g, gx = p.state, p.label, latex(p.gate)
    gj, gjx = g.replace("_t", "_j"), gx.replace("_{t}", "_{j}")
    jac = _m(f"∂{s}_t/∂{s}_{{t-1}}", rf"\frac{{\partial {s}_t}}{{\partial {s}_{{t-1}}}}")
    rest = ("", "") if p.whole else (" + (through the gates)", r" + (\text{through the gates})")
    high = text(p.high)
    return (Row((jac, _m(f"diag({g}){rest[0]}", rf"\operatorname{{diag}}({gx}){rest[1]}"))),
            Row((_m(f"{text(p.low)} ≤ {g} ≤ {high}", rf"{latex(p.low)} \le {gx} \le {latex(p.high)}"),)),
            Row((_le(_m(f"‖Π_{{k steps}} diag({gj})‖",
                        rf"\lVert \prod_{{k\ \mathrm{{steps}}}} \operatorname{{diag}}({gjx}) \rVert"),
                     _m("1", "1") if p.high == 1 else _m(f"{high}^k", f"{latex(p.high)}^k")),), "the direct path"))


def _le(a: M, b: M) -> M:
    return M(f"{a.text} ≤ {b.text}", f"{a.latex} \\le {b.latex}")


def _tex_name(name: str) -> str:
    return r"\sigma" if name == "sigmoid" else (r"\operatorname{" + name + "}")


def _norms_table(f: Flow, digits: int) -> Table:
    shares = f.shares()
    columns = [M("lag ℓ", r"\text{lag } \ell"), NORM]
    if f.bound_value is not None:
        columns.append(M("bound^ℓ", r"\text{bound}^{\ell}"))
    gates = {p.state: p for p in f.bound.gates if p.state in f.direct}
    for p in gates.values():  # the direct path through each gate: ‖Π diag(f_j)‖
        g, gx = p.label.replace("_t", ""), latex(p.gate).replace("_{t}", "")
        columns.append(M(f"‖Π diag({g})‖", rf"\lVert \prod \operatorname{{diag}}({gx}) \rVert"))
    columns.append(M("share of dL/dθ", r"\text{share of } dL/d\theta"))
    rows = []
    for lag in lags_shown(f.T):
        row = [str(lag), scientific(f.log_norms[lag], digits)]
        if f.bound_value is not None:
            row.append(scientific(lag * math.log(f.bound_value) if f.bound_value > 0 else -math.inf, digits))
        row += [scientific(f.direct[s][lag], digits) for s in gates]
        row.append(f"{shares[lag]:.{digits}f}" if lag <= f.max_lag else "")
        rows.append(tuple(row))
    return Table(tuple(columns), tuple(rows))


def _verdict(f: Flow, digits: int) -> Section:
    over = scientific(f.T * math.log(f.rate) if f.rate > 0 else -math.inf, digits) if math.isfinite(f.rate) else "inf"
    rate = scientific(math.log(f.rate), digits) if 0 < f.rate < math.inf else str(f.rate)
    line = f"{f.verdict}: ×{rate} per step (fitted), ×{over} over {f.T} steps"
    tex = rf"\text{{{f.verdict}: }}\times {rate}\text{{ per step (fitted), }}\times {over}\text{{ over {f.T} steps}}"
    return Section("Verdict", (Paragraph.of(M(line, tex)),))


def _truncation(f: Flow, digits: int) -> Section:
    t = f.truncation
    tau = t.truncate if isinstance(t.truncate, int) else "random, p = {}, seed {}".format(*t.truncate[1:])
    rows = [("truncate", str(tau)), ("relative error", f"{t.relative_error:.{digits}f}"),
            ("cosine", f"{t.cosine:.{digits}f}")]
    if t.lost is not None:
        rows.append(("share lost (lags >= tau)", f"{t.lost:.{digits}f}"))
    return Section("Truncated BPTT against the full gradient", (Table(("", "value"), tuple(rows)),))


def flow_doc(f: Flow, *, digits: int = 4, chart: bool = False) -> Doc:
    """The :class:`~.doc.Doc` of a flow: bound, norms by lag (with ``chart``: the sparkline), verdict, truncation."""
    norms = (_norms_table(f, digits),)
    if chart:
        norms += (Paragraph.of(f"log‖Π‖ by lag 0..{f.T}: " + sparkline(f.log_norms)),)
    sections = [_bound_section(f, digits), Section("Norms by lag", norms), _verdict(f, digits)]
    if f.truncation is not None:
        sections.append(_truncation(f, digits))
    return Doc(f"Gradient flow of {f.cell.name} over T = {f.T}", tuple(sections))


class FlowView:
    """The terminal's drawing of a flow: :func:`flow_doc` with a bar per lag, as wide as the terminal allows."""

    def __init__(self, f: Flow, *, digits: int = 4):
        self.flow, self.doc = f, flow_doc(f, digits=digits, chart=True)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from Doc(self.doc.title, ()).__rich_console__(console, options)
        for section in self.doc.sections:
            yield Text(section.title, style="bold")
            for block in section.blocks:
                drawn = rich_block(block)
                if section.title == "Norms by lag" and isinstance(block, Table):
                    room = options.max_width - 2 - Measurement.get(console, options, drawn).maximum - 3
                    drawn = self._with_bars(block, max(1, min(BAR_WIDTH, room)))
                yield Padding(drawn, (0, 0, 0, 2), expand=False)

    def _with_bars(self, block: Table, width: int) -> RichTable:
        """The table as :func:`~.doc.rich_block` draws it, with a left-aligned bar of log‖Π‖ per row."""
        logs = [self.flow.log_norms[lag] for lag in lags_shown(self.flow.T)]
        finite = [x for x in logs if math.isfinite(x)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
        table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for i, col in enumerate(block.columns):
            table.add_column(Text(str(col)), justify="left" if i == 0 else "right", no_wrap=True)
        table.add_column("", justify="left", no_wrap=True)
        for row, lg in zip(block.rows, logs, strict=True):
            table.add_row(*(Text(str(c)) for c in row), Text(_bar(lg, lo, hi, width)))
        return table


def flow_renderable(f: Flow, *, digits: int = 4) -> FlowView:
    """What ``__rich__`` of a :class:`~symbrnn.analysis.Flow` draws: :func:`flow_doc` with its chart."""
    return FlowView(f, digits=digits)


def flow_latex(f: Flow, *, digits: int = 4) -> str:
    """``_repr_latex_`` of a flow: the bound's equations (or its reason) as one ``$$...$$`` block."""
    from .latex import math_block

    block = _bound_section(f, digits).blocks[0]
    rows = block.rows if isinstance(block, Equations) else (Row((_m("", r"\text{no simple bound}"),)),)
    return "$$\n" + math_block(rows) + "\n$$"

