"""The deploy benchmark's report of what each Space ships, before and after."""

from __future__ import annotations

import importlib.metadata

from scripts import REPO_ROOT
from scripts._benchmark.shipping import WHOLE_SHARED, Shipped, download_size, report, shipped, whole_shared_module


def test_the_before_bundle_imports_every_module_of_shared():
    source = whole_shared_module(REPO_ROOT / "shared")
    modules = sorted(p.stem for p in (REPO_ROOT / "shared").glob("*.py") if p.stem != "__init__")
    assert source.splitlines() == [f"import shared.{m}  # noqa: F401" for m in modules]


def test_a_bundle_is_measured_without_the_helper_file_and_with_what_pip_resolves():
    version = importlib.metadata.version("pyyaml")
    files = {
        "app.py": b"",
        WHOLE_SHARED: b"import shared.ui\n",
        "shared/__init__.py": b"",
        "shared/registry.yaml": b"",
        "requirements.txt": f"# generated\nPyYAML=={version}\n".encode(),
    }

    measured = shipped("gallery", files)

    assert (measured.files, measured.shared_modules, measured.requirements) == (4, 1, (f"PyYAML=={version}",))
    assert measured.download_bytes and measured.download_bytes > 10_000 and measured.unsized == 0


def test_requirements_pip_cannot_resolve_are_reported_as_such():
    assert download_size(("no-such-distribution-anywhere==0.0.1",)) == (None, 0)


def test_the_report_lists_each_space_before_and_after_and_what_it_no_longer_ships():
    before = Shipped("gallery", 20, 15, ("torch==2.13.0", "gradio-extra==1"), 900 * 2**20, 0)
    after = Shipped("gallery", 14, 9, ("gradio-extra==1",), 12 * 2**20, 1)

    lines = report([before], [after]).splitlines()

    assert lines[2].split() == ["gallery", "20", "→", "14", "15", "→", "9", "2", "→", "1", "900", "MB", "→", "12",
                                "MB", "(+1?)"]  # fmt: skip
    assert lines[3].strip() == "no longer ships: torch"
