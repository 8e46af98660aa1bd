"""Run logs: a JSONL metrics file (one record per logged step / evaluation), the training log with its
throughput window and progress bar, MFU from the FLOPs formula, and ``plot_run`` drawing loss / perplexity /
learning-rate curves to a PNG.

Usage: ``log = MetricsLog(run_dir / "metrics.jsonl"); log.write({"step": 10, "loss": 3.2})``
"""

from __future__ import annotations

import json
import math
import time
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


class TrainLog:
    """What the training loop reports: train records (loss, perplexity, LR, grad norm, throughput, epoch,
    CPU seconds, MFU on a known GPU, NSP loss for +NSP formats) and valid records into ``metrics.jsonl``,
    and a tqdm progress bar. Only rank 0 writes (``enabled``)."""

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool,
        progress: bool,
        desc: str,
        initial: int,
        total: int,
        flops_per_token: float,
        peak: float | None,
    ) -> None:
        from tqdm import tqdm

        self.log = MetricsLog(path, enabled=enabled)
        self.fpt, self.peak = flops_per_token, peak
        self.pbar = tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit="step",
            disable=not (enabled and progress),
            dynamic_ncols=True,
        )
        self.window_tokens, self.t_window = 0, time.perf_counter()

    def step(self, tokens: int) -> None:
        """Count one finished optimizer step of ``tokens`` real tokens (all ranks)."""
        self.window_tokens += tokens
        self.pbar.update(1)

    def train(self, step: int, loss: float, *, nsp_loss: float | None, **fields: Any) -> None:
        """Write the train record of ``step`` (``fields``: lr, grad_norm, tokens_seen, epoch, seqs) and
        start a new throughput window."""
        tps = self.window_tokens / max(time.perf_counter() - self.t_window, 1e-9)
        rec = {"kind": "train", "step": step, "loss": loss, "ppl": perplexity(loss), **fields}
        rec.update(tokens_per_s=tps, time=time.time(), cpu_s=time.process_time())  # CPU s: robust when busy
        if self.peak:
            rec["mfu"] = mfu(tps, self.fpt, self.peak)
        if nsp_loss is not None:
            rec["nsp_loss"] = nsp_loss
        self.log.write(rec)
        self.pbar.set_postfix(loss=f"{loss:.3f}", lr=f"{fields['lr']:.2e}", tok_s=f"{tps:,.0f}")
        self.window_tokens, self.t_window = 0, time.perf_counter()

    def valid(self, step: int, loss: float, masked_tokens: int) -> None:
        """Write the valid record of ``step``."""
        rec = {"kind": "valid", "step": step, "loss": loss, "ppl": perplexity(loss)}
        self.log.write({**rec, "masked_tokens": masked_tokens, "time": time.time()})

    def close(self) -> None:
        self.pbar.close()


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
