"""The ``symbrnn`` command line: built-in cells or cell files, derivations and their numbers.

Every command has ``--help`` with an example. Bad input prints one line on
stderr and exits with status 2; ``check-grad`` exits with 1 when the engine and
finite differences disagree. The long commands (derive, eval, solve,
check-grad) show a transient progress bar on stderr for work that lasts more
than a second, when stderr is a terminal; piped output has none.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys

from ..core import errors
from .inputs import save
from .parser import PROG, parser

__all__ = ['main', 'run']

LONG = ("derive", "eval", "solve", "check-grad", "flow")  # the commands that show a progress bar


def _progress(command: str):
    """A progress bar on stderr for a long command when stderr is a terminal; otherwise nothing (rich not loaded)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if command not in LONG or isatty is None or not isatty():
        return contextlib.nullcontext()
    from ..render.progress import progress_bar

    return progress_bar()  # a console on stderr; erased before anything else is written there


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    try:
        path = getattr(args, "output", None)
        collected = io.StringIO()  # -o FILE: written whole when the command is done
        with _progress(args.command):
            code = args.run(args, collected if path else sys.stdout)
        if path:
            save(collected.getvalue(), path, dot=getattr(args, "format", None) == "dot")
        return code
    except errors.SymbrnnError as exc:
        message = " ".join(str(exc).split())  # one line
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.errno not in _FULL:  # not the output's fault: a bug, reported below
            return _internal(exc)
        sys.stderr.write(f"{PROG}: error: cannot write the output ({exc.strerror})\n")
        return 2
    except Exception as exc:  # a bug in symbrnn, not bad input: say so, and keep exit 1 for check-grad's mismatch
        if os.environ.get("SYMBRNN_DEBUG"):
            raise
        return _internal(exc)


#: errors of writing the output that are the disk's, not symbrnn's: no space, quota, too large, I/O
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _internal(exc: BaseException) -> int:
    sys.stderr.write(
        f"{PROG}: internal error (please report it; set SYMBRNN_DEBUG=1 for the traceback):"
        f" {type(exc).__name__}: {' '.join(str(exc).split())}\n"
    )
    return 3


def run() -> None:  # console-script entry point
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly (before OSError, of which it is one)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except OSError as exc:  # the output could not be flushed: a full disk
        if exc.errno not in _FULL:
            raise
        sys.stderr.write(f"{PROG}: error: cannot write the output ({exc.strerror})\n")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more is flushed at exit
        code = 2
    raise SystemExit(code)
