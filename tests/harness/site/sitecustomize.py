"""Loaded by every Python subprocess a test starts (its folder is on PYTHONPATH): no internet."""

import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "_local_tests_network_guard", os.path.join(os.path.dirname(__file__), os.pardir, "network.py")
)
_guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_guard)
_guard.install(report_to=os.environ.get(_guard.LOG_ENV))

# As on a Space: no editable install of the repo's packages, so that `shared` (and each of its
# modules) can come only from the app's own folder.
if os.environ.get("SUITE_AS_A_SPACE") == "1":
    import sys

    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
