"""symbrnn.check on answer sheets written here for the scalar Elman cell: planted slips of every kind.

Every number of a sheet comes from :func:`student`, an Elman RNN worked by hand in plain Python: each
quantity by the formula a student writes, from the numbers the student wrote before it. A planted slip
replaces one number; what follows from it is computed from it (so it should be credited as carried),
everything else is the exact value written at 2 to 5 decimals, rounded or truncated.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

import symbrnn
from symbrnn import SpecError, check
from symbrnn.cells import elman

VALUES = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
T = 3


def write(value: float, decimals: int, truncate: bool = False) -> str:
    """``value`` written at ``decimals`` places, rounded or truncated, as a student writes it (who works
    in decimals: float noise such as -0.024999999999999967 for -0.025 is dropped first)."""
    mode = ROUND_DOWN if truncate else ROUND_HALF_UP
    q = Decimal(f"{value:.12g}").quantize(Decimal(1).scaleb(-decimals), rounding=mode)
    return f"{q:.{decimals}f}"


def agrees(text: str, value: float) -> bool:
    """The test's own notion of right: ``text`` is ``value`` rounded or truncated at its decimals."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return text in (write(value, decimals), write(value, decimals, truncate=True))


class Student:
    """Works the Elman cell by hand; ``slips`` maps a key to a function of the true number and the
    student's earlier ones giving the slipped number. Each number is written as text and later ones
    are computed from the written numbers where they follow from a slip, from the exact ones otherwise."""

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

    def work(self, p=VALUES, lr=0.1) -> Student:
        n, put = self.num, self.put
        h = 0.0
        for t in range(1, T + 1):
            x, y = p["x"][t - 1], p["y"][t - 1]
            prev = f"h_{t - 1}" if t > 1 else ()
            a = put(f"a_{t}", p["w"] * x + p["U"] * h + p["b"], (prev,) if prev else ())
            h = put(f"h_{t}", math.tanh(a), (f"a_{t}",))
            yh = put(f"yhat_{t}", p["V"] * h + p["c"], (f"h_{t}",))
            put(f"L_{t}", 0.5 * (yh - y) ** 2, (f"yhat_{t}",))
            put(f"dL_{t}/dV", (yh - y) * h, (f"yhat_{t}", f"h_{t}"))
        put("L", sum(n[f"L_{t}"] for t in range(1, T + 1)), tuple(f"L_{t}" for t in range(1, T + 1)))
        for theta in ("U", "w"):
            self.forward_mode(theta, p)
        put("U_new", p["U"] - lr * n["dL/dU"], ("dL/dU",))
        after = 0.0
        for t in range(T, 0, -1):
            g, deps = n[f"∂L_{t}/∂h_{t}"], (f"∂L_{t}/∂h_{t}",)
            if t < T:
                g, deps = g + n[f"∂h_{t + 1}/∂h_{t}"] * after, deps + (f"∂h_{t + 1}/∂h_{t}", f"δh_{t + 1}")
            after = put(f"δh_{t}", g, deps)
        return self

    def forward_mode(self, theta: str, p: dict) -> None:
        n, put = self.num, self.put
        D, Dkey = 0.0, None
        for t in range(1, T + 1):
            hp, ht, key = (n[f"h_{t - 1}"] if t > 1 else 0.0), n[f"h_{t}"], f"h_{t}"
            read = {"U": (hp, (f"h_{t - 1}",) if t > 1 else ()), "w": (p["x"][t - 1], ())}[theta]
            e = put(f"∂h_{t}/∂{theta}", read[0] * (1 - ht**2), read[1] + (key,))
            if theta == "U":
                put(f"∂h_{t}/∂h_{t - 1}", p["U"] * (1 - ht**2), (key,))
            if Dkey is not None:
                J = f"∂h_{t}/∂h_{t - 1}"
                imp = put(f"implicit(dh_{t}/d{theta})", n[J] * D, (J, Dkey))
                D = put(f"dh_{t}/d{theta}", e + imp, (f"∂h_{t}/∂{theta}", f"implicit(dh_{t}/d{theta})"))
            else:
                D = put(f"dh_{t}/d{theta}", e, (f"∂h_{t}/∂{theta}",))
            Dkey = f"dh_{t}/d{theta}"
            if theta == "U":
                put(f"∂L_{t}/∂h_{t}", p["V"] * (n[f"yhat_{t}"] - p["y"][t - 1]), (f"yhat_{t}",))
            put(f"dL_{t}/d{theta}", n[f"∂L_{t}/∂h_{t}"] * D, (f"∂L_{t}/∂h_{t}", Dkey))
        put(f"dL/d{theta}", sum(n[f"dL_{t}/d{theta}"] for t in range(1, T + 1)),
            tuple(f"dL_{t}/d{theta}" for t in range(1, T + 1)))


EXACT = Student().work().num


def sheet(slips=None, decimals=(4, 3, 5, 2)) -> Student:
    return Student(slips, decimals, exact=EXACT).work()


def test_the_exact_numbers_are_the_librarys():
    ev = symbrnn.derive(elman(), T, wrt="U").evaluate(VALUES)
    terms = {str(t.symbol): t.value for t in ev.terms}
    for key, value in EXACT.items():
        assert value == pytest.approx(terms.get(key, ev.forward.get(key, value)), rel=1e-12, abs=1e-15)
    assert EXACT["dL/dU"] == pytest.approx(ev.value, rel=1e-12)


@pytest.mark.parametrize("decimals", [(2,), (3,), (4,), (5,), (2, 3, 4, 5)])
def test_a_sheet_of_right_numbers_is_all_right(decimals):
    s = sheet(decimals=decimals)
    report = check(elman(), T, VALUES, s.text)
    assert len(report) == len(s.text)
    assert {m.key: m.verdict for m in report} == dict.fromkeys(s.text, "right")
    assert report.ok


SLIPS = {  # key: (the slip, a words of the cause it must be named by)
    "activation omitted": ("h_2", lambda v, n: n["a_2"], "activation tanh omitted"),
    "tanh' as 1 − tanh": ("∂h_3/∂U", lambda v, n: n["h_2"] * (1 - n["h_3"]), "1 − tanh"),
    "derivative omitted": ("∂h_2/∂w", lambda v, n: VALUES["x"][1], "derivative left out"),
    "early rounding": ("a_2", lambda v, n: VALUES["w"] * .8 + VALUES["U"] * round(n["h_1"], 1) + VALUES["b"],
                       "h_1 rounded to 1 decimals"),
    "param swapped": ("a_3", lambda v, n: v - VALUES["b"] + VALUES["c"], "c used in place of b"),
    "implicit dropped": ("dh_3/dU", lambda v, n: n["∂h_3/∂U"], "implicit term"),
    "off-by-one step": ("a_3", lambda v, n: v - VALUES["w"] * (.6 - .8), "x_2 used in place of x_3"),
    "a step's value": ("δh_2", lambda v, n: n["δh_3"], "the value of δh_3, one step off"),
    "sign flip": ("∂L_2/∂h_2", lambda v, n: -v, "sign flipped"),
    "factor of 10": ("L_3", lambda v, n: 10 * v, "factor of 10"),
    "product slip": ("dL_3/dU", lambda v, n: n["dh_3/dU"], "the factor ∂L_3/∂h_3 left out of a product"),
    "sum slip": ("L", lambda v, n: n["L_1"] + n["L_2"], "the term L_3 left out of a sum"),
    "copied": ("∂h_3/∂h_2", lambda v, n: n["∂h_3/∂U"], "the value of ∂h_3/∂U (copied"),
    "digits swapped": ("h_3", lambda v, n: float(write(v, 4)[:-2] + write(v, 4)[-1] + write(v, 4)[-2]),
                       "two adjacent digits swapped"),
}


@pytest.mark.parametrize("kind", sorted(SLIPS))
def test_a_planted_slip_is_found_and_what_follows_is_carried(kind):
    key, slip, cause = SLIPS[kind]
    s = sheet({key: slip})
    assert not agrees(s.text[key], EXACT[key]), "the slip changes the written number"
    report = check(elman(), T, VALUES, s.text)
    marks = {m.key: m for m in report}
    assert marks[key].verdict == "wrong"
    assert cause in marks[key].cause
    for k, m in marks.items():
        if k == key:
            continue
        if agrees(s.text[k], EXACT[k]):
            assert m.verdict == "right", (k, m)
            continue
        assert k in s.tainted, (k, m)
        assert m.verdict == "carried", (k, m)
        # the numbers it follows from: the student's own (not the exact ones), among those its formula reads
        differing = {d for d in s.deps[k] if s.num[d] != pytest.approx(EXACT[d], rel=1e-12)}
        assert m.uses and set(m.uses) <= differing, (k, m.uses, s.deps[k])


def test_a_number_no_rule_explains_is_wrong_without_a_cause():
    s = sheet({"h_2": lambda v, n: 0.1234})
    assert check(elman(), T, VALUES, s.text)["h_2"].cause is None


def test_sigma_prime_as_sigma_in_a_sigmoid_cell():
    cell = symbrnn.Cell("logistic")
    x, y = cell.input("x"), cell.target("y")
    w, U, b = cell.params("w U b")
    h = cell.state("h", init=0)
    cell.update(h, symbrnn.sigmoid(w * x + U * h.prev + b))
    cell.loss((h - y) ** 2 / 2)
    values = {"w": .5, "U": -.4, "b": .1, "x": [1.0, .5], "y": [.2, .9]}
    s1 = 1 / (1 + math.exp(-(.5 + .1)))
    s2 = 1 / (1 + math.exp(-(.25 - .4 * s1 + .1)))
    right = {"h_1": write(s1, 4), "h_2": write(s2, 4), "∂h_2/∂h_1": write(-.4 * s2 * (1 - s2), 4)}
    slipped = {**right, "∂h_2/∂U": write(s1 * s2, 4)}     # σ' taken as σ
    report = check(cell, 2, values, slipped)
    assert [m.verdict for m in report] == ["right", "right", "right", "wrong"]
    assert "σ' written as σ" in report["∂h_2/∂U"].cause


def test_unreadable_numbers_are_reported_and_the_check_goes_on():
    s = sheet()
    answers = {**s.text, "h_2": "0.71.7", "a_3": "about 0.86"}
    report = check(elman(), T, VALUES, answers)
    assert report["h_2"].verdict == report["a_3"].verdict == "unreadable"
    assert "cannot read '0.71.7'" in report["h_2"].cause
    assert report["yhat_2"].verdict == "right" and not report.ok


def test_unknown_keys_name_the_nearest_valid_ones():
    with pytest.raises(SpecError, match=r"no quantity 'dh_3/dQ'.*nearest: .*dh_3/dU"):
        check(elman(), T, VALUES, {"dh_3/dQ": "0.4"})
    with pytest.raises(SpecError, match=r"'h_4'.*at T = 3"):
        check(elman(), T, VALUES, {"h_4": "0.4"})


@pytest.mark.parametrize("spelling, key", [
    ("d h_3 / d h_2", "∂h_3/∂h_2"), ("partial h_3/partial U", "∂h_3/∂U"), ("del h_3 / del U", "∂h_3/∂U"),
    ("explicit(dh_3/dU)", "∂h_3/∂U"), ("dh_3/dU", "dh_3/dU"), ("delta h_2", "δh_2"), ("deltah_1", "δh_1"),
    ("ŷ_3", "yhat_3"), ("implicit(d h_3/d U)", "implicit(dh_3/dU)"), ("dL/dU [3]", "dL/dU[3]"),
])
def test_ascii_spellings(spelling, key):
    report = check(elman(), T, VALUES, {spelling: "0.1"})
    assert [m.key for m in report] == [key]


def test_two_spellings_of_one_key_are_refused():
    with pytest.raises(SpecError, match="'δh_2' and 'delta h_2' both name 'δh_2'"):
        check(elman(), T, VALUES, {"δh_2": "0.1", "delta h_2": "0.1"})


def test_written_precision_scientific_and_trailing_zeros():
    exact = EXACT["L_1"]  # 0.00478...
    report = check(elman(), T, VALUES, {"L_1": "4.8e-3", "L_2": "0.01", "h_1": "0.60"})
    assert [m.verdict for m in report] == ["right", "right", "right"] and 0.0047 < exact < 0.0049
    assert check(elman(), T, VALUES, {"h_1": "0.6000"})["h_1"].verdict == "wrong"  # 4 decimals: 0.6044


def test_the_update_with_adam():
    from symbrnn.numeric.optimizers import Adam

    g = EXACT["dL/dU"]
    new = .5 - .01 * g / (abs(g) + 1e-8)
    assert check(elman(), T, VALUES, {"U_new": write(new, 5)}, optimizer=Adam(lr=.01))["U_new"].verdict == "right"
    assert check(elman(), T, VALUES, {"U_new": write(.5 - .1 * g, 5)}, optimizer=Adam(lr=.01))["U_new"].verdict \
        == "wrong"


def test_the_report_as_json_and_its_display():
    answers = {"h_1": "0.6044", "a_2": "0.9022", "h_2": "0.9022", "yhat_2": write(.5 * .9022 + .1, 4)}
    report = check(elman(), T, VALUES, answers)
    assert report.as_json() == [
        {"key": "h_1", "written": "0.6044", "exact": EXACT["h_1"], "verdict": "right", "cause": None, "uses": []},
        {"key": "a_2", "written": "0.9022", "exact": EXACT["a_2"], "verdict": "right", "cause": None, "uses": []},
        {"key": "h_2", "written": "0.9022", "exact": EXACT["h_2"], "verdict": "wrong",
         "cause": "the activation tanh omitted", "uses": []},
        {"key": "yhat_2", "written": "0.5511", "exact": EXACT["yhat_2"], "verdict": "carried", "cause": None,
         "uses": ["h_2"]},
    ]
    from symbrnn.render import to_latex, to_markdown, to_text

    assert "| yhat_2 |" in to_markdown(report) and "follows from your h_2" in to_markdown(report)
    assert "\n|:--|--:|--:|:--|:--|\n" in to_markdown(report)  # numbers right-aligned, words left-aligned
    assert "\\begin{tabular}{lrrll}" in to_latex(report, standalone=True)
    assert "follows from your h\\_2" in to_latex(report, standalone=True)
    assert "carried" in to_text(report.__rich__(), width=100)
    assert report._repr_latex_().startswith("$$\n\\begin{array}")
