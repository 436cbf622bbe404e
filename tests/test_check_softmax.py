"""symbrnn.check on answer sheets written here for seed 004's softmax RNN, at the matrix level: planted slips.

Every number comes from :class:`Student`, the Elman RNN with a softmax output and cross-entropy (input 2,
hidden 2, 3 classes, T = 3) worked by hand in plain Python as seed 004 does: the forward pass, then from the
last step back δz_t = ŷ_t − y_t, δh_t = Vᵀδz_t + Uᵀ(δh_{t+1} ⊙ (1 − h_{t+1}²)), each step's share of dL/dV
(δz_t h_tᵀ) and of dL/dU ((δh_t ⊙ (1 − h_t²)) h_{t-1}ᵀ), their sums and the SGD update. The bookkeeping of
slips and carried numbers is tests/test_check.py's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_check_lstm import Student as Bookkeeping
from test_check_lstm import right

from symbrnn import check
from symbrnn.cells import elman_softmax

VALUES = json.loads((Path(__file__).resolve().parents[1] / "examples" / "cells" / "seed004_values.json").read_text())
T, H, C = 3, 2, 3
w, U, b, V, c = (VALUES[k] for k in "wUbVc")


class Student(Bookkeeping):
    def work(self) -> Student:
        for t in range(1, T + 1):
            self.forward(t)
        n = self.num
        self.put("L", sum(n[f"L_{t}"] for t in range(1, T + 1)), tuple(f"L_{t}" for t in range(1, T + 1)))
        for t in range(T, 0, -1):
            self.backward(t)
        for name, rows, cols, first in (("V", C, H, 1), ("U", H, H, 2)):
            for i in range(rows):
                for j in range(cols):
                    shares = tuple(f"dL/d{name}[{t}][{i},{j}]" for t in range(first, T + 1))
                    g = self.put(f"dL/d{name}[{i},{j}]", sum(n[s] for s in shares), shares)
                    self.put(f"{name}_new[{i},{j}]", VALUES[name][i][j] - 0.1 * g, (f"dL/d{name}[{i},{j}]",))
        return self

    def forward(self, t: int) -> None:
        n, put = self.num, self.put
        x, y = VALUES["x"][t - 1], VALUES["y"][t - 1]
        hp = [n[f"h[{j}]_{t - 1}"] for j in range(H)] if t > 1 else [0.0] * H
        back = tuple(f"h[{j}]_{t - 1}" for j in range(H)) if t > 1 else ()
        h = [put(f"h[{i}]_{t}", math.tanh(sum(w[i][k] * x[k] for k in range(2)) + sum(U[i][j] * hp[j] for j in
                                                                                     range(H)) + b[i]), back)
             for i in range(H)]
        hs = tuple(f"h[{j}]_{t}" for j in range(H))
        z = [put(f"z[{k}]_{t}", sum(V[k][j] * h[j] for j in range(H)) + c[k], hs) for k in range(C)]
        zs = tuple(f"z[{k}]_{t}" for k in range(C))
        total = sum(math.exp(v) for v in z)
        yhat = [put(f"yhat[{k}]_{t}", math.exp(z[k]) / total, zs) for k in range(C)]
        put(f"L_{t}", -sum(y[k] * math.log(yhat[k]) for k in range(C)), tuple(f"yhat[{k}]_{t}" for k in range(C)))

    def backward(self, t: int) -> None:
        n, put = self.num, self.put
        y = VALUES["y"][t - 1]
        dz = [put(f"δz[{k}]_{t}", n[f"yhat[{k}]_{t}"] - y[k], (f"yhat[{k}]_{t}",)) for k in range(C)]
        for j in range(H):
            value = sum(V[k][j] * dz[k] for k in range(C))
            deps = tuple(f"δz[{k}]_{t}" for k in range(C))
            if t < T:
                value += sum(U[i][j] * n[f"δh[{i}]_{t + 1}"] * (1 - n[f"h[{i}]_{t + 1}"] ** 2) for i in range(H))
                deps += tuple(f"{q}[{i}]_{t + 1}" for i in range(H) for q in ("δh", "h"))
            put(f"δh[{j}]_{t}", value, deps)
        for k in range(C):
            for j in range(H):
                put(f"dL/dV[{t}][{k},{j}]", dz[k] * n[f"h[{j}]_{t}"], (f"δz[{k}]_{t}", f"h[{j}]_{t}"))
        for i in range(H):
            for j in range(H) if t > 1 else ():
                put(f"dL/dU[{t}][{i},{j}]", n[f"h[{j}]_{t - 1}"] * n[f"δh[{i}]_{t}"] * (1 - n[f"h[{i}]_{t}"] ** 2),
                    (f"h[{j}]_{t - 1}", f"δh[{i}]_{t}", f"h[{i}]_{t}"))


EXACT = {k: v + 0.0 for k, v in Student().work().num.items()}


def sheet(slips=None, decimals=(4, 3, 5, 2)) -> Student:
    return Student(slips, decimals, exact=EXACT).work()


def test_the_students_exact_numbers_are_the_librarys():
    from symbrnn import gradients

    g = gradients(elman_softmax(), T, VALUES)
    for name, rows, cols in (("V", C, H), ("U", H, H)):
        assert [EXACT[f"dL/d{name}[{i},{j}]"] for i in range(rows) for j in range(cols)] == \
            pytest.approx(g[name].ravel().tolist(), rel=1e-12)


def test_a_sheet_of_right_numbers_is_all_right():
    s = sheet(decimals=(2, 3, 4, 5))
    report = check(elman_softmax(), T, VALUES, s.text)
    assert len(report) == len(s.text) and report.ok
    assert {m.key: m.verdict for m in report} == dict.fromkeys(s.text, "right")


SLIPS = {  # kind: (key, the slip, words of the cause it must be named by)
    "tanh omitted": ("h[0]_1", lambda v, n: math.atanh(v), "the activation tanh omitted"),
    "tanh' as 1 − tanh": ("dL/dU[2][0,1]", lambda v, n: n["h[1]_1"] * n["δh[0]_2"] * (1 - n["h[0]_2"]), "1 − tanh"),
    "derivative omitted": ("dL/dU[3][1,0]", lambda v, n: n["h[0]_2"] * n["δh[1]_3"], "derivative left out"),
    "next step dropped": ("δh[1]_2", lambda v, n: sum(V[k][1] * n[f"δz[{k}]_2"] for k in range(C)),
                          "the term through the next step"),
    "param swapped": ("z[1]_2", lambda v, n: v - c[1] + c[2], "c[2] used in place of c[1]"),
    "a step's value": ("δz[0]_2", lambda v, n: n["δz[0]_3"], "the value of δz[0]_3, one step off"),
    "sign flip": ("δz[2]_1", lambda v, n: -v, "the sign flipped"),
    "factor of 10": ("L_2", lambda v, n: 10 * v, "factor of 10"),
    "product slip": ("dL/dV[2][1,1]", lambda v, n: n["δz[1]_2"], "the factor h[1]_2 left out of a product"),
    "sum slip": ("dL/dV[0,0]", lambda v, n: n["dL/dV[1][0,0]"] + n["dL/dV[2][0,0]"],
                 "the term dL/dV[3][0,0] left out of a sum"),
    "early rounding": ("z[2]_3", lambda v, n: sum(V[2][j] * round(n[f"h[{j}]_3"], 1) for j in range(H)) + c[2],
                       "rounded to 1 decimals"),
    "copied": ("δh[1]_3", lambda v, n: n["δh[0]_3"], "the value of δh[0]_3 (copied"),
    "digits swapped": ("yhat[2]_3", lambda v, n: float(write4(v)[:-2] + write4(v)[-1] + write4(v)[-2]),
                       "two adjacent digits swapped"),
}


def write4(v: float) -> str:
    from test_check import write

    return write(v, 4)


@pytest.mark.parametrize("kind", sorted(SLIPS))
def test_a_planted_slip_is_found_and_what_follows_is_carried(kind):
    key, slip, cause = SLIPS[kind]
    s = sheet({key: slip})
    assert not right(s.text[key], EXACT[key]), "the slip changes the written number"
    marks = {m.key: m for m in check(elman_softmax(), T, VALUES, s.text)}
    assert marks[key].verdict == "wrong"
    assert cause in (marks[key].cause or ""), marks[key]
    for k, m in marks.items():
        if k == key:
            continue
        if right(s.text[k], EXACT[k]):
            assert m.verdict == "right", (k, m)
            continue
        assert k in s.tainted, (k, m)
        assert m.verdict == "carried", (k, m)
        differing = {d for d in s.deps[k] if s.num[d] != pytest.approx(EXACT[d], rel=1e-12)}
        assert m.uses and set(m.uses) <= differing, (k, m.uses, s.deps[k])
