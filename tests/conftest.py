"""Shared fixtures: the sample-data folder (fails under CI=true when missing, skips elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from common.sample_data import ENV_VAR, sample_data_dir


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
