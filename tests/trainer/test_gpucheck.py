"""``trainer gpucheck --smoke``: the GPU check's own code, on CPU with a tiny model over real blocks, so the
full check cannot rot before it reaches a GPU."""

from __future__ import annotations

import json
from pathlib import Path

from trainer.cli import main


def test_gpucheck_smoke_writes_every_section(reuters_shards: tuple[Path, Path], tmp_path: Path) -> None:
    shards, _ = reuters_shards
    out = tmp_path / "gc"
    assert main(["gpucheck", "--smoke", "--data", str(shards), "--out", str(out)]) == 0
    res = json.loads((out / "gpucheck.json").read_text())
    assert res["versions"]["torch"] and res["attention_path"] == "jagged"  # auto: jagged on CPU too
    for p in ("masked", "jagged"):  # the profiler saw the attention's ops; on CPU it is the written-out math
        assert res["sdpa_kernels"][p]["ops"] and res["sdpa_kernels"][p]["attention_backend"] == "math"
    prec = res["precision"]
    assert len(prec["fp32"]) == len(prec["bf16"]) == prec["steps"]
    assert prec["bf16_ok"] and prec["compile_ok"]
    (row,) = res["grid"]
    assert not row["synthetic"] and 0 < row["eager"]["padding_fraction"] < 1  # real blocks are padded
    for name in ("eager", "compiled", "hf"):
        assert row[name]["tokens_per_s"] > 0, row[name]
    assert row["ours_over_hf"] > 0 and row["hf"]["attn_implementation"] == "sdpa"
    md = (out / "gpucheck.md").read_text()
    assert "| 64 | 4 |" in md and "bf16 vs fp32" in md and "masked: **math**" in md


def test_attention_backend_names() -> None:
    """Real kernel / op names as the profiler reports them on CUDA and CPU."""
    from trainer.gpucheck import attention_backend

    flash = {"void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<64, 128, 64, 4>>"}
    assert attention_backend({"aten::_scaled_dot_product_flash_attention"}, flash) == "flash"
    eff = {"fmha_cutlassF_bf16_aligned_64x64_rf_sm80(PyTorchMemEffAttention::AttentionKernel)"}
    assert attention_backend({"aten::_scaled_dot_product_efficient_attention"}, eff) == "efficient"
    assert attention_backend({"aten::_scaled_dot_product_cudnn_attention"}, set()) == "cudnn"
    assert attention_backend({"aten::bmm", "aten::baddbmm"}, set()) == "math"
