"""What the command line reads and writes: cells by name or file, values files, numbers, rendered output."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np

from ..cells import BUILTIN
from ..core import errors
from ..declare.spec import MAX_FILE_BYTES, load_cell, load_values, load_values_text
from ..declare.values import resolve_values, steps_of

__all__ = ['SIZES', 'STDIN', 'cell_from', 'checked_values', 'columns', 'emit', 'fmt', 'plain', 'read_values', 'save',
           'steps_from', 'write']


SIZES = ("input_size", "hidden_size", "output_size", "classes")


def cell_from(ref: str, args=None):
    sizes = {k: getattr(args, k) for k in (*SIZES, "naming") if getattr(args, k, None) is not None}
    if ref in BUILTIN:
        make = BUILTIN[ref][0]
        accepted = inspect.signature(make).parameters
        for k in sizes:
            if k not in accepted:
                takes = ", ".join("--" + a.replace("_", "-") for a in (*SIZES, "naming") if a in accepted) or \
                    "no size options"
                raise errors.SpecError(f"cell {ref!r} has no --{k.replace('_', '-')} (it takes {takes})")
        return make(**sizes)
    if sizes:
        raise errors.SpecError(f"size options are for built-in cells; {ref!r} declares its own shapes")
    if ref.endswith(".toml") or Path(ref).exists():
        return load_cell(ref)
    known = ", ".join(sorted(BUILTIN))
    raise errors.SpecError(f"unknown cell {ref!r}: use a built-in cell ({known}) or the path of a cell file (.toml)")


def steps_from(args, values: dict, cell) -> int:
    try:
        return steps_of(cell, values, args.steps)
    except errors.MissingValueError:
        data = [n for n in cell.names() if cell.kind(n) in ("input", "target")]
        missing = [n for n in data if n not in values]
        if missing:  # no per-step data to count the steps of: name what the file lacks
            raise errors.SpecError(f"the values file has no {', '.join(map(repr, missing[:8]))} (per-step data, one"
                                   " value per step); give them, or --steps T") from None
        raise errors.SpecError(
            "give --steps T (it defaults to the length of the sequences in the values file)") from None


def checked_values(path: str, cell, T: int) -> dict:
    values = read_values(path)
    try:
        resolve_values(cell, T, values)
    except errors.ValuesError as exc:
        raise type(exc)(f"{STDIN_NAME if path == STDIN else path}: {exc}") from None
    return values


#: ``--values -``: the values file is read from the standard input (TOML or JSON, told by its content)
STDIN = "-"
STDIN_NAME = "<stdin>"

_read: list = [None, b""]  # the standard input read (a stream is read once), and its bytes


def read_values(path: str) -> dict:
    """The values file ``path`` (TOML or JSON), or with ``-`` the standard input's, parsed (a fresh dict)."""
    if path != STDIN:
        return load_values(path)
    return load_values_text(_stdin(), STDIN_NAME)


def _stdin() -> bytes | str:
    """The standard input's bytes, read once per stream, at most :data:`MAX_FILE_BYTES`; empty is refused."""
    stream = sys.stdin
    if _read[0] is not stream or stream is None:
        if stream is None:
            raise errors.SpecError("--values -: there is no standard input to read the values file from")
        try:
            data = getattr(stream, "buffer", stream).read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError) as exc:  # closed, or not readable
            raise errors.SpecError(f"--values -: cannot read the standard input ({exc})") from None
        _read[:] = [stream, data]
    data = _read[1]
    if len(data) > MAX_FILE_BYTES:
        raise errors.SpecError(f"{STDIN_NAME}: the values file is more than {MAX_FILE_BYTES:,} bytes; at most"
                               f" {MAX_FILE_BYTES:,} are read")
    if not data.strip():
        raise errors.SpecError("--values -: the standard input is empty; pipe a values file into it, e.g."
                               " symbrnn values CELL | symbrnn eval CELL --values -")
    return data


def fmt(x, digits: int, indent: int = 0, width: int = 75) -> str:
    """A number or array with ``digits`` decimals (``--digits`` means decimals in every command), a
    number that would show as 0 in scientific notation; an array's later rows are indented by ``indent``,
    each line at most ``width`` long."""
    if isinstance(x, np.ndarray):
        return np.array2string(x + 0.0, precision=digits, separator=", ", floatmode="fixed", prefix=" " * indent,
                               max_line_width=max(width, indent + 20))
    x = float(x) + 0.0
    if x != 0 and abs(x) < 0.5 * 10.0 ** -digits:
        return f"{x:.{max(digits - 3, 1)}e}"
    return f"{x:.{digits}f}"


def plain(x):
    """A JSON value: arrays become nested lists (full precision)."""
    return x.tolist() if isinstance(x, np.ndarray) else x


def emit(obj, args, out, **options) -> None:
    """Write a cell, derivation, evaluation or worked solution in ``args.format`` (to ``-o`` if given)."""
    from .. import render

    if args.format == "markdown":
        text = render.to_markdown(obj, **options)
    elif args.format == "dot":  # the graph: a cell's own, or a derivation's unrolled one with its paths marked
        text = render.to_dot(obj)
    elif args.format == "latex":
        standalone = bool(getattr(args, "output", None)) or getattr(args, "standalone", False)
        text = render.to_latex(obj, standalone=standalone, **options)
    else:  # rich: coloured in a terminal, plain at its width when piped (render.terminal)
        drawable = obj if isinstance(obj, render.WorkedSolution) else render.renderable(obj, **options)
        render.draw(drawable, out)
        return
    write(text, args, out)


def columns(out) -> int:
    """The width to write ``out`` at: the terminal's, else ``$COLUMNS``, else 80 (as rich sees it)."""
    from ..render.doc import terminal

    return terminal(out).width


def write(text: str, args, out) -> None:
    """Write ``text`` to ``out`` (the command's output: standard output, or what ``-o`` collects)."""
    out.write(text if text.endswith("\n") else text + "\n")


#: what ``--format dot -o FILE`` draws with Graphviz instead of writing the DOT text
PICTURES = (".svg", ".png", ".pdf")


def save(text: str, path: str, *, dot: bool = False) -> None:
    """Write a command's whole output to ``-o FILE``; DOT text to a .svg, .png or .pdf is drawn by Graphviz."""
    if dot and Path(path).suffix.lower() in PICTURES:
        from ..render.dot import render_dot

        try:
            render_dot(text, path)
        except RuntimeError as exc:  # Graphviz is not installed
            raise errors.SpecError(f"-o {path}: {exc}") from None
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = (getattr(exc, "stderr", "") or "").strip().splitlines()[-1:] or [str(exc)]
            raise errors.SpecError(f"-o {path}: Graphviz could not draw it ({detail[0]})") from None
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.SpecError(f"-o {path}: cannot write it ({exc.strerror or exc})") from None
