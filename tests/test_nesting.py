"""Nested activations cost work linear in the depth: tanh(tanh(…(w*x))) is compiled and evaluated in O(depth).

The generated code renames a cell's symbols to plain identifiers. Those must
stay real, as the cell's own are: a renamed ``tanh(u)`` with u of unknown
sign makes sympy ask whether it is real by splitting u into real and
imaginary parts, which for ten nested levels took over a minute. These tests
count the sympy objects made (a count, not a time), at depths 5, 10 and 20.
"""

import math

import pytest
import sympy as sp
from test_growth import _SympyObjects

from symbrnn import Cell, derive, gradients
from symbrnn.declare.lower import lowered

VALUES = {"w": .5, "x": [1, .8, .6], "y": [.5, .6, .7]}
DEPTHS = (5, 10, 20)


def nested(depth: int) -> Cell:
    cell = Cell(f"nested{depth}")
    x, y = cell.input("x"), cell.target("y")
    w = cell.param("w")
    h = cell.state("h", init=0)
    e = w * x
    for _ in range(depth):
        e = sp.tanh(e)
    cell.update(h, e)
    cell.loss((h - y) ** 2 / 2)
    return cell


class _Capped(_SympyObjects):
    """The count of sympy objects made, stopped with an error past ``cap`` (exponential work fails, not hangs)."""

    def __init__(self, cap: int):
        self.cap = cap

    def __enter__(self):
        super().__enter__()
        counting = self._basic.__new__

        def capped(cls, *args):
            if self.count > self.cap:
                raise AssertionError(f"more than {self.cap} sympy objects made")
            return counting(cls, *args)

        self._basic.__new__ = capped
        return self


def _counts(run) -> dict[int, int]:
    run(nested(3))  # what is made once per process is made here
    counts = {}
    for depth in DEPTHS:
        cell = nested(depth)
        with _Capped(cap=1000 * depth) as made:
            run(cell)
        counts[depth] = made.count
    return counts


def _linear(counts: dict[int, int]) -> None:
    """Twice the depth, at most about twice the objects (a + b·depth); exponential growth was ×4 per level."""
    assert counts[5] < counts[10] <= 2.5 * counts[5], counts
    assert counts[20] <= 2.5 * counts[10], counts


@pytest.mark.parametrize("what", ["terms", "bptt", "kernels source"])
def test_nested_activations_make_sympy_objects_linear_in_the_depth(what):
    from symbrnn.codegen.kernels import StepKernels

    run = {
        "terms": lambda cell: derive(cell, 3, wrt="w").evaluate(VALUES),  # step kernels (symbrnn eval)
        "bptt": lambda cell: gradients(cell, 3, VALUES),                  # the BPTT program
        "kernels source": lambda cell: StepKernels(lowered(cell)).forward_source,
    }[what]
    _linear(_counts(run))


def _loss(w: float, depth: int) -> float:
    total = 0.0
    for x, y in zip(VALUES["x"], VALUES["y"], strict=True):
        h = w * x
        for _ in range(depth):
            h = math.tanh(h)
        total += (h - y) ** 2 / 2
    return total


@pytest.mark.parametrize("depth", DEPTHS)
def test_the_gradient_of_nested_activations_is_right(depth):
    fd = (_loss(.5 + 1e-6, depth) - _loss(.5 - 1e-6, depth)) / 2e-6
    assert gradients(nested(depth), 3, VALUES)["w"] == pytest.approx(fd, rel=1e-7)
