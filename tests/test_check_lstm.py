"""symbrnn.check on answer sheets written here for seed 000's LSTM, at the matrix level: planted slips of every kind.

Every number of a sheet comes from :class:`Student`, the LSTM of seed 000 (input 2, hidden 1, gates a, i, f,
o) worked by hand in plain Python, the way the notes do: the forward pass, then from the last step back the
deltas δh, δo, δc (which includes the path through h_t of the same step), the gates' δi, δf, δa, their
pre-activations' δz, the input's δx, each step's share of dL/dW and dL/db, the sums and the SGD update. A
planted slip replaces one number; what follows from it is computed from it (so it is credited as carried),
everything else is the exact value written at 2 to 5 decimals, rounded or truncated.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import tomllib
from test_check import agrees, write
from test_cli import symbrnn

from symbrnn import check, values_template
from symbrnn.cells import lstm, lstm_gomez
from symbrnn.checking import diagnose
from symbrnn.checking.program import build_program, forward_keys

ROOT = Path(__file__).resolve().parents[1]
VALUES = json.loads((ROOT / "examples" / "cells" / "seed000_values.json").read_text())
REFERENCE = json.loads((ROOT.parent / "shared" / "reference" / "seed000_lstm.json").read_text())
T, W, U, B = 2, VALUES["W"], [u[0] for u in VALUES["U"]], VALUES["b"]


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


class Student:
    """Works seed 000's LSTM by hand; ``slips`` maps a key to a function of the true number and the student's
    earlier ones giving the slipped number (see tests/test_check.py's Student, the same bookkeeping)."""

    def __init__(self, slips=None, decimals=(4, 3, 5, 2), exact=None):
        self.slips, self.decimals, self.exact = slips or {}, decimals, exact
        self.text, self.num, self.deps, self.tainted = {}, {}, {}, set()

    def put(self, key: str, value: float, deps: tuple = ()) -> float:
        i = len(self.text)
        decimals = 4 if key in self.slips else self.decimals[i % len(self.decimals)]
        self.deps[key] = deps
        if key in self.slips:
            value = self.slips[key](value, self.num)
            self.tainted.add(key)
        elif any(d in self.tainted for d in deps):
            self.tainted.add(key)
        elif self.exact is not None:
            value = self.exact[key]
        self.text[key] = write(value, decimals, truncate=i % 3 == 1)
        self.num[key] = float(self.text[key]) if self.exact is not None else value
        return self.num[key]

    def work(self) -> Student:
        for t in range(1, T + 1):
            self.forward(t)
        n = self.num
        self.put("L", n["L_1"] + n["L_2"], ("L_1", "L_2"))
        for t in range(T, 0, -1):
            self.backward(t)
        for k in range(4):
            for j in range(2):
                g = self.put(f"dL/dW[{k},{j}]", n[f"dL/dW[1][{k},{j}]"] + n[f"dL/dW[2][{k},{j}]"],
                             (f"dL/dW[1][{k},{j}]", f"dL/dW[2][{k},{j}]"))
                self.put(f"W_new[{k},{j}]", W[k][j] - 0.1 * g, (f"dL/dW[{k},{j}]",))
            g = self.put(f"dL/db[{k}]", n[f"dL/db[1][{k}]"] + n[f"dL/db[2][{k}]"], (f"dL/db[1][{k}]", f"dL/db[2][{k}]"))
            self.put(f"b_new[{k}]", B[k] - 0.1 * g, (f"dL/db[{k}]",))
        return self

    def forward(self, t: int) -> None:
        n, put = self.num, self.put
        x, y = VALUES["x"][t - 1], VALUES["y"][t - 1][0]
        hp, cp = (n[f"h[0]_{t - 1}"], n[f"c[0]_{t - 1}"]) if t > 1 else (0.0, 0.0)
        back = (f"h[0]_{t - 1}",) if t > 1 else ()
        z = [put(f"z[{k}]_{t}", W[k][0] * x[0] + W[k][1] * x[1] + U[k] * hp + B[k], back) for k in range(4)]
        a = put(f"a[0]_{t}", math.tanh(z[0]), (f"z[0]_{t}",))
        i, f, o = (put(f"{g}[0]_{t}", sigmoid(z[k]), (f"z[{k}]_{t}",)) for k, g in ((1, "i"), (2, "f"), (3, "o")))
        c = put(f"c[0]_{t}", a * i + f * cp, (f"a[0]_{t}", f"i[0]_{t}", f"f[0]_{t}") + ((f"c[0]_{t - 1}",) if t > 1
                                                                                        else ()))
        h = put(f"h[0]_{t}", o * math.tanh(c), (f"o[0]_{t}", f"c[0]_{t}"))
        put(f"L_{t}", 0.5 * (h - y) ** 2, (f"h[0]_{t}",))

    def backward(self, t: int) -> None:
        n, put = self.num, self.put
        nxt = [f"δz[{k}]_{t + 1}" for k in range(4)] if t < T else []
        dh = put(f"δh[0]_{t}", n[f"h[0]_{t}"] - VALUES["y"][t - 1][0] + sum(U[k] * n[d] for k, d in enumerate(nxt)),
                 (f"h[0]_{t}", *nxt))
        c, o, a, i, f = (n[f"{q}[0]_{t}"] for q in "coaif")
        do = put(f"δo[0]_{t}", dh * math.tanh(c), (f"δh[0]_{t}", f"c[0]_{t}"))
        carried = n[f"δc[0]_{t + 1}"] * n[f"f[0]_{t + 1}"] if t < T else 0.0
        dc = put(f"δc[0]_{t}", dh * o * (1 - math.tanh(c) ** 2) + carried,
                 (f"δh[0]_{t}", f"o[0]_{t}", f"c[0]_{t}") + ((f"δc[0]_{t + 1}", f"f[0]_{t + 1}") if t < T else ()))
        di = put(f"δi[0]_{t}", dc * a, (f"δc[0]_{t}", f"a[0]_{t}"))
        cp, cp_key = (n[f"c[0]_{t - 1}"], (f"c[0]_{t - 1}",)) if t > 1 else (0.0, ())
        df = put(f"δf[0]_{t}", dc * cp, (f"δc[0]_{t}", *cp_key))
        da = put(f"δa[0]_{t}", dc * i, (f"δc[0]_{t}", f"i[0]_{t}"))
        gates = ((da, 1 - a * a, "δa", "a"), (di, i * (1 - i), "δi", "i"), (df, f * (1 - f), "δf", "f"),
                 (do, o * (1 - o), "δo", "o"))
        dz = [put(f"δz[{k}]_{t}", d * slope, (f"{dn}[0]_{t}", f"{g}[0]_{t}"))
              for k, (d, slope, dn, g) in enumerate(gates)]
        x = VALUES["x"][t - 1]
        for j in range(2):
            put(f"δx[{j}]_{t}", sum(W[k][j] * dz[k] for k in range(4)), tuple(f"δz[{k}]_{t}" for k in range(4)))
        for k in range(4):
            for j in range(2):
                put(f"dL/dW[{t}][{k},{j}]", dz[k] * x[j], (f"δz[{k}]_{t}",))
            put(f"dL/db[{t}][{k}]", dz[k], (f"δz[{k}]_{t}",))


EXACT = {k: v + 0.0 for k, v in Student().work().num.items()}  # + 0.0: δf[0]_1 = δc[0]_1·c[0]_0 is -0.0, written 0


def right(text: str, value: float) -> bool:
    """The test's own notion of right (tests/test_check.py's), with -0.00 the same number as 0.00."""
    bare = text.lstrip("-")
    return agrees(text, value) or (float(text) == 0 and (agrees(bare, value) or agrees("-" + bare, value)))


def sheet(slips=None, decimals=(4, 3, 5, 2)) -> Student:
    return Student(slips, decimals, exact=EXACT).work()


def test_the_students_exact_numbers_are_the_reference_ones():
    """The hand-worked numbers against the exact values of ../shared/reference (0-based steps there)."""
    for t in (1, 2):
        fwd, bwd = REFERENCE["forward"][t - 1], REFERENCE["backward_per_step"][f"t={t - 1}"]
        assert EXACT[f"h[0]_{t}"] == pytest.approx(fwd["out"], rel=1e-12)
        assert EXACT[f"c[0]_{t}"] == pytest.approx(fwd["state"], rel=1e-12)
        assert [EXACT[f"δz[{k}]_{t}"] for k in range(4)] == pytest.approx(bwd["delta_gates"], rel=1e-12, abs=1e-15)
        assert EXACT[f"δc[0]_{t}"] == pytest.approx(bwd["delta_state"], rel=1e-12)
        assert EXACT[f"δh[0]_{t}"] == pytest.approx(bwd["delta_out"], rel=1e-12)
        assert [EXACT[f"δx[{j}]_{t}"] for j in range(2)] == pytest.approx(bwd["delta_x"], rel=1e-12)
    assert EXACT["L"] == pytest.approx(REFERENCE["total_loss_E"], rel=1e-12)


@pytest.mark.parametrize("decimals", [(2,), (5,), (2, 3, 4, 5)])
def test_a_sheet_of_right_numbers_is_all_right(decimals):
    s = sheet(decimals=decimals)
    report = check(lstm_gomez(2, 1), T, VALUES, s.text)
    assert len(report) == len(s.text)
    assert {m.key: m.verdict for m in report} == dict.fromkeys(s.text, "right")


SLIPS = {  # kind: (key, the slip, words of the cause it must be named by)
    "tanh omitted": ("a[0]_1", lambda v, n: n["z[0]_1"], "the activation tanh omitted"),
    "σ omitted": ("i[0]_2", lambda v, n: n["z[1]_2"], "the activation σ omitted"),
    "tanh' as 1 − tanh": ("δz[0]_2", lambda v, n: n["δa[0]_2"] * (1 - n["a[0]_2"]), "1 − tanh"),
    "σ' as σ": ("δz[1]_1", lambda v, n: n["δi[0]_1"] * n["i[0]_1"], "σ' written as σ"),
    "derivative omitted": ("δz[3]_2", lambda v, n: n["δo[0]_2"], "derivative left out"),
    "next step dropped": ("δc[0]_1", lambda v, n: v - n["δc[0]_2"] * n["f[0]_2"],
                          "the term through the next step f[0]_2*δc[0]_2 dropped"),
    "param swapped": ("z[2]_1", lambda v, n: v - B[2] + B[3], "b[3] used in place of b[2]"),
    "a step's value": ("δh[0]_1", lambda v, n: n["δh[0]_2"], "the value of δh[0]_2, one step off"),
    "sign flip": ("δx[1]_2", lambda v, n: -v, "the sign flipped"),
    "factor of 10": ("dL/dW[2][0,1]", lambda v, n: 10 * v, "factor of 10"),
    "product slip": ("δf[0]_2", lambda v, n: n["δc[0]_2"], "the factor c[0]_1 left out of a product"),
    "sum slip": ("L", lambda v, n: n["L_2"], "the term L_1 left out of a sum"),
    "early rounding": ("δi[0]_2", lambda v, n: round(n["δc[0]_2"], 2) * n["a[0]_2"], "δc[0]_2 rounded to 2 decimals"),
    "copied": ("δa[0]_1", lambda v, n: n["δi[0]_1"], "the value of δi[0]_1 (copied"),
    "digits swapped": ("h[0]_2", lambda v, n: float(write(v, 4)[:-2] + write(v, 4)[-1] + write(v, 4)[-2]),
                       "two adjacent digits swapped"),
}


@pytest.mark.parametrize("kind", sorted(SLIPS))
def test_a_planted_slip_is_found_and_what_follows_is_carried(kind):
    key, slip, cause = SLIPS[kind]
    s = sheet({key: slip})
    assert not right(s.text[key], EXACT[key]), "the slip changes the written number"
    marks = {m.key: m for m in check(lstm_gomez(2, 1), T, VALUES, s.text)}
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


def test_the_componentwise_order_of_a_share_is_accepted():
    s = sheet()
    report = check(lstm_gomez(2, 1), T, VALUES, {"dL/dW[0,1][2]": s.text["dL/dW[2][0,1]"],
                                                 "delta c_1[0]": s.text["δc[0]_1"]})
    assert {m.key: m.verdict for m in report} == {"δc[0]_1": "right", "dL/dW[2][0,1]": "right"}


def test_a_sheet_without_forward_mode_keys_builds_no_forward_mode_terms():
    """dL/dW, the deltas and the shares come from the matrix derivation: no componentwise forward-mode
    derivation of a component is made for them (at hidden 16 one takes minutes)."""
    s = sheet()
    names = ["dL/dW[0,1]", "δh[0]_2", "dL/dW[2][0,1]", "W_new[0,1]"]
    assert forward_keys(names) == []
    report = check(lstm_gomez(2, 1), T, VALUES, {k: s.text[k] for k in names[:3]})
    assert {m.verdict for m in report} == {"right"}
    assert not [k for k in report.program.keys() if k.startswith(("∂h", "dh[", "implicit("))]
    asked = check(lstm_gomez(2, 1), T, VALUES, {"dh[0]_2/dW[0,1]": "0.1"}).program
    assert "dh[0]_2/dW[0,1]" in asked and "∂h[0]_2/∂W[0,1]" in asked


def test_the_search_for_a_slip_stops_at_its_budget(monkeypatch):
    """The search counts the definitions it evaluates; at its limit the verdict is "wrong" with a cause that
    says so, not a run of minutes (a tiny limit here stands in for a large cell)."""
    key, slip, cause = SLIPS["param swapped"]
    alone = {key: sheet({key: slip}).text[key]}
    found = check(lstm_gomez(2, 1), T, VALUES, alone).marks[0]
    assert found.verdict == "wrong" and cause in found.cause
    monkeypatch.setattr(diagnose, "SEARCH_LIMIT", 5)  # the variants before this slip cost more
    cut = check(lstm_gomez(2, 1), T, VALUES, alone).marks[0]
    assert (cut.verdict, cut.cause) == ("wrong", diagnose.NOT_SEARCHED)


def test_a_large_cells_template_lists_the_matrix_terms_and_check_reads_it(tmp_path):
    values = tmp_path / "v.json"
    values.write_text(json.dumps(values_template(lstm(2, 4), 2, seed=1).as_dict()))
    r = symbrnn("check", "lstm", "--hidden-size", "4", "--values", values, "--template")
    assert r.returncode == 0, r.stderr
    keys = tomllib.loads(r.stdout)
    assert r.stdout.splitlines()[2].startswith("# left out, as the cell is large")
    assert {"h[3]_2", "δh[0]_2", "δc[3]_1", "dL/dW_hh[15,3]", "dL/db_ih[0]"} <= set(keys)
    assert not [k for k in keys if k.endswith("_new") or "][" in k or k.startswith("∂")]
    program = build_program(lstm(2, 4), 2, json.loads(values.read_text()), forward=[])
    exact = {k: repr(program.exact[k]) for k in ("δc[3]_1", "dL/dW_hh[15,3]", "h[3]_2")}
    sheet_file = tmp_path / "s.toml"
    sheet_file.write_text("".join(f'"{k}" = "{v}"\n' for k, v in exact.items()))
    r = symbrnn("check", "lstm", "--hidden-size", "4", "--values", values, "--answers", sheet_file, "--json")
    assert r.returncode == 0, r.stderr
    assert {m["key"]: m["verdict"] for m in json.loads(r.stdout)} == dict.fromkeys(exact, "right")
