"""Optional TensorBoard event files (``--tensorboard DIR``): the ``tensorboard`` package is imported only when
asked for, and a missing one is one clear error (install the ``tensorboard`` extra).

Usage: ``with summary_writer(Path("tb/rte/bs16_lr1e-05_seed1")) as w: w.add_scalar("train/loss", 0.7, 1)``
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def summary_writer(path: Path | None) -> Iterator[Any]:
    """A ``torch.utils.tensorboard.SummaryWriter`` writing to ``path`` (closed on exit), or None without one."""
    if path is None:
        yield None
        return
    from trainer.tensorboard import open_writer

    writer = open_writer(path)
    try:
        yield writer
    finally:
        writer.close()
