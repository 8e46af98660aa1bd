"""The Hugging Face side of ``trainer gpucheck``: ``transformers.RobertaForMaskedLM`` with SDPA attention and
fused AdamW on the very blocks our step gets, masked on the device by the same masker.

Usage: ``row = hf_row(setup, ids, micro, dtype=torch.bfloat16, steps=10)``
"""

from __future__ import annotations

from typing import Any

from trainer.gpucheck_timing import WARMUP, timed


def hf_step_fn(s: Any, ids_all, micro: int, dtype, fn_info: dict):
    """``RobertaForMaskedLM`` (SDPA attention, fused AdamW) on the same blocks, masked on the device with
    the same masker; returns ``fn(k)`` running step ``k`` (``fn_info`` gets the attention HF really uses)."""
    import torch
    from transformers import RobertaConfig, RobertaForMaskedLM

    from trainer.distributed import to_device
    from trainer.export import hf_config
    from trainer.masking import mask_seed
    from trainer.precision import autocast

    torch.manual_seed(0)
    hf = RobertaForMaskedLM(RobertaConfig(**hf_config(s.mcfg), attn_implementation="sdpa")).to(s.device)
    opt = torch.optim.AdamW(hf.parameters(), lr=1e-4, fused=True)
    fn_info["attn_implementation"] = hf.config._attn_implementation

    def fn(k: int) -> None:
        ids = to_device(ids_all[(k % (len(ids_all) // micro)) * micro :][:micro].copy(), s.device)
        inputs, labels = s.masker(ids, seed=mask_seed(0, k))
        with autocast(s.device, dtype):
            loss = hf(input_ids=inputs, attention_mask=ids.ne(s.pad).long(), labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return fn


def hf_row(s: Any, ids_all, micro: int, *, dtype, steps: int) -> dict:
    """Real tokens/s and peak memory of the HF loop at one shape."""
    import numpy as np
    import torch

    info: dict[str, Any] = {}
    fn = hf_step_fn(s, ids_all, micro, dtype, info)
    n_chunks = len(ids_all) // micro
    if s.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    secs = timed(fn, steps, WARMUP[0], s.device)
    real = sum(
        int(np.count_nonzero(ids_all[(k % n_chunks) * micro :][:micro] != s.pad))
        for k in range(WARMUP[0], WARMUP[0] + steps)
    )
    peak = torch.cuda.max_memory_allocated() / 2**30 if s.device.type == "cuda" else None
    return {"tokens_per_s": real / secs, "peak_memory_gib": peak, **info}
