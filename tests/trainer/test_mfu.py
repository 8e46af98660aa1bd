"""MFU per GPU: peaks by exact device name (no H100 PCIe counted as SXM), the per-GPU division, the two FLOPs
conventions, and the throughput window that leaves evaluation and checkpoint time out."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainer import metrics
from trainer.config import ModelConfig
from trainer.metrics import TrainLog, lookup_peak, mfu, read_metrics, six_n_flops_per_token
from trainer.model import Roberta, count_params, flops_per_token


@pytest.mark.parametrize(
    ("name", "tflops"),
    [
        ("NVIDIA H100 80GB HBM3", 989.4),
        ("NVIDIA H100 PCIe", 756.5),
        ("NVIDIA H100 NVL", 835.5),
        ("NVIDIA H200", 989.4),
        ("NVIDIA A100-SXM4-80GB", 312),
        ("NVIDIA A100-PCIE-40GB", 312),
        ("NVIDIA A100 something new", 312),  # family fallback: every A100 has the same peak
    ],
)
def test_peak_by_device_name(name: str, tflops: float) -> None:
    peak, source = lookup_peak(name)
    assert peak == pytest.approx(tflops * 1e12)
    assert source


def test_unknown_form_factor_gets_no_peak_unless_given() -> None:
    assert lookup_peak("NVIDIA H100 Mystery")[0] is None  # SXM or PCIe? no guess
    assert "peak_tflops" in lookup_peak("NVIDIA H100 Mystery")[1]
    assert lookup_peak("NVIDIA H100 Mystery", 500.0) == (500e12, "run.peak_tflops")


def test_mfu_divides_by_world_times_peak() -> None:
    # 8 GPUs together doing 8 x 1e5 tokens/s at 1e9 FLOPs/token on 1e15 FLOP/s GPUs = 10% each
    assert mfu(8e5, 1e9, 1e15, world=8) == pytest.approx(0.1)
    assert mfu(1e5, 1e9, 1e15) == pytest.approx(0.1)
    assert mfu(1e5, 1e9, None) is None


def test_flops_conventions() -> None:
    cfg = ModelConfig(vocab_size=1000, hidden=64, layers=2, heads=2, ffn=256, max_positions=130)
    n = count_params(Roberta(cfg))
    assert six_n_flops_per_token(n) == 6 * n
    h, f, t = 64, 256, 128  # actual: 3 x (layers x (2(4h^2 + 2hf) + 4th) + 0.15 x 2(h^2 + hV))
    expect = 3 * (2 * (2 * (4 * h * h + 2 * h * f) + 4 * t * h) + 0.15 * 2 * (h * h + h * 1000))
    assert flops_per_token(cfg, t, 0.15) == pytest.approx(expect)


def test_window_excludes_paused_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(metrics.time, "perf_counter", lambda: clock[0])
    log = TrainLog(
        tmp_path / "m.jsonl",
        enabled=True,
        progress=False,
        desc="t",
        initial=0,
        total=2,
        flops_per_token=1e9,
        peak=1e15,
        world=2,
        six_n_per_token=2e9,
    )
    log.step(1000)
    clock[0] += 1.0  # 1 s of training
    with log.paused():
        clock[0] += 9.0  # 9 s of evaluation + checkpointing
    log.train(1, 2.0, nsp_loss=None, lr=1e-4, grad_norm=1.0)
    rec = read_metrics(tmp_path / "m.jsonl")[0]
    assert rec["tokens_per_s"] == pytest.approx(1000.0)
    assert rec["mfu"] == pytest.approx(1000 * 1e9 / (2 * 1e15))
    assert rec["mfu_6n"] == pytest.approx(1000 * 2e9 / (2 * 1e15))
    log.close()
