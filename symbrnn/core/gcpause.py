"""Building many acyclic objects without the cyclic garbage collector in the way.

A derivation at T = 10,000 creates hundreds of thousands of sympy objects and
terms, none of which form reference cycles that need collecting. The
collector still walks the ever-growing young generations as they fill, which
made the work superlinear in T and about half of its time. :func:`paused`
switches the collector off for the block and restores it as it was (a
collection then runs at the next allocation threshold as usual).

Examples
--------
>>> import gc
>>> with paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused():
    """Disable the cyclic garbage collector inside the block; re-enable it only if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
