"""GPU path (needs CUDA; excluded from the default run; never yet run on a GPU): bf16/fp16 training with MFU in
the logs, the bf16 model's loss within 2% of its fp32 self on both attention paths (jagged = nested-tensor SDPA
on CUDA), host batches copied from pinned memory (the profiler's copy kind, against a pageable control)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from trainer import apply_overrides, preset, train
from trainer.config import ModelConfig
from trainer.distributed import to_device
from trainer.metrics import peak_flops, read_metrics
from trainer.model import Roberta, attention_mask, pack_batch
from trainer_kit import tiny_overrides

pytestmark = pytest.mark.gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_cuda_training_logs_mfu(reuters_shards: tuple[Path, Path], tmp_path: Path, precision: str) -> None:
    shards, tok = reuters_shards
    over = tiny_overrides(shards, tok, tmp_path / "run", **{"run.device": "cuda", "run.precision": precision})
    result = train(apply_overrides(preset("tiny"), over))
    assert all(torch.isfinite(torch.tensor(v)) for v in result.losses.values())
    recs = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "train"]
    if peak_flops(torch.cuda.get_device_name()):
        assert 0 < recs[-1]["mfu"] < 1 and 0 < recs[-1]["mfu_6n"] < 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("attention", ["masked", "jagged"])
def test_bf16_agrees_with_fp32(attention: str) -> None:
    """The same model and batch: bf16 autocast loss within 2% of fp32, on both attention paths."""
    cfg = ModelConfig(vocab_size=500, hidden=64, layers=2, heads=2, ffn=128, max_positions=66, dropout=0.0)
    torch.manual_seed(0)
    model = Roberta(dataclasses.replace(cfg, attn_dropout=0.0)).cuda()
    ids = np.random.default_rng(0).integers(4, 500, (4, 64))
    ids[1, 40:] = 1
    dev = torch.device("cuda")
    x = to_device(ids, dev)
    labels = torch.where(x.remainder(7).eq(0), x, torch.full_like(x, -100))
    kw = {"labels": labels, "capacity": 64}
    kw.update(
        {"packing": pack_batch(ids, 1, dev)} if attention == "jagged" else {"attn_mask": attention_mask(x, 1)}
    )
    fp32 = model(x, **kw)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        bf16 = model(x, **kw)
    assert abs(float(bf16) - float(fp32)) <= 2e-2 * abs(float(fp32))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_host_batches_go_over_pinned() -> None:
    """``to_device`` copies from pinned memory: the profiler's host-to-device copy says Pinned, not Pageable
    (a plain ``.to("cuda")`` of the same array, profiled alongside, says Pageable: the check can fail)."""
    from torch.profiler import ProfilerActivity, profile

    ids = np.arange(1 << 20, dtype=np.int64).reshape(1024, 1024)
    dev = torch.device("cuda")

    def copies(fn) -> list[str]:
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            t = fn()
            torch.cuda.synchronize()
        assert torch.equal(t.cpu(), torch.from_numpy(ids))
        return [e.name for e in prof.events() if "Memcpy HtoD" in e.name]

    pinned = copies(lambda: to_device(ids, dev))
    pageable = copies(lambda: torch.from_numpy(ids).to(dev))
    assert pinned and all("Pinned" in n for n in pinned), pinned
    assert pageable and all("Pageable" in n for n in pageable), pageable
