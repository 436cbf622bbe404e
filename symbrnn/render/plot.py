r"""A gradient flow as a matplotlib figure (the optional ``plot`` extra): the norms by lag, and each lag's share.

The top panel draws log₁₀‖J_T⋯J_{T-ℓ+1}‖₂ against the lag ℓ, on a linear
axis of the logarithm so that a norm of 10⁻⁶⁰⁰ (T = 10,000) is drawn, not
lost to underflow; with it the closed-form bound ℓ·log₁₀(bound) when there is
one, and the direct path through each gate of a gated cell. The bottom panel
draws each lag's share of dL/dθ. :func:`save_flow_plot` writes PNG, SVG or
PDF, byte for byte the same for the same flow (no date in the file, fixed SVG
ids). matplotlib is imported only here, when a figure is asked for; without it
the error says how to install it.

Examples
--------
>>> from symbrnn.analysis import flow
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> fig = flow_figure(flow(elman(), 3, values))
>>> [ax.get_ylabel() for ax in fig.axes]
['log₁₀ norm', 'share of dL/dθ']
>>> for label in fig.axes[0].get_legend().get_texts():
...     print(label.get_text())
$\|J_T \cdots J_{T-\ell+1}\|_2$
bound$^\ell$ = 0.5$^\ell$
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..analysis.flow import Flow
from ..core import errors

__all__ = ["FORMATS", "check_plot_file", "flow_figure", "require_matplotlib", "save_flow_plot"]

#: the suffixes :func:`save_flow_plot` writes
FORMATS = (".png", ".svg", ".pdf")


def require_matplotlib():
    """matplotlib and its Figure class, or a BackendError that says how to install them."""
    try:
        import matplotlib  # noqa: PLC0415 (an optional extra: imported only when a figure is drawn)
        import matplotlib.ticker  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise errors.BackendError("a flow plot needs matplotlib, which is not installed:"
                                  " pip install 'symbrnn[plot]' (or pip install matplotlib)") from None
    return matplotlib, Figure


def check_plot_file(path) -> Path:
    """``path`` as a Path, or a SpecError if it cannot take a figure: a folder, a folder that does not exist,
    or a suffix that is not drawn; a BackendError without matplotlib. Cheap: the CLI asks before the work."""
    p = Path(path)
    if p.is_dir() or not p.parent.is_dir():
        where = "is a folder" if p.is_dir() else f"is in a folder that does not exist ({p.parent})"
        raise errors.SpecError(f"--plot {path} {where}: give a file to write")
    if p.suffix.lower() not in FORMATS:
        raise errors.SpecError(f"--plot {path}: give a file ending in {', '.join(FORMATS)} (the format follows it)")
    require_matplotlib()
    return p


def flow_figure(f: Flow, *, width: float = 7.0, height: float = 5.5):
    """The figure of a flow (a ``matplotlib.figure.Figure``, not attached to pyplot): two panels, see the module."""
    matplotlib, Figure = require_matplotlib()
    fig = Figure(figsize=(width, height), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    lags = np.arange(f.T + 1)
    log10 = np.asarray(f.log_norms) / math.log(10)
    top.plot(lags, np.where(np.isfinite(log10), log10, np.nan), color="C0", lw=1.6,
             label=r"$\|J_T \cdots J_{T-\ell+1}\|_2$")
    if f.bound_value is not None and f.bound_value > 0:
        top.plot(lags, lags * math.log10(f.bound_value), color="C3", ls="--", lw=1.2,
                 label=rf"bound$^\ell$ = {f.bound_value:.4g}$^\ell$")
    for i, p in enumerate(g for g in f.bound.gates if g.state in f.direct):
        gate = p.label.replace("_t", "")
        top.plot(lags, np.asarray(f.direct[p.state]) / math.log(10), color=f"C{2 + i}", ls=":", lw=1.4,
                 label=rf"direct path $\|\prod\,\mathrm{{diag}}({gate})\|_2$")
    top.axhline(0.0, color="0.6", lw=0.8)
    top.set_ylabel("log₁₀ norm")
    top.set_title(f"Gradient flow of {f.cell.name} over T = {f.T}: {f.verdict}, ×{f.rate:.4g} per step")
    top.legend(loc="best", fontsize="small")
    shares = f.shares()
    shown = shares[: f.max_lag + 1]
    bottom.bar(np.arange(len(shown)), shown, width=1.0 if len(shown) > 60 else 0.8, color="C0")
    bottom.set_xlabel(r"lag $\ell$ (steps back)")
    bottom.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    bottom.set_ylabel("share of dL/dθ")
    if f.max_lag < f.T:
        bottom.set_title(f"lags past {f.max_lag} (share {shares[-1]:.3g} together) are not drawn", fontsize="small")
    return fig


def save_flow_plot(f: Flow, path, **options) -> Path:
    """Write :func:`flow_figure` to ``path``: its suffix picks PNG, SVG or PDF. Returns the path.

    Raises
    ------
    SpecError
        For another suffix, or a file that cannot be written (naming it).
    BackendError
        Without matplotlib.
    """
    path = check_plot_file(path)
    suffix = path.suffix.lower()
    matplotlib, _ = require_matplotlib()
    fig = flow_figure(f, **options)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {"Software": None}}[suffix[1:]]
    try:
        with matplotlib.rc_context({"svg.hashsalt": "symbrnn", "svg.fonttype": "none"}):
            fig.savefig(path, format=suffix[1:], metadata=metadata, dpi=120)
    except OSError as exc:
        raise errors.SpecError(f"--plot {path}: cannot write it ({exc.strerror or exc})") from None
    return path
