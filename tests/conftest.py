"""Shared fixtures: the sample-data folder (fails under CI=true when missing, skips elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from corpus.sample_data import ENV_VAR, sample_data_dir


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """Root of ../shared/data (or $ROBERTA_SAMPLE_DATA)."""
    root = sample_data_dir()
    if root is None:
        msg = f"sample data missing: set {ENV_VAR} or place it at ../shared/data"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> None:
    """Test modules import helpers with ``from conftest import ...``. Every test folder's conftest is named
    ``conftest``, so in a run over several folders (tests/trainer tests/benchmarks) the last one imported would
    answer; point ``conftest`` at the module's own folder's conftest just before the module is imported."""
    import sys

    own = str(module_path.parent / "conftest.py")
    for plugin in parent.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) == own:
            sys.modules["conftest"] = plugin
            return
