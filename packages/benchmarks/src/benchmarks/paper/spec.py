"""Every number of the paper's Tables 1-8 the package uses, in one place: what ``bench paper`` runs (the rows
of the comparison Tables 1-4 and the §4.4 encodings, each a pretraining variant expressed as typed trainer
config values, at three scales, with the paper's numbers) and the finetuning results ``bench report`` puts
beside ours (``PAPER_SCORES``: Tables 5-8).

A *scale* fixes the model, sequence length, base batch, steps and the finetuning recipe; a *row* says how its
variant differs (format, masking, batch/steps/lr multipliers, data fraction). ``tiny`` is for a CPU in
minutes; ``small`` a CPU-hour or a GPU; ``base`` is the paper's BERT-base setting (1M steps x 256 sequences
of 512 tokens for Tables 1-3; Table 4 used BERT-large at 8K x 100K+ steps).

Tables 1-4 numbers are the published dev-set medians (Liu et al. 2019), keyed by our column names.
``PAPER_SCORES`` (percent, keyed by (task, metric)): GLUE dev medians from Table 5 (LARGE, single-task dev) and
Table 8 (BASE, all data, 500k steps); SQuAD dev from Table 6 (LARGE); RACE test from Table 7 (LARGE). The
paper gives no BASE numbers for SQuAD, RACE or WNLI.

Usage: ``for row in TABLES["2"].rows: values = row.overrides(SCALES["tiny"])``;
``PAPER_SCORES["large"][("rte", "acc")]`` -> 86.6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Scale:
    """Model size, pretraining budget and finetuning recipe of one scale."""

    name: str
    preset: str  # trainer preset the model overrides start from
    model: dict[str, Any] = field(default_factory=dict)  # --model.* overrides
    seq_len: int = 512
    batch_size: int = 256  # sequences per step of the baseline row (BERT: 256)
    micro_batch: int = 32
    seeds: int = 3  # pretraining seeds per row (each row is pretrained and finetuned once per seed)
    device: str = "gpu"  # what the scale is sized for: cpu | gpu (the cost estimate's unit)
    steps: int = 1_000_000
    warmup_frac: float = 0.01  # BERT: 10K warmup of 1M steps
    lr: float = 1e-4  # BERT's peak lr (Tables 1-2 rows); Table 3 rows set their own
    eval_every: int = 10_000
    valid_blocks: int = 2048
    # finetuning (benchmarks.sweep.Recipe fields); None = the task's full split
    tasks: tuple[str, ...] = ("sst2", "mrpc", "rte", "stsb", "cola", "qnli", "mnli")
    ft_batch: int = 32
    ft_lr: float = 2e-5
    ft_epochs: int = 10
    ft_seeds: int = 5
    ft_seq_len: int = 512
    ft_train: int | None = None
    ft_dev: int | None = None
    enc_vocab: tuple[int, int] = (50_265, 30_000)  # (byte-level, char-level) BPE sizes for --table enc
    enc_valid: float = 0.01  # --table enc: fraction of documents held out (same documents for both)


SCALES = {
    "tiny": Scale(
        name="tiny",
        preset="tiny",
        device="cpu",
        model={"hidden": 64, "heads": 2, "layers": 2, "ffn": 256, "max_positions": 66},
        seq_len=64,
        batch_size=16,
        micro_batch=16,
        steps=160,
        warmup_frac=0.1,
        lr=1e-3,
        eval_every=20,
        valid_blocks=128,
        tasks=("sst2",),
        ft_batch=32,
        ft_lr=1e-3,
        ft_epochs=2,
        ft_seeds=1,
        ft_seq_len=64,
        ft_train=2000,
        enc_vocab=(4096, 2458),
        enc_valid=0.05,
        ft_dev=None,
    ),
    "small": Scale(
        name="small",
        preset="tiny",
        model={"hidden": 256, "heads": 4, "layers": 4, "ffn": 1024, "max_positions": 130},
        seq_len=128,
        batch_size=64,
        micro_batch=32,
        steps=3000,
        warmup_frac=0.06,
        lr=5e-4,
        eval_every=250,
        valid_blocks=512,
        tasks=("sst2", "mrpc", "rte"),
        ft_batch=32,
        ft_lr=1e-4,
        ft_epochs=3,
        ft_seeds=1,
        ft_seq_len=128,
        ft_train=20000,
        enc_vocab=(16384, 9830),
        enc_valid=0.02,
    ),
    "base": Scale(name="base", preset="base"),
}


@dataclass(frozen=True, kw_only=True)
class Row:
    """One pretraining variant: a paper row and how it departs from the scale's baseline."""

    key: str
    label: str  # the paper's row name
    format: str = "full-sentences"
    static_dupes: int = 0
    batch_mult: float = 1.0  # batch = scale batch x this (Table 3)
    steps_mult: float = 1.0  # steps = scale steps x this (Tables 3-4)
    lr: float | None = None  # None = the scale's lr
    data_frac: float = 1.0  # fraction of the training documents (Table 4's 16GB vs 160GB)
    match_tokens: bool = False  # raise the batch so tokens per step match FULL-SENTENCES (SENTENCE-PAIR)
    paper: dict[str, float] = field(default_factory=dict)  # published numbers by column
    paper_setting: str = ""  # the paper's bsz/steps/lr/data for this row, for the table
    encoding: str = ""  # --table enc: byte-bpe | char-bpe, trained on --text (vocab from Scale.enc_vocab)

    def steps(self, scale: Scale) -> int:
        return max(1, round(scale.steps * self.steps_mult))

    def batch(self, scale: Scale) -> int:
        return max(1, round(scale.batch_size * self.batch_mult))

    def overrides(self, scale: Scale) -> dict[str, Any]:
        """Typed trainer config values (``section.field`` -> value) of this row at ``scale`` (batch size of a
        ``match_tokens`` row is fixed later, once the shards are known)."""
        steps = self.steps(scale)
        out = {f"model.{k}": v for k, v in scale.model.items()}
        out.update(
            {
                "data.seq_len": scale.seq_len,
                "data.format": self.format,
                "data.valid_format": "full-sentences",
                "data.static_dupes": self.static_dupes,
                "data.valid_blocks": scale.valid_blocks,
                "optim.batch_size": self.batch(scale),
                "optim.micro_batch": min(scale.micro_batch, self.batch(scale)),
                "optim.max_steps": steps,
                "optim.warmup_steps": max(1, round(steps * scale.warmup_frac)),
                "optim.lr": self.lr if self.lr is not None else scale.lr,
                "run.eval_every": max(1, min(scale.eval_every, steps // 8 or 1)),
                "run.save_every": steps,
                "run.keep_last": 1,
            }
        )
        out["run.log_every"] = out["run.eval_every"]
        return out


@dataclass(frozen=True, kw_only=True)
class Table:
    number: str
    title: str
    columns: tuple[str, ...]  # paper columns, e.g. ("squad2", "mnli", "sst2")
    rows: tuple[Row, ...]
    references: tuple[tuple[str, dict[str, float]], ...] = ()  # published rows we do not train (BERT, XLNet)


COLUMN_NAMES = {
    "squad1": "SQuAD 1.1 F1",
    "squad2": "SQuAD 2.0 F1",
    "mnli": "MNLI-m",
    "sst2": "SST-2",
    "race": "RACE",
    "ppl": "ppl",
    "mrpc": "MRPC",
    "rte": "RTE",
    "stsb": "STS-B",
    "cola": "CoLA",
    "qnli": "QNLI",
}

TABLES = {
    "1": Table(
        number="1",
        title="Static vs dynamic masking (BERT-base, §4.1)",
        columns=("squad2", "mnli", "sst2"),
        rows=(
            Row(
                key="static",
                label="static",
                static_dupes=10,
                paper={"squad2": 78.3, "mnli": 84.3, "sst2": 92.5},
            ),
            Row(key="dynamic", label="dynamic", paper={"squad2": 78.7, "mnli": 84.0, "sst2": 92.9}),
        ),
        references=(("reference (BERT-base)", {"squad2": 76.3, "mnli": 84.3, "sst2": 92.8}),),
    ),
    "2": Table(
        number="2",
        title="Input format and next sentence prediction (BERT-base, §4.2)",
        columns=("squad1", "squad2", "mnli", "sst2", "race"),
        rows=(
            Row(
                key="segment-pair",
                label="SEGMENT-PAIR (+NSP)",
                format="segment-pair",
                paper={"squad1": 90.4, "squad2": 78.7, "mnli": 84.0, "sst2": 92.9, "race": 64.2},
            ),
            Row(
                key="sentence-pair",
                label="SENTENCE-PAIR (+NSP)",
                format="sentence-pair",
                match_tokens=True,
                paper={"squad1": 88.7, "squad2": 76.2, "mnli": 82.9, "sst2": 92.1, "race": 63.0},
            ),
            Row(
                key="full-sentences",
                label="FULL-SENTENCES",
                format="full-sentences",
                paper={"squad1": 90.4, "squad2": 79.1, "mnli": 84.7, "sst2": 92.5, "race": 64.8},
            ),
            Row(
                key="doc-sentences",
                label="DOC-SENTENCES",
                format="doc-sentences",
                paper={"squad1": 90.6, "squad2": 79.7, "mnli": 84.7, "sst2": 92.7, "race": 65.6},
            ),
        ),
        references=(
            ("BERT-base", {"squad1": 88.5, "squad2": 76.3, "mnli": 84.3, "sst2": 92.8, "race": 64.3}),
        ),
    ),
    "3": Table(
        number="3",
        title="Batch size at equal passes and compute (BERT-base, §4.3)",
        columns=("ppl", "mnli", "sst2"),
        rows=(
            Row(
                key="bsz256",
                label="256 x 1M, lr 1e-4",
                lr=1e-4,
                paper_setting="256 / 1M / 1e-4",
                paper={"ppl": 3.99, "mnli": 84.7, "sst2": 92.7},
            ),
            Row(
                key="bsz2k",
                label="2K x 125K, lr 7e-4",
                lr=7e-4,
                batch_mult=8,
                steps_mult=1 / 8,
                paper_setting="2K / 125K / 7e-4",
                paper={"ppl": 3.68, "mnli": 85.2, "sst2": 92.9},
            ),
            Row(
                key="bsz8k",
                label="8K x 31K, lr 1e-3",
                lr=1e-3,
                batch_mult=32,
                steps_mult=1 / 32,
                paper_setting="8K / 31K / 1e-3",
                paper={"ppl": 3.77, "mnli": 84.6, "sst2": 92.8},
            ),
        ),
    ),
    "4": Table(
        number="4",
        title="More data and longer pretraining (RoBERTa-large, §5)",
        columns=("squad1", "squad2", "mnli", "sst2"),
        rows=(
            Row(
                key="data1x-100k",
                label="BOOKS+WIKI, 100K steps",
                data_frac=0.1,
                paper_setting="16GB / 8K / 100K",
                paper={"squad1": 93.6, "squad2": 87.3, "mnli": 89.0, "sst2": 95.3},
            ),
            Row(
                key="data10x-100k",
                label="+ additional data",
                paper_setting="160GB / 8K / 100K",
                paper={"squad1": 94.0, "squad2": 87.7, "mnli": 89.3, "sst2": 95.6},
            ),
            Row(
                key="data10x-300k",
                label="+ pretrain longer",
                steps_mult=3,
                paper_setting="160GB / 8K / 300K",
                paper={"squad1": 94.4, "squad2": 88.7, "mnli": 90.0, "sst2": 96.1},
            ),
            Row(
                key="data10x-500k",
                label="+ pretrain even longer",
                steps_mult=5,
                paper_setting="160GB / 8K / 500K",
                paper={"squad1": 94.6, "squad2": 89.4, "mnli": 90.2, "sst2": 96.4},
            ),
        ),
        references=(("BERT-large", {"squad1": 90.9, "squad2": 81.8, "mnli": 86.6, "sst2": 93.7}),),
    ),
    "enc": Table(
        number="enc",
        title="Text encoding: byte-level vs character-level BPE (BERT-base, §4.4)",
        columns=(),
        rows=(
            Row(key="byte-bpe", label="byte-level BPE (50K, RoBERTa)", encoding="byte-bpe"),
            Row(key="char-bpe", label="char-level BPE (30K, BERT)", encoding="char-bpe"),
        ),
    ),
}

# Tables 5-8: RoBERTa LARGE (Tables 5, 6, 7) and BASE (Table 8, "+ all data + 500k steps") finetuning results.
PAPER_SCORES: dict[str, dict[tuple[str, str], float]] = {
    "large": {
        ("mnli", "acc_m"): 90.2,
        ("mnli", "acc_mm"): 90.2,
        ("qnli", "acc"): 94.7,
        ("qqp", "acc"): 92.2,
        ("rte", "acc"): 86.6,
        ("sst2", "acc"): 96.4,
        ("mrpc", "acc"): 90.9,
        ("cola", "mcc"): 68.0,
        ("stsb", "pearson"): 92.4,
        ("wnli", "acc"): 91.3,
        ("squad1.1", "em"): 88.9,
        ("squad1.1", "f1"): 94.6,
        ("squad2.0", "em"): 86.5,
        ("squad2.0", "f1"): 89.4,
        ("race", "acc"): 83.2,
        ("race", "acc_middle"): 86.5,
        ("race", "acc_high"): 81.3,
    },
    "base": {
        ("mnli", "acc_m"): 87.6,
        ("qnli", "acc"): 92.8,
        ("qqp", "acc"): 91.9,
        ("rte", "acc"): 78.7,
        ("sst2", "acc"): 94.8,
        ("mrpc", "acc"): 90.2,
        ("cola", "mcc"): 63.6,
        ("stsb", "pearson"): 91.2,
    },
}
