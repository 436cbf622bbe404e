"""Command lines whose whole output (stdout, stderr, exit status) is kept under tests/snapshots/cli/.

The snapshots were written by the code as it stood before the package was
reorganised into layer folders; ``test_cli_snapshots.py`` holds every later
version to them byte for byte. Run ``python tests/cli_cases.py --write`` to
write them anew after a deliberate change of the output (and read the diff).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests" / "snapshots" / "cli"
C = "examples/cells"

#: name -> argv (run from the project root, COLUMNS=100; a name ending in _w60 at COLUMNS=60)
CASES = {
    "cells": ["cells"],
    "show_elman": ["show", "elman"],
    "show_lstm_file": ["show", f"{C}/lstm.toml"],
    "show_gated_file": ["show", f"{C}/gated.toml"],
    "show_gru": ["show", "gru", "--input-size", "1", "--hidden-size", "1"],
    "derive_abstract": ["derive", "elman", "--steps", "3", "--wrt", "U"],
    "derive_abstract_reverse": ["derive", "elman", "--steps", "3", "--wrt", "U", "--mode", "reverse"],
    "derive_concrete": ["derive", "elman", "--steps", "3", "--wrt", "w", "--form", "concrete"],
    "derive_generic": ["derive", "elman", "--steps", "3", "--wrt", "U", "--form", "generic"],
    "derive_generic_reverse_h0": ["derive", "elman", "--steps", "3", "--wrt", "h_0", "--form", "generic",
                                  "--mode", "reverse"],
    "derive_expanded": ["derive", "elman", "--steps", "2", "--wrt", "U", "--form", "expanded"],
    "derive_terms": ["derive", "elman", "--steps", "3", "--wrt", "b", "--form", "terms", "--mode", "reverse"],
    "derive_markdown": ["derive", "elman", "--steps", "2", "--wrt", "U", "--format", "markdown"],
    "derive_latex": ["derive", "elman", "--steps", "2", "--wrt", "V", "--format", "latex"],
    "derive_gated_file": ["derive", f"{C}/gated.toml", "--steps", "2", "--wrt", "ug"],
    "derive_lstm_component": ["derive", f"{C}/lstm.toml", "--steps", "2", "--wrt", "W[1,0]", "--mode", "reverse",
                              "--form", "terms"],
    "derive_stacked_generic": ["derive", "stacked", "--steps", "2", "--wrt", "l1_h[1]_0", "--form", "generic"],
    "eval_text": ["eval", "elman", "--values", f"{C}/seed002_values.toml"],
    "eval_reverse": ["eval", "elman", "--values", f"{C}/seed002_values.toml", "--mode", "reverse", "--wrt", "U"],
    "eval_json": ["eval", "elman", "--values", f"{C}/seed002_values.toml", "--json"],
    "eval_rich": ["eval", "elman", "--values", f"{C}/seed002_values.toml", "--wrt", "U", "--format", "rich"],
    "eval_markdown": ["eval", "elman", "--values", f"{C}/seed002_values.toml", "--wrt", "c", "--format", "markdown"],
    "eval_lstm_text": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json"],
    "eval_lstm_json": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json", "--json",
                       "--wrt", "b[2]"],
    "eval_gated": ["eval", f"{C}/gated.toml", "--values", f"{C}/gated_values.json", "--digits", "9"],
    "solve_rich": ["solve", "elman", "--values", f"{C}/seed002_values.toml"],
    "solve_reverse_markdown": ["solve", "elman", "--values", f"{C}/seed002_values.toml", "--mode", "reverse",
                               "--format", "markdown"],
    "solve_adam_latex": ["solve", "elman", "--values", f"{C}/seed002_values.toml", "--optimizer", "adam",
                         "--lr", "0.01", "--format", "latex"],
    "solve_gated": ["solve", f"{C}/gated.toml", "--values", f"{C}/gated_values.json", "--digits", "5"],
    "check_grad_elman": ["check-grad", "elman", "--values", f"{C}/seed002_values.toml"],
    "check_grad_lstm": ["check-grad", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json"],
    "show_lstm_gomez": ["show", "lstm_gomez"],
    "show_lstm_gomez_w60": ["show", "lstm_gomez"],
    "show_gru_w60": ["show", "gru", "--input-size", "3", "--hidden-size", "4"],
    "show_elman_softmax": ["show", "elman_softmax"],
    "show_elman_softmax_w60": ["show", "elman_softmax"],
    "derive_lstm_gomez": ["derive", "lstm_gomez", "--steps", "2", "--wrt", "W"],
    "derive_lstm_gomez_w60": ["derive", "lstm_gomez", "--steps", "2", "--wrt", "W"],
    "derive_gru": ["derive", "gru", "--steps", "2", "--wrt", "W_hh"],
    "derive_gru_w60": ["derive", "gru", "--steps", "2", "--wrt", "W_hh"],
    "derive_elman_softmax": ["derive", "elman_softmax", "--steps", "2", "--wrt", "V"],
    "derive_elman_softmax_w60": ["derive", "elman_softmax", "--steps", "2", "--wrt", "V"],
    "cells_w60": ["cells"],
    "eval_whole_matrix_text_w60": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json", "--wrt", "b"],
    "check_grad_lstm_w60": ["check-grad", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json"],
    "error_unknown_cell": ["show", "nosuchcell"],
    "error_wrt": ["derive", "elman", "--steps", "3", "--wrt", "x"],
    "derive_whole_matrix": ["derive", "lstm_gomez", "--steps", "2", "--wrt", "W"],
    "derive_whole_matrix_concrete": ["derive", "elman_softmax", "--steps", "2", "--wrt", "V", "--form", "concrete"],
    "derive_whole_matrix_generic": ["derive", "lstm", "--steps", "3", "--wrt", "h_0", "--form", "generic"],
    "eval_whole_matrix_json": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json", "--wrt", "U",
                               "--json"],
    "eval_whole_matrix_text": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json", "--wrt", "b"],
    "derive_forward_vector": ["derive", "gru", "--steps", "2", "--wrt", "b_ih", "--mode", "forward"],
    "derive_forward_vector_latex": ["derive", "lstm", "--steps", "1", "--wrt", "b_hh", "--mode", "forward",
                                    "--format", "latex"],
    "eval_forward_vector_text": ["eval", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json", "--wrt", "b",
                                 "--mode", "forward"],
    "error_forward_whole_matrix": ["derive", "lstm_gomez", "--steps", "2", "--wrt", "W", "--mode", "forward"],
    "error_size_option": ["show", "elman", "--classes", "3"],
    "error_values": ["eval", "lstm_gomez", "--values", f"{C}/seed002_values.toml"],
    "error_expanded": ["derive", "elman", "--steps", "40", "--wrt", "U", "--form", "expanded"],
    "solve_seed000": ["solve", "lstm_gomez", "--naming", "seed000", "--values", f"{C}/seed000_values.json",
                      "--digits", "6"],
    "solve_seed000_w60": ["solve", "lstm_gomez", "--values", f"{C}/seed000_values.json", "--wrt", "W"],
    "solve_seed004_softmax": ["solve", "elman_softmax", "--values", f"{C}/seed004_values.json", "--wrt", "V"],
    "solve_seed004_softmax_w60": ["solve", "elman_softmax", "--values", f"{C}/seed004_values.json", "--wrt",
                                  "V"],
    "solve_gru": ["solve", "gru", "--values", f"{C}/gru_values.json", "--wrt", "W_hh", "--wrt", "b_ih"],
    "solve_gru_w60": ["solve", "gru", "--values", f"{C}/gru_values.json", "--wrt", "W_hh"],
    "solve_toml_lstm_adam_updates": ["solve", f"{C}/lstm.toml", "--values", f"{C}/seed000_values.json",
                                     "--optimizer", "adam", "--lr", "0.01", "--updates", "3"],
    "solve_elman_adam_updates_w60": ["solve", "elman", "--values", f"{C}/seed002_values.toml", "--optimizer",
                                     "adam", "--lr", "0.1", "--updates", "3", "--eps-inside-sqrt"],
}


def columns(name: str) -> int:
    """The terminal width a case runs at."""
    return 60 if name.endswith("_w60") else 100


def run(argv: list[str], width: int = 100) -> str:
    """The output of ``symbrnn ARGV`` as one text: exit status, stdout, stderr."""
    from symbrnn.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd(), os.environ.get("COLUMNS")
    os.chdir(ROOT)
    os.environ["COLUMNS"] = str(width)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(old[0])
        if old[1] is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old[1]
    return f"exit {code}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"


def write() -> None:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for name, argv in CASES.items():
        (SNAPSHOTS / f"{name}.txt").write_text(run(argv, columns(name)), encoding="utf-8")
        print(f"wrote {name}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/cli_cases.py --write")
    write()
