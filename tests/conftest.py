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


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Iterator[engines.SlurmCluster]
    """A real one-node Slurm cluster (munged, slurmctld, slurmd on loopback) for the whole session; clients
    (sbatch, squeue, scancel) reach it through ``SLURM_CONF``, set here for the session."""
    from engines import slurm_missing, start_slurm

    missing = slurm_missing()
    if missing:
        msg = (
            f"Slurm not installed ({', '.join(missing)}): apt-get install slurmctld slurmd slurm-client munge"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    cluster = start_slurm(tmp_path_factory.mktemp("slurm"))
    saved = {k: os.environ.get(k) for k in cluster.env}
    os.environ.update(cluster.env)
    yield cluster
    cluster.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def ray_head(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Iterator[engines.RayHead]
    """A real Ray head (``ray start --head --block``, loopback only, no dashboard) for the whole session;
    drivers connect with ``ray.init(address="auto")`` under ``ray_head.env``."""
    import importlib.util

    from engines import start_ray_head

    if importlib.util.find_spec("ray") is None:
        msg = "Ray not installed: uv sync (the dev group carries roberta-corpus[ray])"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    head = start_ray_head(tmp_path_factory.mktemp("ray"))
    yield head
    head.stop()
