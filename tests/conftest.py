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
