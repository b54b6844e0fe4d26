"""Run `app.py` of the current folder as `python app.py` would, on a Python where torch is not
installed: the import system cannot find it (transformers asks `importlib.util.find_spec`, as it
would on a Space whose requirements have no torch), so anything that imports it fails.

    python tests/harness/without_torch.py    (in the Space's folder)
"""

from __future__ import annotations

import importlib.machinery
import os
import runpy
import sys

HIDDEN = "torch"


class _PathFinderWithoutTorch(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] == HIDDEN:
            return None
        return super().find_spec(fullname, path, target)


if __name__ == "__main__":
    sys.meta_path[:] = [
        _PathFinderWithoutTorch if finder is importlib.machinery.PathFinder else finder for finder in sys.meta_path
    ]
    sys.path.insert(0, os.getcwd())
    import shared

    assert shared.__file__.startswith(os.getcwd()), shared.__file__  # the Space's own copy
    runpy.run_path("app.py", run_name="__main__")
