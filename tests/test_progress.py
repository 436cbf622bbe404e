"""Progress reporting: the events the core sends, and the rich bar that shows them (never when piped)."""

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console

from symbrnn import cli, derive, progress
from symbrnn.cells import elman
from symbrnn.render import progress as bar_module
from symbrnn.render.progress import progress_bar
from symbrnn.testing import check_gradients

ROOT = Path(__file__).resolve().parents[1]
VALUES = ROOT / "examples" / "cells" / "seed002_values.toml"
NUMBERS = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}


def recorded(work) -> list[tuple]:
    events = []
    with progress.reporting(lambda *event: events.append(event)):
        work()
    return events


@pytest.fixture
def terminal(monkeypatch):
    """A forced-terminal console writing to a StringIO (and an environment that is not a dumb terminal)."""
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return Console(file=io.StringIO(), force_terminal=True, width=100)


# ------------------------------------------------------------------ the core's events
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_derive_ticks_once_per_step(mode):
    events = recorded(lambda: derive(elman(), T=20, wrt="U", mode=mode).terms)
    assert events == [(f"deriving dL/dU ({mode} mode)", k, 20) for k in range(21)]


def test_derive_of_a_step_ticks_up_to_that_step():
    events = recorded(lambda: derive(elman(), T=20, wrt="U", of="h_7").terms)
    assert [e[1:] for e in events] == [(k, 7) for k in range(8)]
    assert events[0][0] == "deriving dh_7/dU (forward mode)"


def test_terms_are_built_once_and_reported_once():
    d = derive(elman(), T=5, wrt="U")
    first = recorded(lambda: d.terms)
    assert len(first) == 6 and recorded(lambda: d.terms) == []  # cached: no work, no events


def test_check_gradients_ticks_once_per_param():
    events = recorded(lambda: check_gradients(elman(), T=3, values=NUMBERS))
    checking = [e for e in events if e[0] == "checking gradients against finite differences"]
    assert checking == [("checking gradients against finite differences", k, 5) for k in range(6)]
    assert {e[0] for e in events} - {checking[0][0]} <= {"differentiating cell 'elman' for BPTT"}


def test_task_caps_completed_at_total_and_counts_monotonically():
    def work():
        with progress.task("work", total=5) as tick:
            for advance in (2, 1, 4, 1):
                tick(advance)

    assert [e[1] for e in recorded(work)] == [0, 2, 3, 5, 5]


def test_nothing_is_reported_without_a_reporter():
    steps = range(1, 10)
    assert progress.track(steps, "no one watches") is steps  # the loop runs on the items themselves
    events = []
    with progress.reporting(lambda *event: events.append(event)):
        with progress.reporting(None):  # silenced inside
            assert derive(elman(), T=4, wrt="U").terms
        thread = threading.Thread(target=lambda: derive(elman(), T=4, wrt="b").terms)
        thread.start()  # a new thread starts from an empty context: no reporter there
        thread.join()
    assert events == []


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_results_are_the_same_with_and_without_a_reporter(mode, terminal):
    quiet, recorded_, drawn = (derive(elman(), T=3, wrt="U", mode=mode) for _ in range(3))
    assert len(recorded(lambda: recorded_.terms)) == 4
    with progress_bar(terminal, delay=-1.0):  # drawn from the first event
        assert drawn.terms
    assert "deriving dL/dU" in terminal.file.getvalue()
    for d in (recorded_, drawn):
        assert d.terms == quiet.terms and str(d) == str(quiet)
        assert d.evaluate(NUMBERS).value == quiet.evaluate(NUMBERS).value


# ------------------------------------------------------------------ the rich bar
def test_bar_draws_nothing_on_a_console_that_is_not_a_terminal():
    console = Console(file=io.StringIO(), force_terminal=False)
    with progress_bar(console, delay=0.0) as reporter:
        d = derive(elman(), T=30, wrt="U")
        assert d.terms
    assert reporter is None and console.file.getvalue() == ""
    assert len(d.terms) == len(derive(elman(), T=30, wrt="U").terms)


def test_bar_appears_after_the_delay_and_not_before(terminal):
    now = [0.0]
    with progress_bar(terminal, clock=lambda: now[0]):
        with progress.task("deriving dL/dU", total=4) as tick:
            now[0] = 0.6
            tick()
            now[0] = 1.0  # exactly the delay: not more
            tick()
            assert terminal.file.getvalue() == ""
            now[0] = 1.5
            tick()
            drawn = terminal.file.getvalue()
            assert "deriving dL/dU" in drawn and "3/4" in drawn and "0:00:01" in drawn
            now[0] = 2.0
            tick()
    out = terminal.file.getvalue()
    assert "\x1b[2K" in out[out.rindex("3/4"):]  # transient: the line is erased when the task is done
    assert "4/4" not in out


def test_bar_is_erased_when_the_work_is_interrupted(terminal):
    now = [0.0]
    with pytest.raises(KeyboardInterrupt), progress_bar(terminal, clock=lambda: now[0]):
        with progress.task("deriving dL/dU", total=4) as tick:
            now[0] = 1.5
            tick()
            raise KeyboardInterrupt
    out = terminal.file.getvalue()
    assert "1/4" in out and "\x1b[2K" in out[out.rindex("1/4"):]  # the last frame is erased, not left behind


def test_a_task_begun_under_a_shown_bar_gets_its_own_line(terminal):
    now = [0.0]
    with progress_bar(terminal, clock=lambda: now[0]):
        with progress.task("outer", total=2) as outer:
            now[0] = 1.5
            outer()
            with progress.task("inner", total=2) as inner:
                now[0] = 1.75
                inner()
                assert "inner" in terminal.file.getvalue()  # drawn at once: the work has lasted long enough
                inner()
            now[0] = 2.0
            outer()  # the last task is done: the bar is erased
    out = terminal.file.getvalue()
    assert "2/2" not in out  # neither is drawn once done
    assert "\x1b[1A\x1b[2K" in out[out.rindex("inner"):]  # both lines erased at the end


def test_short_work_never_shows_a_bar(terminal):
    now = [0.0]
    with progress_bar(terminal, clock=lambda: now[0]):
        for _ in range(3):  # three tasks of 0.9 s each: 2.7 s in all, but none lasted a second
            with progress.task("short", total=9) as tick:
                for _ in range(9):
                    now[0] += 0.1
                    tick()
    assert terminal.file.getvalue() == ""


def test_bar_follows_a_derivation(terminal):
    now = [0.0]
    with progress_bar(terminal, clock=lambda: now[0]) as bar:
        def spy(description, completed, total):  # a quarter of a second per step
            now[0] = completed * 0.25
            bar(description, completed, total)

        with progress.reporting(spy):
            assert derive(elman(), T=20, wrt="U", mode="reverse").terms
    out = terminal.file.getvalue()
    frames = [line for line in out.replace("\r", "\n").split("\n") if "deriving" in line]
    assert "deriving dL/dU (reverse mode)" in frames[0] and " 5/20" in frames[0]  # the first event after 1 s
    assert "19/20" in frames[-1] and len(frames) == 15


# ------------------------------------------------------------------ the command line
class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stderr_type", [FakeTTY, io.StringIO])
def test_cli_draws_the_bar_on_stderr_only_when_it_is_a_terminal(stderr_type, monkeypatch, terminal):
    monkeypatch.setattr(bar_module, "DELAY", -1.0)  # draw from the first event
    argv = ["derive", "elman", "--steps", "5", "--wrt", "U", "--form", "terms"]
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert cli.main(argv) == 0
    plain = sys.stdout.getvalue()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", stderr_type())
    assert cli.main(argv) == 0
    assert sys.stdout.getvalue() == plain  # the output is the same, bar or not
    err = sys.stderr.getvalue()
    assert ("deriving dL/dU (forward mode)" in err) == (stderr_type is FakeTTY)
    assert err == "" or stderr_type is FakeTTY


@pytest.mark.parametrize("args", [
    ("derive", "elman", "--steps", 800, "--wrt", "U", "--form", "terms"),
    ("eval", "elman", "--values", VALUES, "--wrt", "U"),
])
def test_cli_piped_output_has_no_progress(args):
    env = {**os.environ, "PYTHONHASHSEED": "0", "FORCE_COLOR": "1"}  # rich alone would call this a terminal
    r = subprocess.run([sys.executable, "-m", "symbrnn", *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "\x1b" not in r.stdout and "deriving" not in r.stdout and "━" not in r.stdout


def test_the_bptt_plan_ticks_once_per_level():
    from symbrnn.cells import lstm_gomez
    from symbrnn.codegen.plan import BPTTPlan
    from symbrnn.declare.lower import lowered

    low = lowered(lstm_gomez(2, 2))
    events = []
    with progress.reporting(lambda *event: events.append(event)):
        BPTTPlan(low)
    levels = 2 * 2 + 1  # the components of c and h, then the loss
    assert events == [("differentiating cell 'lstm_gomez' for BPTT", k, levels) for k in range(levels + 1)]


def test_flow_ticks_once_per_step_and_the_cli_bar_shows_it(monkeypatch, terminal):
    from symbrnn.analysis import flow

    values = {"w": .5, "U": .5, "V": .5, "b": 0.0, "c": .1, "x": [0.0] * 30, "y": [0.0] * 30}
    events = recorded(lambda: flow(elman(), 30, values))
    assert [e[1:] for e in events if e[0] == "step partials"] == [(k, 30) for k in range(31)]

    monkeypatch.setattr(bar_module, "DELAY", -1.0)  # draw from the first event
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    assert cli.main(["flow", "elman", "--values", str(ROOT / "examples" / "cells" / "flow_exploding.toml")]) == 0
    assert "step partials" in sys.stderr.getvalue() and "Norms by lag" in sys.stdout.getvalue()
