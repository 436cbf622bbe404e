"""The command line's whole output on the examples, byte for byte against tests/snapshots/cli/ (see cli_cases.py)."""

import pytest
from cli_cases import CASES, SNAPSHOTS, columns, run


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_unchanged(name):
    expected = (SNAPSHOTS / f"{name}.txt").read_text(encoding="utf-8")
    got = run(CASES[name], columns(name))
    assert got == expected
    if name.endswith("_w60"):  # it fits the terminal
        assert max(len(line) for line in got.splitlines()) <= 60, name
