"""``symbrnn check``: mark a hand derivation's numbers; ``--template`` writes an answer sheet with every key.

Exit status 0 when every number is right or carried, 1 when one is wrong or
unreadable, 2 for bad input (as every command).
"""

from __future__ import annotations

import json

from ..checking import build_program, check, load_sheet, template
from ..core import errors
from ..declare.lower import component_count
from ..numeric.optimizers import SGD, Adam
from .argtypes import positive, rate
from .inputs import cell_from, checked_values, emit, read_values, steps_from

__all__ = ["TEMPLATE_COMPONENTS", "add_check", "cmd_check"]

#: a shaped cell's template lists every param component's terms up to this many components
TEMPLATE_COMPONENTS = 64


def add_check(sub, with_cell) -> None:
    """Add the ``check`` subcommand to ``sub``; ``with_cell`` makes a subcommand that takes a CELL."""
    c = with_cell(sub, "check", "mark a hand derivation: each written number right, carried or wrong, and why"
                  " (exit 1 if one is wrong)",
                  "symbrnn check elman --values examples/cells/seed002_values.toml"
                  " --answers examples/cells/seed002_answers.toml", cmd_check)
    c.add_argument("--values", required=True, metavar="FILE",
                   help="values file (TOML or JSON; - reads the standard input)")
    c.add_argument("--steps", "-T", type=positive, metavar="T",
                   help="number of steps (default: the length of the sequences in the values file)")
    c.add_argument("--answers", metavar="SHEET", help="the answer sheet: a flat TOML table or JSON object of"
                   " quantity names and the numbers written, as text (h_2 = \"0.716\")")
    c.add_argument("--template", action="store_true", help="write an answer sheet with every key of the cell"
                   " at T (the numbers of --answers filled in)")
    c.add_argument("--json", action="store_true", help="a list of {key, written, exact, verdict, cause, uses}")
    c.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="the update the *_new numbers were made with (default sgd)")
    c.add_argument("--lr", type=rate, metavar="ETA", help="learning rate (default 0.1 for sgd, 0.001 for adam)")
    c.add_argument("--format", choices=("rich", "markdown", "latex"), default="rich",
                   help="rich: the terminal (default); markdown, for a teacher; latex (a whole document with -o"
                   " or --standalone)")
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the standard output")
    c.add_argument("--standalone", action="store_true", help="latex: a whole document that pdflatex compiles")


def _optimizer(args):
    if args.optimizer == "adam":
        return Adam(lr=args.lr or 0.001)
    return SGD(lr=args.lr or 0.1)


def cmd_check(args, out) -> int:
    cell = cell_from(args.cell, args)
    values = read_values(args.values)
    T = steps_from(args, values, cell)
    values = checked_values(args.values, cell, T)
    if args.template:
        answers = load_sheet(args.answers) if args.answers else {}
        small = not cell.shaped or component_count(cell) <= TEMPLATE_COMPONENTS
        program = build_program(cell, T, values, forward=None if small else [], optimizer=_optimizer(args))
        filled = {} if not answers else {m.key: m.written for m in
                                          check(cell, T, values, answers, optimizer=_optimizer(args),
                                                source=args.answers)}
        leave_out = () if small else ("explicit", "contribution", "update")
        out.write(template(program, answers=filled, leave_out=leave_out))
        return 0
    if not args.answers:
        raise errors.SpecError("give --answers SHEET (or --template to write a sheet with every key)")
    report = check(cell, T, values, load_sheet(args.answers), optimizer=_optimizer(args), source=args.answers)
    if args.json:
        out.write(json.dumps(report.as_json(), indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        emit(report, args, out)
    return 0 if report.ok else 1
