"""Progress of long work (derivations, compilations), for whoever wants to show it.

The core reports and never draws: a long loop runs inside :func:`task` and
calls its tick once per unit of work (a time step, a param), or iterates
through :func:`track`, which ticks after each item. Nothing happens
unless a reporter is installed with :func:`reporting`; the reporter is a plain
function receiving ``(description, completed, total)``: ``completed`` is 0
when the task starts and grows by one per tick up to ``total``. The reporter
lives in a :mod:`contextvars` variable, so threads and asyncio tasks each see
their own. :func:`symbrnn.render.progress_bar` installs one that draws a rich
progress bar for work that lasts more than a second.

Examples
--------
>>> events = []
>>> with reporting(lambda *event: events.append(event)):
...     with task("counting", total=3) as tick:
...         for _ in range(3):
...             tick()
>>> events
[('counting', 0, 3), ('counting', 1, 3), ('counting', 2, 3), ('counting', 3, 3)]

Without a reporter the tick does nothing, and :func:`track` returns the items as they are:

>>> with task("counting", total=3) as tick:
...     tick()
>>> steps = range(1, 4)
>>> track(steps, "counting") is steps
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Reporter", "reporting", "task", "track"]

#: receives (description, completed, total)
Reporter = Callable[[str, int, int], None]

_REPORTER: ContextVar[Reporter | None] = ContextVar("symbrnn_progress_reporter", default=None)


def _ignore(advance: int = 1) -> None:
    """The tick of a task nobody watches."""


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[Reporter | None]:
    """Send the progress of the work inside the ``with`` block to ``reporter``.

    Parameters
    ----------
    reporter : callable or None
        Called as ``reporter(description, completed, total)``; None silences
        the reporter installed outside (for the block).

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> seen = []
    >>> with reporting(lambda description, completed, total: seen.append(completed)):
    ...     terms = derive(elman(), T=3, wrt="U").terms
    >>> seen
    [0, 1, 2, 3]
    """
    token = _REPORTER.set(reporter)
    try:
        yield reporter
    finally:
        _REPORTER.reset(token)


@contextmanager
def task(description: str, total: int) -> Iterator[Callable[..., None]]:
    """A unit of long work with ``total`` steps; yields ``tick(advance=1)``.

    Reports ``(description, 0, total)`` on entry and one event per tick, with
    ``completed`` capped at ``total``. When no reporter is installed, the tick
    is a function that does nothing (the cost of a call).

    Examples
    --------
    >>> events = []
    >>> with reporting(lambda *event: events.append(event[1:])):
    ...     with task("halves", total=4) as tick:
    ...         tick(2)
    ...         tick(3)
    >>> events
    [(0, 4), (2, 4), (4, 4)]
    """
    reporter = _REPORTER.get()
    if reporter is None:
        yield _ignore
        return
    total = max(int(total), 0)
    completed = 0

    def tick(advance: int = 1) -> None:
        nonlocal completed
        completed = min(completed + advance, total)
        reporter(description, completed, total)

    reporter(description, 0, total)
    yield tick


def track(items: Sequence, description: str) -> Iterable:
    """``items``, reporting one tick after each item is done (when the next one is asked for).

    Without a reporter, ``items`` itself is returned: a loop pays nothing.

    Examples
    --------
    >>> events = []
    >>> with reporting(lambda *event: events.append(event[1])):
    ...     squares = [t * t for t in track(range(1, 4), "squaring")]
    >>> squares, events
    ([1, 4, 9], [0, 1, 2, 3])
    """
    if _REPORTER.get() is None:
        return items
    return _tracked(items, description)


def _tracked(items: Sequence, description: str) -> Iterator:
    with task(description, len(items)) as tick:
        for item in items:
            yield item
            tick()
