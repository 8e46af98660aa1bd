"""Run logs: a JSONL metrics file (one record per logged step / evaluation), MFU from the FLOPs formula, and
``plot_run`` drawing loss / perplexity / learning-rate curves to a PNG.

Usage: ``log = MetricsLog(run_dir / "metrics.jsonl"); log.write({"step": 10, "loss": 3.2})``
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from trainer.errors import TrainerError

# Dense bf16/fp16 tensor-core peak FLOP/s by device-name fragment (vendor datasheets, no sparsity).
PEAK_FLOPS = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "4090": 165e12,
    "V100": 125e12,
}


def peak_flops(device_name: str) -> float | None:
    """Peak dense half-precision FLOP/s of a GPU by name, or None when unknown (then no MFU is logged)."""
    for key, value in PEAK_FLOPS.items():
        if key in device_name:
            return value
    return None


def mfu(tokens_per_s: float, flops_per_token: float, peak: float | None) -> float | None:
    """Model FLOPs utilisation: achieved training FLOP/s over the device's peak."""
    return None if not peak else tokens_per_s * flops_per_token / peak


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


class MetricsLog:
    """Append-only JSONL; a resumed run appends to the same file (records carry their step)."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path, self.enabled = Path(path), enabled
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, sort_keys=True) + "\n")


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Records of a metrics file; a later record for the same (kind, step) replaces an earlier one
    (a resumed run re-logs the steps after its checkpoint)."""
    if not Path(path).is_file():
        raise TrainerError(f"no metrics file at {path}")
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            latest[(rec.get("kind", "train"), rec["step"])] = rec
    return sorted(latest.values(), key=lambda r: (r["step"], r.get("kind", "train")))


def plot_run(run_dir: Path, out: Path | None = None) -> Path:
    """Draw train/valid loss, perplexity and LR against step to ``run_dir/curves.png`` (or ``out``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = read_metrics(Path(run_dir) / "metrics.jsonl")
    train = [r for r in recs if r.get("kind", "train") == "train"]
    valid = [r for r in recs if r.get("kind") == "valid"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, key, title in ((axes[0], "loss", "MLM loss"), (axes[1], "ppl", "perplexity")):
        ax.plot([r["step"] for r in train], [r[key] for r in train], label="train")
        if valid:
            ax.plot([r["step"] for r in valid], [r[key] for r in valid], "o-", label="valid")
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.legend()
    axes[1].set_yscale("log")
    axes[2].plot([r["step"] for r in train], [r["lr"] for r in train])
    axes[2].set_title("learning rate")
    axes[2].set_xlabel("step")
    fig.suptitle(str(run_dir))
    fig.tight_layout()
    out = Path(out) if out else Path(run_dir) / "curves.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
