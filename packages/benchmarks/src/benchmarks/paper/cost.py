"""What a ``bench paper`` run will cost, printed before it starts: pretraining runs, FLOPs, and hours on the
device the scale is sized for.

FLOPs are counted from the model's shape (per token: 2 x the transformer-layer weights, the attention scores
over T positions, the MLM head over the masked 15%; training = 3 x forward) times the tokens of every row's
pretraining, plus finetuning (6 x layer weights per token of ``ft_train`` examples of ``ft_tokens`` tokens, per
epoch, task and finetuning seed). Hours use an effective throughput per device: ``CPU_FLOPS`` was measured on
this project's 2-core development machine with ``bench paper --table 1 --scale tiny`` (docs/paper.md);
``GPU_FLOPS`` is 40% of an H100's dense bf16 peak (the trainer's MFU target). Small models reach far less of
a device's peak, so for ``tiny`` on a GPU the hours are a lower bound.

Usage: ``print(estimate(TABLES["1"], SCALES["tiny"], seeds=3).describe())``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.paper.spec import Scale, Table

CPU_FLOPS = 1.5e9  # measured: Table 1 at tiny, 1.36e12 FLOPs (estimated) in 874 CPU-s (docs/paper.md)
GPU_FLOPS = 0.4 * 989.4e12
FT_TOKENS = 32  # mean tokens of a finetuning example (SST-2 ~ 25, RTE ~ 70 with the pair)
FT_DEFAULT_TRAIN = 67_000  # a task's full training set when the scale does not cap it (SST-2's size)


@dataclass(frozen=True)
class Cost:
    table: str
    scale: str
    device: str
    runs: int  # pretraining runs: rows x seeds
    pretrain_flops: float
    finetune_flops: float

    @property
    def hours(self) -> float:
        rate = CPU_FLOPS if self.device == "cpu" else GPU_FLOPS
        return (self.pretrain_flops + self.finetune_flops) / rate / 3600

    def describe(self) -> str:
        if self.device == "cpu":
            time = f"~{self.hours:.2f} CPU-hours (2 cores)"
        else:  # small models reach far less than 40% MFU: a lower bound
            time = f">= {self.hours:.3g} GPU-hours (one H100 at 40% MFU; less efficient for small models)"
        return (
            f"estimated cost of table {self.table} at {self.scale}: {self.runs} pretraining runs, "
            f"{self.pretrain_flops:.2e} pretraining + {self.finetune_flops:.2e} finetuning FLOPs, {time}"
        )


def _vocab(tokenizer: Path | None, default: int) -> int:
    vocab = Path(tokenizer) / "vocab.json" if tokenizer is not None else None
    if vocab is not None and vocab.is_file():
        return len(json.loads(vocab.read_text(encoding="utf-8")))
    return default


def estimate(table: Table, scale: Scale, seeds: int, tokenizer: Path | None = None) -> Cost:
    """The cost of every row of ``table`` at ``scale`` with ``seeds`` pretraining seeds."""
    from trainer import preset

    m = preset(scale.preset).model
    hidden = int(scale.model.get("hidden", m.hidden))
    layers = int(scale.model.get("layers", m.layers))
    ffn = int(scale.model.get("ffn", m.ffn))
    vocab = _vocab(tokenizer, scale.enc_vocab[0] if table.number == "enc" else m.vocab_size)
    layer_weights = layers * (4 * hidden * hidden + 2 * hidden * ffn)
    per_token = 3 * (2 * layer_weights + 4 * layers * scale.seq_len * hidden + 2 * 0.15 * hidden * vocab)
    tokens = sum(r.batch(scale) * r.steps(scale) * scale.seq_len for r in table.rows)
    examples = scale.ft_train or FT_DEFAULT_TRAIN
    ft = 6 * layer_weights * FT_TOKENS * examples * scale.ft_epochs * scale.ft_seeds * len(scale.tasks)
    return Cost(
        table=table.number,
        scale=scale.name,
        device=scale.device,
        runs=len(table.rows) * seeds,
        pretrain_flops=per_token * tokens * seeds,
        finetune_flops=ft * len(table.rows) * seeds,
    )
