"""Collection for the doctests under symbrnn/ (the tests' own fixtures are in tests/conftest.py).

symbrnn.torch and symbrnn.interop.torchmodule import PyTorch. Without it, a
local run leaves their doctests out instead of stopping at collection; with
CI=true they are collected, and fail, as every torch-backed test does there.
"""

import importlib.util
import os

collect_ignore = (
    []
    if importlib.util.find_spec("torch") is not None or os.environ.get("CI") == "true"
    else ["symbrnn/torch.py", "symbrnn/interop/torchmodule.py"]
)
