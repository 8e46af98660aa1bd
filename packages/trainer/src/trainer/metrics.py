"""Run logs: a JSONL metrics file (one record per logged step / evaluation), the training log with its
throughput window and progress bar, MFU from the FLOPs formula, and ``plot_run`` drawing loss / perplexity /
learning-rate curves to a PNG.

Usage: ``log = MetricsLog(run_dir / "metrics.jsonl"); log.write({"step": 10, "loss": 3.2})``
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import disk_full_error, is_disk_full

from trainer.errors import TrainerError

# Dense (no sparsity) bf16 tensor-core peak FLOP/s per GPU, from the vendors' datasheets, keyed by the exact
# name ``torch.cuda.get_device_name`` reports. H100/H200 come in SXM, PCIe and NVL parts with different peaks,
# so a bare family name is never enough.
PEAK_FLOPS = {
    "NVIDIA H200": 989.4e12,  # SXM
    "NVIDIA H200 NVL": 835.5e12,
    "NVIDIA H100 80GB HBM3": 989.4e12,  # SXM5
    "NVIDIA H100 SXM5 80GB": 989.4e12,
    "NVIDIA H100 PCIe": 756.5e12,
    "NVIDIA H100 NVL": 835.5e12,
    "NVIDIA GH200 480GB": 989.4e12,
    "NVIDIA A100-SXM4-80GB": 312e12,
    "NVIDIA A100-SXM4-40GB": 312e12,
    "NVIDIA A100-PCIE-40GB": 312e12,
    "NVIDIA A100 80GB PCIe": 312e12,
    "NVIDIA L40S": 362.05e12,
    "NVIDIA L4": 121e12,
    "NVIDIA A10": 125e12,
    "NVIDIA GeForce RTX 4090": 165.2e12,
}
# Fallback when the exact name is unknown: a family rule only where every variant of the family has the same
# peak (the A100s); an H100/H200 of unknown form factor gets no MFU rather than a wrong one.
FAMILY_PEAK = {"A100": 312e12}


def lookup_peak(device_name: str, override_tflops: float = 0.0) -> tuple[float | None, str]:
    """(peak dense bf16 FLOP/s of one GPU or None, where it came from): ``override_tflops`` when set
    (``--run.peak_tflops``), else the exact device name, else a same-peak family, else unknown."""
    if override_tflops > 0:
        return override_tflops * 1e12, "run.peak_tflops"
    name = device_name.strip()
    if name in PEAK_FLOPS:
        return PEAK_FLOPS[name], f"table: {name}"
    for family, value in FAMILY_PEAK.items():
        if family in name:
            return value, f"family {family} (all variants {value / 1e12:g} TFLOP/s)"
    return None, f"unknown device {name!r}: set --run.peak_tflops for MFU"


def peak_flops(device_name: str) -> float | None:
    """Peak dense bf16 FLOP/s of one GPU by name (``lookup_peak``), or None when unknown (no MFU logged)."""
    return lookup_peak(device_name)[0]


def mfu(tokens_per_s: float, flops_per_token: float, peak: float | None, world: int = 1) -> float | None:
    """Model FLOPs utilisation per GPU: training FLOP/s achieved by all ``world`` ranks (``tokens_per_s``
    summed over ranks) over ``world`` x one GPU's peak."""
    return None if not peak else tokens_per_s * flops_per_token / (world * peak)


def six_n_flops_per_token(n_params: int) -> float:
    """The common convention: 6 FLOPs per parameter per token (forward 2, backward 4), every token."""
    return 6.0 * n_params


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


class MetricsLog:
    """Append-only JSONL; a resumed run appends to the same file (records carry their step)."""

    def __init__(self, path: Path, enabled: bool = True, tensorboard: str = "") -> None:
        from trainer.tensorboard import open_writer

        self.path, self.enabled = Path(path), enabled
        self.board = open_writer(tensorboard) if enabled and tensorboard else None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` (and mirror its numbers to TensorBoard when a writer is open)."""
        from trainer.tensorboard import mirror

        if self.enabled:
            try:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record, sort_keys=True) + "\n")
            except OSError as e:
                if is_disk_full(e):
                    raise disk_full_error(self.path) from None
                raise
            mirror(self.board, record)

    def close(self) -> None:
        if self.board is not None:
            self.board.close()


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
        world: int = 1,
        six_n_per_token: float | None = None,
        tensorboard: str = "",
    ) -> None:
        from tqdm import tqdm

        self.log = MetricsLog(path, enabled=enabled, tensorboard=tensorboard)
        self.fpt, self.peak, self.world, self.six_n = flops_per_token, peak, world, six_n_per_token
        self.pbar = tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit="step",
            disable=not (enabled and progress),
            dynamic_ncols=True,
        )
        self.window_tokens: Any = 0
        self.t_window, self.excluded = time.perf_counter(), 0.0

    def step(self, tokens: Any) -> None:
        """Count one finished optimizer step of ``tokens`` real tokens (all ranks; an int or a device
        tensor, read only when the record is written)."""
        self.window_tokens = self.window_tokens + tokens
        self.pbar.update(1)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Leave the time spent inside (evaluation, checkpointing) out of the throughput window."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.excluded += time.perf_counter() - t0

    def window_seconds(self) -> float:
        """Seconds of training in the current window (wall time minus paused time)."""
        return max(time.perf_counter() - self.t_window - self.excluded, 1e-9)

    def train(self, step: int, loss: float, *, nsp_loss: float | None, **fields: Any) -> None:
        """Write the train record of ``step`` (``fields``: lr, grad_norm, tokens_seen, epoch, seqs) and
        start a new throughput window. ``mfu`` counts the model's actual FLOPs (MLM head on the masked
        tokens only), ``mfu_6n`` the 6·N·tokens convention; both per GPU."""
        tps = float(self.window_tokens) / self.window_seconds()
        rec = {"kind": "train", "step": step, "loss": loss, "ppl": perplexity(loss), **fields}
        rec.update(tokens_per_s=tps, time=time.time(), cpu_s=time.process_time())  # CPU s: robust when busy
        if self.peak:
            rec["mfu"] = mfu(tps, self.fpt, self.peak, self.world)
            if self.six_n:
                rec["mfu_6n"] = mfu(tps, self.six_n, self.peak, self.world)
        if nsp_loss is not None:
            rec["nsp_loss"] = nsp_loss
        self.log.write(rec)
        self.pbar.set_postfix(loss=f"{loss:.3f}", lr=f"{fields['lr']:.2e}", tok_s=f"{tps:,.0f}")
        self.window_tokens, self.t_window, self.excluded = 0, time.perf_counter(), 0.0

    def valid(self, step: int, loss: float, masked_tokens: int) -> None:
        """Write the valid record of ``step``."""
        rec = {"kind": "valid", "step": step, "loss": loss, "ppl": perplexity(loss)}
        self.log.write({**rec, "masked_tokens": masked_tokens, "time": time.time()})

    def close(self) -> None:
        self.pbar.close()
        self.log.close()


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
