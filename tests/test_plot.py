"""symbrnn flow --plot and symbrnn.render.plot (issue 14): what the figure draws is the flow's own numbers, the
files are what their suffix says and the same bytes every run, and bad --plot arguments (or no matplotlib) get
one line and exit 2 before any work.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import CELLS, symbrnn
from test_flow import _values

from symbrnn import errors
from symbrnn.analysis import flow
from symbrnn.cells import elman, lstm

matplotlib = pytest.importorskip("matplotlib") if os.environ.get("CI") != "true" else __import__("matplotlib")
from symbrnn.render.plot import flow_figure, save_flow_plot  # noqa: E402

EXPLODING = {"w": .5, "U": 1.5, "V": .5, "b": 0.0, "c": .1, "x": [0.0] * 12, "y": [0.0] * 12}
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml", ".pdf": b"%PDF"}


def test_the_figure_draws_the_flows_numbers():
    f = flow(elman(), 12, EXPLODING)
    top, bottom = flow_figure(f).axes
    norms, bound = top.get_lines()[:2]
    np.testing.assert_allclose(norms.get_ydata(), f.log_norms / math.log(10), rtol=0, atol=1e-15)
    np.testing.assert_allclose(bound.get_ydata(), np.arange(13) * math.log10(1.5), rtol=0, atol=1e-15)
    heights = [bar.get_height() for bar in bottom.patches]
    np.testing.assert_allclose(heights, f.shares(), rtol=0, atol=0)
    assert "exploding" in top.get_title()


def test_a_gated_cell_draws_its_direct_path_and_no_bound():
    cell = lstm(2, 3)
    f = flow(cell, 6, _values(cell, 6, seed=2))
    lines = flow_figure(f).axes[0].get_lines()
    labels = [line.get_label() for line in lines]
    assert not any(lb.startswith("bound") for lb in labels)
    (direct,) = [line for line in lines if "direct path" in line.get_label()]
    np.testing.assert_allclose(direct.get_ydata(), f.direct["c"] / math.log(10), rtol=0, atol=1e-15)


def test_ten_thousand_steps_plot_without_underflow(tmp_path):
    values = {"w": .5, "U": .5, "V": .5, "b": 0.0, "c": .1, "x": [0.0] * 10_000, "y": [0.0] * 10_000}
    f = flow(elman(), 10_000, values, max_lag=50)
    ys = flow_figure(f).axes[0].get_lines()[0].get_ydata()
    assert np.all(np.isfinite(ys)) and ys[-1] == pytest.approx(10_000 * math.log10(0.5), rel=1e-9)
    assert save_flow_plot(f, tmp_path / "long.png").stat().st_size > 0


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_files_are_their_format_and_the_same_bytes_every_run(tmp_path, suffix):
    f = flow(elman(), 12, EXPLODING)
    a, b = save_flow_plot(f, tmp_path / f"a{suffix}"), save_flow_plot(f, tmp_path / f"b{suffix}")
    assert a.read_bytes().startswith(MAGIC[suffix])
    assert a.read_bytes() == b.read_bytes()


def test_cli_plot_writes_the_file_and_keeps_the_text_output(tmp_path):
    runs = [symbrnn("flow", "elman", "--values", CELLS / "flow_exploding.toml", "--plot", tmp_path / f"{s}.svg",
                    seed=s) for s in ("0", "1")]
    for r in runs:
        assert r.returncode == 0, r.stderr
        assert "Norms by lag" in r.stdout and r.stderr == ""
    assert (tmp_path / "0.svg").read_bytes() == (tmp_path / "1.svg").read_bytes()  # any PYTHONHASHSEED


@pytest.mark.parametrize("target, words", [("flow.jpg", "give a file ending in .png, .svg, .pdf"),
                                           ("missing/flow.png", "folder that does not exist"),
                                           (".", "is a folder")])
def test_cli_bad_plot_file_is_one_line_and_exit_2(tmp_path, target, words):
    r = symbrnn("flow", "elman", "--values", CELLS / "flow_exploding.toml", "--plot", target, cwd=tmp_path)
    assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stdout == "" and sorted(os.listdir(tmp_path)) == []


def test_without_matplotlib_the_cli_says_how_to_install_it(tmp_path):
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{Path(__file__).resolve().parents[1]}"}
    r = subprocess.run([sys.executable, "-m", "symbrnn", "flow", "elman", "--values",
                        str(CELLS / "flow_exploding.toml"), "--plot", str(tmp_path / "f.png")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "pip install 'symbrnn[plot]'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "f.png").exists()
    # and everything else still works without it
    ok = subprocess.run([sys.executable, "-m", "symbrnn", "flow", "elman", "--values",
                         str(CELLS / "flow_exploding.toml")], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0 and "Norms by lag" in ok.stdout


def test_save_refuses_another_suffix():
    with pytest.raises(errors.SpecError, match="give a file ending in"):
        save_flow_plot(flow(elman(), 12, EXPLODING), "flow.gif")
