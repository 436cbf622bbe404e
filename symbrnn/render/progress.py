"""A rich progress bar for derivations and compilations that take more than a second.

:func:`progress_bar` installs a :mod:`symbrnn.core.progress` reporter that draws a
``rich.progress.Progress`` (description, bar, count, elapsed time) on a
console. The bar appears only once a task has lasted ``delay`` seconds (it is
started by the first event after that), is transient (erased when the work is
done) and never appears on a console that is not a terminal: piped output and
captured output stay byte for byte what they would be without it. It is drawn
only when an event arrives (at most ten times a second), never by a thread.

Examples
--------
>>> import io
>>> from rich.console import Console
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> console = Console(file=io.StringIO(), force_terminal=False)
>>> with progress_bar(console):
...     terms = derive(elman(), T=50, wrt="U").terms
>>> console.file.getvalue()
''
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..core import progress

__all__ = ["DELAY", "notebook_progress", "progress_bar"]

#: seconds a task runs before its bar appears (the default of :func:`progress_bar`)
DELAY = 1.0


@contextmanager
def progress_bar(
    console: Console | None = None, *, delay: float | None = None, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[str, int, int], None] | None]:
    """Show the progress of the work inside the ``with`` block as a rich progress bar.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the bar is drawn (default: a console on stderr). If it is not a
        terminal (a pipe, a file, Jupyter) or a dumb one, nothing is installed
        and nothing is drawn.
    delay : float, optional
        Seconds a task runs before its bar appears (default :data:`DELAY`, one
        second); shorter work shows nothing.
    clock : callable
        Seconds, for the delay and the elapsed time (tests pass a fake clock).

    Yields
    ------
    callable or None
        The reporter installed, or None when the console is not a terminal.
    """
    console = console or Console(stderr=True)
    delay = DELAY if delay is None else delay
    if console.is_jupyter:  # a notebook: one output line, updated in place
        with notebook_progress(delay=delay, clock=clock) as line:
            yield line
        return
    if not console.is_terminal or console.is_dumb_terminal:
        yield None
        return
    bar = _Bar(console, delay, clock)
    try:
        with progress.reporting(bar):
            yield bar
    finally:
        bar.stop()


class _Bar:
    """The reporter: the tasks under way, drawn by one rich Progress once one has lasted ``delay``.

    It draws only when an event arrives (at most every ``interval`` seconds of
    ``clock``), with no refresh thread: the frames follow from the events and the clock.
    """

    interval = 0.1

    def __init__(self, console: Console, delay: float, clock: Callable[[], float]):
        self.console, self.delay, self.clock = console, delay, clock
        self.active: dict[str, tuple[float, int, int]] = {}  # description -> (start, completed, total)
        self.progress: Progress | None = None
        self.ids: dict[str, TaskID] = {}
        self.drawn = 0.0  # when the bar was last drawn

    def __call__(self, description: str, completed: int, total: int) -> None:
        now = self.clock()
        start = now if completed == 0 else self.active.get(description, (now,))[0]
        if completed < total:
            self.active[description] = (start, completed, total)
        else:
            self.active.pop(description, None)
        if self.progress is None and self.active and now - min(s for s, _, _ in self.active.values()) > self.delay:
            self._start(now)
        elif self.progress is not None:
            self._update(description, start, completed, total)
            if self.progress is not None and now - self.drawn >= self.interval:
                self.progress.refresh()
                self.drawn = now

    def _start(self, now: float) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console, auto_refresh=False, transient=True, redirect_stdout=False, redirect_stderr=False,
            get_time=self.clock,
        )
        for description, (start, completed, total) in self.active.items():
            self._add(description, start, completed, total)
        self.progress.start()  # draws the first frame
        self.drawn = now

    def _add(self, description: str, start: float, completed: int, total: int) -> None:
        self.ids[description] = self.progress.add_task(description, total=total, completed=completed)
        self.progress.tasks[-1].start_time = start  # elapsed since the task began, not since the bar appeared

    def _update(self, description: str, start: float, completed: int, total: int) -> None:
        if description in self.active:
            if description in self.ids:
                self.progress.update(self.ids[description], completed=completed, total=total)
            else:  # a task begun while the bar is shown
                self._add(description, start, completed, total)
            return
        if description in self.ids:
            self.progress.remove_task(self.ids.pop(description))
        if not self.active:
            self.stop()

    def stop(self) -> None:
        """Erase the bar (if it is shown); the next long task draws a new one."""
        if self.progress is not None:
            self.progress.stop()
            self.progress, self.ids = None, {}


@contextmanager
def notebook_progress(*, delay: float | None = None, clock: Callable[[], float] = time.monotonic,
                      display: Callable | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """Show the progress of the work inside the ``with`` block in a Jupyter notebook: one output line
    (``deriving dL/dU: 40/100 steps, 1.2 s``), updated in place and cleared when the work is done.

    It needs no widgets: the line is an IPython display updated by its ``display_id``. ``display`` is
    :func:`IPython.display.display` by default (tests pass their own).

    Examples
    --------
    >>> shown = []
    >>> class Handle:
    ...     def update(self, text):
    ...         shown.append(str(text))
    >>> def display(text, display_id):
    ...     shown.append(str(text))
    ...     return Handle()
    >>> times = iter([0.0, 2.0, 2.5])
    >>> with notebook_progress(delay=1.0, clock=lambda: next(times), display=display) as line:
    ...     for k in range(3):
    ...         line("deriving", k, 2)
    >>> shown
    ['deriving: 1/2, 2.0 s', '']
    """
    if display is None:
        from IPython.display import display  # Jupyter has IPython; only a notebook calls this
    line = _Line(display, DELAY if delay is None else delay, clock)
    try:
        with progress.reporting(line):
            yield line
    finally:
        line.clear()


class _Line:
    """The notebook reporter: the longest-running task as one line, shown once it has lasted ``delay``."""

    interval = 0.2

    def __init__(self, display: Callable, delay: float, clock: Callable[[], float]):
        self.display, self.delay, self.clock = display, delay, clock
        self.active: dict[str, tuple[float, int, int]] = {}
        self.handle = None
        self.drawn = -1.0

    def __call__(self, description: str, completed: int, total: int) -> None:
        now = self.clock()
        start = now if completed == 0 else self.active.get(description, (now,))[0]
        if completed < total:
            self.active[description] = (start, completed, total)
        else:
            self.active.pop(description, None)
        if not self.active:
            self.clear()
            return
        first, (begun, done, of) = min(self.active.items(), key=lambda item: item[1][0])
        if now - begun <= self.delay or now - self.drawn < self.interval:
            return
        text = f"{first}: {done}/{of}, {now - begun:.1f} s"
        if self.handle is None:
            self.handle = self.display(_Text(text), display_id=True)
        else:
            self.handle.update(_Text(text))
        self.drawn = now

    def clear(self) -> None:
        if self.handle is not None:
            self.handle.update(_Text(""))
            self.handle = None


class _Text(str):
    """Plain text for IPython's display (its repr is the text itself)."""

    def __repr__(self) -> str:
        return str(self)
