"""Scalar cells written from scratch for the tests, each with a set of values."""

from __future__ import annotations

import sympy as sp

from symbrnn import Cell, sigmoid
from symbrnn.cells import elman


def elman_values(T: int = 3) -> dict:
    xs, ys = [1.0, 0.8, 0.6, -0.4, 0.3], [0.5, 0.6, 0.7, 0.1, -0.2]
    return {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": xs[:T], "y": ys[:T]}


def gated() -> Cell:
    """Two states and sigmoid gates; h_t reads c_t at the same step (a scalar LSTM-like cell)."""
    cell = Cell("gated")
    x = cell.input("x")
    y = cell.target("y")
    wg, ug, bg, wc, uc, wo, uo = cell.params("wg ug bg wc uc wo uo")
    c = cell.state("c", init=0)
    h = cell.state("h", init=0)
    g = cell.node("g", sigmoid(wg * x + ug * h.prev + bg))
    cand = cell.node("cand", sp.tanh(wc * x + uc * h.prev))
    cell.update(c, g * c.prev + (1 - g) * cand)
    o = cell.node("o", sigmoid(wo * x + uo * h.prev))
    cell.update(h, o * sp.tanh(c))
    cell.loss((h - y) ** 2 / 2)
    return cell


def gated_values(T: int = 3) -> dict:
    xs, ys = [0.9, -0.3, 0.5, 1.2], [0.2, -0.1, 0.4, 0.3]
    return {"wg": 0.7, "ug": -0.4, "bg": 0.1, "wc": 1.1, "uc": 0.6, "wo": -0.8, "uo": 0.9,
            "x": xs[:T], "y": ys[:T]}


def learned_init() -> Cell:
    """The initial state is a param (h0); the loss also reads h_{t-1} (a smoothness penalty)."""
    cell = Cell("learned_init")
    x = cell.input("x")
    y = cell.target("y")
    w, u, v, h0, lam = cell.params("w u v h0 lam")
    h = cell.state("h", init=h0)
    cell.update(h, sp.tanh(w * x + u * h.prev))
    cell.loss((v * h - y) ** 2 / 2 + lam * (h - h.prev) ** 2)
    return cell


def learned_init_values(T: int = 3) -> dict:
    xs, ys = [0.4, -1.0, 0.7, 0.2], [0.1, -0.5, 0.3, 0.0]
    return {"w": 0.9, "u": -0.7, "v": 1.3, "h0": 0.35, "lam": 0.25, "x": xs[:T], "y": ys[:T]}


ZOO = {
    "elman": (elman, elman_values),
    "gated": (gated, gated_values),
    "learned_init": (learned_init, learned_init_values),
}
