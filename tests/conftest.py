import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_reference(name: str) -> dict:
    path = SHARED / "reference" / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference file {path} is missing: CI must have ../shared beside the clone")
        pytest.skip(f"{path} not found (../shared is not beside this checkout)")
    return json.loads(path.read_text())
