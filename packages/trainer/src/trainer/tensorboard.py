"""Optional TensorBoard mirror of a run's metrics (``--run.tensorboard=DIR``, ``bench ... --tensorboard DIR``).

``metrics.jsonl`` stays the source of truth; the event files are a view for people who watch runs in
TensorBoard. ``torch.utils.tensorboard`` needs the ``tensorboard`` package, imported only when asked for.

Usage: ``w = open_writer(Path("tb/run1")); mirror(w, {"kind": "train", "step": 10, "loss": 3.2}); w.close()``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer.errors import TrainerError

SKIP = ("kind", "step", "time", "epoch")


def open_writer(path: str | Path) -> Any:
    """A ``SummaryWriter`` on ``path``; a ``TrainerError`` (one line) when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise TrainerError(
            "--tensorboard needs the tensorboard package (uv pip install tensorboard, or the "
            "roberta-trainer[tensorboard] extra)"
        ) from None
    Path(path).mkdir(parents=True, exist_ok=True)
    return SummaryWriter(log_dir=str(path))


def mirror(writer: Any, record: dict[str, Any]) -> None:
    """Write a metrics.jsonl record's numbers as scalars ``{kind}/{name}`` at its step."""
    step = record.get("step")
    if writer is None or not isinstance(step, int):
        return
    kind = record.get("kind", "train")
    for key, value in record.items():
        if key not in SKIP and isinstance(value, int | float) and not isinstance(value, bool):
            writer.add_scalar(f"{kind}/{key}", value, step)


def read_scalars(folder: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series in the event files under ``folder`` ({tag: [(step, value), ...]}), with
    tensorboard's own reader: to check or plot what a run wrote."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
