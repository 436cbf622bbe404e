"""symbrnn.torch: a torch.nn.RNN / LSTM / GRU in (cell and values), its gradients out (torch's names), and refusals.

Every round trip is held to the module's own float64 autograd (``loss.backward()`` on
``0.5 * ((out - y) ** 2).sum()``) to 1e-10. With CI=true a missing torch fails these tests
instead of skipping them (the ``torch`` fixture of conftest.py).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symbrnn
from symbrnn import compile_cell, gradients

TOL = 1e-10
T = 5


@pytest.fixture(scope="module")
def st(torch):
    import symbrnn.torch

    return symbrnn.torch


def _module(torch, kind, *, seed=0, **options):
    torch.manual_seed(seed)
    return getattr(torch.nn, kind)(3, 4, **options).double()


def _data(torch, module, size, layout, seed):
    """One sequence: (T, size) unbatched, or (T, 1, size) / (1, T, size) as the module's batch_first says."""
    g = torch.Generator().manual_seed(seed)
    shape = {"unbatched": (T, size), "batched": (1, T, size) if module.batch_first else (T, 1, size)}[layout]
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def _hx(torch, module, layout):
    g = torch.Generator().manual_seed(99)
    shape = (module.num_layers, 4) if layout == "unbatched" else (module.num_layers, 1, 4)
    parts = [torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)
             for _ in range(2 if module.mode == "LSTM" else 1)]
    return tuple(parts) if module.mode == "LSTM" else parts[0]


def _torch_loss(torch, module, x, y, hx=None):
    module.zero_grad()
    out, _ = module(x) if hx is None else module(x, hx)
    loss = 0.5 * ((out - y) ** 2).sum()
    loss.backward()
    return loss.item()


def _assert_same_grads(module, grads):
    names = [n for n, _ in module.named_parameters()]
    assert list(grads)[:len(names)] == names
    for name, p in module.named_parameters():
        assert grads[name].dtype == p.grad.dtype and grads[name].shape == p.grad.shape, name
        np.testing.assert_allclose(grads[name].numpy(), p.grad.numpy(), rtol=0, atol=TOL, err_msg=name)


CASES = [  # (module type, options, data layout, with hx)
    ("RNN", {}, "unbatched", False),
    ("RNN", {"nonlinearity": "relu", "batch_first": True}, "batched", True),
    ("RNN", {"nonlinearity": "relu", "bias": False}, "batched", False),
    ("RNN", {"num_layers": 3, "bias": False}, "unbatched", True),
    ("LSTM", {}, "batched", False),
    ("LSTM", {"batch_first": True}, "unbatched", True),
    ("LSTM", {"bias": False}, "batched", True),
    ("LSTM", {"num_layers": 2}, "batched", True),
    ("LSTM", {"num_layers": 2, "batch_first": True, "bias": False}, "batched", False),
    ("GRU", {}, "batched", True),
    ("GRU", {"batch_first": True, "bias": False}, "batched", False),
    ("GRU", {"num_layers": 2, "batch_first": True}, "unbatched", True),
]


def _id(case):
    kind, options, layout, hx = case
    words = [kind] + [f"{k}={v}" for k, v in options.items()] + [layout] + (["hx"] if hx else [])
    return "-".join(words)


@pytest.mark.parametrize("kind, options, layout, with_hx", CASES, ids=[_id(c) for c in CASES])
def test_gradients_match_the_modules_own_backward(torch, st, kind, options, layout, with_hx):
    module = _module(torch, kind, **options)
    x, y = _data(torch, module, 3, layout, seed=1), _data(torch, module, 4, layout, seed=2)
    hx = _hx(torch, module, layout) if with_hx else None
    t_loss = _torch_loss(torch, module, x, y, hx)
    cell, values = st.from_module(module, x, y, hx=hx)
    assert values["x"].shape == (T, 3) and values["y"].shape == (T, 4)
    loss, grads = compile_cell(cell).loss_and_gradients(values)
    assert loss == pytest.approx(t_loss, rel=1e-12, abs=1e-12)
    out = st.to_state_dict(grads, module)
    _assert_same_grads(module, out)
    expected_keys = [n for n, _ in module.named_parameters()]
    if with_hx:
        parts = hx if kind == "LSTM" else (hx,)
        expected_keys += ["h0", "c0"] if kind == "LSTM" else ["h0"]
        for name, part in zip(("h0", "c0")[:len(parts)], parts, strict=True):
            np.testing.assert_allclose(out[name].numpy(), part.grad.reshape(out[name].shape).numpy(),
                                       rtol=0, atol=TOL, err_msg=name)
    assert list(out) == expected_keys
    assert st.to_state_dict(grads).keys() == out.keys()  # the names alone say where each goes


def test_fixed_zero_initial_states_give_their_gradients_by_wrt(torch, st):
    module = _module(torch, "LSTM", num_layers=2)
    x, y = _data(torch, module, 3, "unbatched", 3), _data(torch, module, 4, "unbatched", 4)
    h0, c0 = (torch.zeros(2, 4, dtype=torch.float64, requires_grad=True) for _ in range(2))
    _torch_loss(torch, module, x, y, (h0, c0))
    cell, values = st.from_module(module, x, y)
    assert "l1_h0" not in values
    wrt = list(cell.names("param")) + ["l1_h_0", "l2_h_0", "l1_c_0", "l2_c_0"]
    out = st.to_state_dict(gradients(cell, T, values, wrt=wrt), module)
    _assert_same_grads(module, out)
    np.testing.assert_allclose(out["h0"].numpy(), h0.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(out["c0"].numpy(), c0.grad.numpy(), rtol=0, atol=TOL)


def test_the_cell_names_and_values_follow_the_state_dict(torch, st):
    module = _module(torch, "GRU", num_layers=2)
    cell, values = st.from_module(module)
    assert cell.name == "gru_2_layers"
    assert list(values) == ["l1_W_ih", "l1_W_hh", "l1_b_ih", "l1_b_hh", "l2_W_ih", "l2_W_hh", "l2_b_ih", "l2_b_hh",
                            "V", "c"]
    np.testing.assert_array_equal(values["l2_W_hh"], module.weight_hh_l1.detach().numpy())
    np.testing.assert_array_equal(values["V"], np.eye(4))
    one = st.from_module(_module(torch, "LSTM"))[0]
    assert one.names("param") == symbrnn.cells.lstm(3, 4).names("param")
    assert one.order() == symbrnn.cells.lstm(3, 4).order()


def test_values_are_float64_copies_and_parameters_are_accepted(torch, st):
    torch.manual_seed(5)
    module = torch.nn.RNN(3, 4)  # float32
    x = torch.nn.Parameter(torch.randn(T, 3))
    _, values = st.from_module(module, x)
    assert values["W_ih"].dtype == np.float64 and values["x"].dtype == np.float64
    np.testing.assert_array_equal(values["W_ih"], module.weight_ih_l0.detach().double().numpy())
    with torch.no_grad():
        module.weight_ih_l0.add_(1.0)
    assert not np.array_equal(values["W_ih"], module.weight_ih_l0.detach().double().numpy())
    _, from_lists = st.from_module(module, x.tolist())
    np.testing.assert_array_equal(from_lists["x"], values["x"])


def test_dropout_is_accepted_in_eval_mode(torch, st):
    module = _module(torch, "GRU", num_layers=2, dropout=0.5).eval()
    x, y = _data(torch, module, 3, "batched", 6), _data(torch, module, 4, "batched", 7)
    _torch_loss(torch, module, x, y)
    cell, values = st.from_module(module, x, y)
    _assert_same_grads(module, st.to_state_dict(gradients(cell, T, values), module))


# ------------------------------------------------------------------------------------------ refusals
def _refusals(torch):
    nn = torch.nn
    return [
        (lambda: nn.LSTM(3, 4, bidirectional=True),
         "nn.LSTM: bidirectional=True is not supported.*use bidirectional=False"),
        (lambda: nn.GRU(3, 4, bidirectional=True), "nn.GRU: bidirectional=True"),
        (lambda: nn.LSTM(3, 4, proj_size=2), r"nn.LSTM: proj_size=2 is not supported; use proj_size=0"),
        (lambda: nn.RNN(3, 4, num_layers=2, dropout=0.5), r"dropout=0.5 between layers.*call module.eval\(\)"),
        (lambda: nn.Linear(3, 4), r"got nn.Linear; give a torch.nn.RNN, nn.LSTM or nn.GRU$"),
        (lambda: nn.LSTMCell(3, 4), r"got nn.LSTMCell; .*copy its weight_ih.* into an nn.LSTM's weight_ih_l0"),
        (lambda: "lstm", r"got builtins.str; give a torch.nn.RNN, nn.LSTM or nn.GRU"),
    ]


@pytest.mark.parametrize("index", range(7))
def test_unsupported_modules_are_refused_with_the_setting_and_the_fix(torch, st, index):
    make, message = _refusals(torch)[index]
    with pytest.raises(symbrnn.SpecError, match=message):
        st.from_module(make())


def test_an_unknown_loss_is_refused(torch, st):
    with pytest.raises(symbrnn.SpecError, match="loss='cross_entropy' is not available; use one of squared_error"):
        st.from_module(torch.nn.RNN(3, 4), loss="cross_entropy")


@pytest.mark.parametrize("x, y, hx, error, message", [
    ((2, T, 3), None, None, symbrnn.ValuesError, r"x has shape \(2, 5, 3\), a batch of 2 sequences; give one"),
    ((T, 2), None, None, symbrnn.ValuesError, r"x has shape \(5, 2\); give one sequence of shape \(T, 3\)"),
    ((3,), None, None, symbrnn.ValuesError, r"x has shape \(3,\)"),
    ((T, 3), (T + 1, 4), None, symbrnn.SequenceLengthError, "x has 5 steps but y has 6"),
    ((T, 3), None, (2, 4), symbrnn.ValuesError, r"h0 has shape \(2, 4\); give one sequence's initial h"),
])
def test_data_in_the_wrong_layout_is_refused(torch, st, x, y, hx, error, message):
    module = torch.nn.RNN(3, 4, batch_first=True)
    arrays = [None if s is None else torch.zeros(*s) for s in (x, y, hx)]
    with pytest.raises(error, match=message):
        st.from_module(module, arrays[0], arrays[1], hx=arrays[2])


def test_an_lstm_hx_must_be_a_pair(torch, st):
    with pytest.raises(symbrnn.ValuesError, match=r"an LSTM's hx is a pair \(h0, c0\)"):
        st.from_module(torch.nn.LSTM(3, 4), torch.zeros(T, 3), hx=torch.zeros(1, 4))


def test_to_state_dict_refuses_missing_unknown_and_misshapen_gradients(torch, st):
    module = _module(torch, "GRU")
    cell, values = st.from_module(module, torch.zeros(T, 3), torch.zeros(T, 4))
    grads = gradients(cell, T, values)
    with pytest.raises(symbrnn.MissingValueError, match=r"lacks 'b_hh' \(torch's bias_hh_l0\)"):
        st.to_state_dict({k: v for k, v in grads.items() if k != "b_hh"}, module)
    with pytest.raises(symbrnn.UnknownValueError, match=r"'W_ih\[1,0\]' is not a whole param"):
        st.to_state_dict({**grads, "W_ih[1,0]": 0.0})
    with pytest.raises(symbrnn.ValuesError, match=r"'W_hh' has shape \(4, 4\) but weight_hh_l0 has \(12, 4\)"):
        st.to_state_dict({**grads, "W_hh": np.zeros((4, 4))}, module)
    with pytest.raises(symbrnn.UnknownValueError, match="GRU has no param 'weight_ih_l1'"):
        st.to_state_dict({**grads, "l2_W_ih": np.zeros((12, 4))}, module)
    with pytest.raises(symbrnn.MissingValueError, match=r"h0 cover layers \[2\]"):
        st.to_state_dict({"l2_h0": np.zeros(4)})


# ------------------------------------------------------------------------------ torch stays optional
def _python(code: str, **env):
    full = {k: v for k, v in os.environ.items() if k != "CI"} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300,
                          cwd=Path(__file__).resolve().parent)


def test_importing_symbrnn_does_not_load_torch():
    out = _python("import sys, symbrnn, symbrnn.cells, symbrnn.interop.torchcells; print('torch' in sys.modules)")
    assert out.stdout.strip() == "False", out.stderr


def test_importing_symbrnn_torch_without_torch_says_how_to_install_it():
    out = _python("import sys; sys.modules['torch'] = None\nimport symbrnn.torch")
    assert out.returncode == 1
    assert "ImportError: symbrnn.torch needs PyTorch, which is not installed: pip install torch" in out.stderr


BLOCK_TORCH = """
import sys
sys.modules["torch"] = None  # import torch now raises ImportError, as if it were not installed
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", {test!r}]))
"""


@pytest.mark.parametrize("ci, code, word", [("true", 1, "error"), ("", 0, "skipped")])
def test_missing_torch_fails_under_ci_and_skips_otherwise(ci, code, word):
    test = str(Path(__file__).resolve()) + "::test_an_lstm_hx_must_be_a_pair"
    out = _python(BLOCK_TORCH.format(test=test), **({"CI": ci} if ci else {}))
    assert out.returncode == code, out.stdout + out.stderr
    assert f"1 {word}" in out.stdout
