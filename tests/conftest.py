import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))
# C libraries built while testing (backend="c", and the doctests collected with the tests) go to a fresh folder
os.environ.setdefault("SYMBRNN_CACHE", tempfile.mkdtemp(prefix="symbrnn-test-cache-"))


def load_reference(name: str) -> dict:
    path = SHARED / "reference" / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference file {path} is missing: CI must have ../shared beside the clone")
        pytest.skip(f"{path} not found (../shared is not beside this checkout)")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def torch():
    """PyTorch for the cross-checks; with CI=true a missing torch fails instead of skipping."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("torch is required when CI=true: pip install torch==2.13.0 (the CPU build)")
        pytest.skip("torch is not installed (pip install torch==2.13.0)")
    return torch
