"""``bench speed``: one GLUE cell with the project's finetuning loop and with ``transformers.Trainer``, side by
side in one run (same checkpoint, data, max length, hyper-parameters, seed and threads), printing training
examples/s of each, their ratio, and the dev metrics of both.

Trainer is set up as ``run_glue.py`` with ``--pad_to_max_length False`` (``DataCollatorWithPadding``: dynamic
padding, random order, no length grouping), AdamW with the recipe's betas/eps/weight decay, linear warmup and
decay, no checkpoints, no reporting. Ours runs the recipe with length-grouped batches. Training time excludes
evaluation for both; evaluation runs once per epoch for ours and once at the end for Trainer.

Usage: ``bench speed --checkpoint CKPT --data GLUE --task sst2 --train 2000 --threads 2``
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.errors import BenchError
from benchmarks.sweep import Recipe


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpeedSetup:
    """What both loops share."""

    task: str = "sst2"
    train: int = 2000  # training examples (a fixed random subset)
    dev: int | None = 872
    max_len: int = 128
    batch_size: int = 16
    lr: float = 2e-5
    epochs: int = 1
    seed: int = 1
    threads: int = 0  # 0: leave torch's default
    rounds: int = 1  # each loop runs this many times, alternating which goes first; the best run counts


class _Clock:
    """Wall and process CPU seconds (CPU time barely moves when other jobs share the cores)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    @contextlib.contextmanager
    def run(self, sign: float = 1.0) -> Iterator[None]:
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += sign * (time.perf_counter() - w)
            self.cpu += sign * (time.process_time() - c)

    def figures(self, examples: int, metrics: dict[str, float]) -> dict[str, Any]:
        return {
            "examples_per_s": examples / self.wall,
            "examples_per_cpu_s": examples / self.cpu,
            "train_s": self.wall,
            "cpu_s": self.cpu,
            "metrics": metrics,
        }


def _data(setup: SpeedSetup, hf_dir: Path, data_dir: str | Path) -> tuple[Any, list, dict]:
    from transformers import AutoTokenizer

    from benchmarks.tasks.glue import _encode, _subsample
    from benchmarks.tasks.glue_data import TASKS, load_glue

    tok = AutoTokenizer.from_pretrained(hf_dir)
    data = load_glue(setup.task, data_dir)
    reg = TASKS[setup.task].num_labels == 1
    train = _encode(tok, _subsample(data.train, setup.train), setup.max_len, reg)
    dev = {k: _encode(tok, _subsample(v, setup.dev), setup.max_len, reg) for k, v in data.dev.items()}
    return tok, train, dev


def _model(hf_dir: Path, task: str, seed: int) -> Any:
    import torch

    from benchmarks.tasks.glue import _classifier

    torch.manual_seed(seed)
    return _classifier(hf_dir, task, replace_head=False)


def run_ours(setup: SpeedSetup, hf_dir: Path, tok: Any, train: list, dev: dict) -> dict[str, Any]:
    """Our loop (length-grouped); training examples/s with evaluation time left out."""
    from benchmarks.finetune import settings_for
    from benchmarks.finetune import train as train_loop
    from benchmarks.tasks.glue import _evaluator
    from benchmarks.tasks.glue_metrics import HEADLINE

    recipe = Recipe(epochs=setup.epochs, eval_batch_size=128, device="cpu")
    evaluate = _evaluator(setup.task, dev, recipe.eval_batch_size, tok.pad_token_id, "cpu")
    clock = _Clock()

    def timed_eval(model):
        with clock.run(sign=-1.0):  # evaluation time is left out
            return evaluate(model)

    model = _model(hf_dir, setup.task, setup.seed)
    settings = settings_for(recipe, setup.batch_size, setup.lr, setup.seed, "cpu")
    with clock.run():
        done = train_loop(
            model,
            train,
            timed_eval,
            settings=settings,
            headline=HEADLINE[setup.task],
            pad_id=tok.pad_token_id,
        )
    last = {k: v for k, v in done.history[-1].items() if k not in ("epoch", "train_loss", "dev_loss")}
    return clock.figures(len(train) * setup.epochs, last)


def run_hf_trainer(setup: SpeedSetup, hf_dir: Path, tok: Any, train: list, dev: dict, tmp: Path) -> dict:
    """``transformers.Trainer`` as ``run_glue.py`` sets it up; training examples/s and dev metrics."""
    import numpy as np
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from benchmarks.tasks.glue_metrics import glue_metrics

    r = Recipe()
    args = TrainingArguments(
        output_dir=str(tmp),
        per_device_train_batch_size=setup.batch_size,
        per_device_eval_batch_size=128,
        learning_rate=setup.lr,
        num_train_epochs=setup.epochs,
        warmup_steps=math.floor(r.warmup_ratio * math.ceil(len(train) / setup.batch_size) * setup.epochs),
        weight_decay=r.weight_decay,
        adam_beta1=r.adam_betas[0],
        adam_beta2=r.adam_betas[1],
        adam_epsilon=r.adam_eps,
        lr_scheduler_type="linear",
        seed=setup.seed,
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        eval_strategy="no",
        logging_steps=50,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    model = _model(hf_dir, setup.task, setup.seed)
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=DataCollatorWithPadding(tok))
    clock = _Clock()
    with clock.run():
        trainer.train()
    splits = {}
    for key, feats in dev.items():
        logits = trainer.predict(feats).predictions
        preds = logits[:, 0] if logits.shape[1] == 1 else np.argmax(logits, -1)
        splits[key] = (preds.tolist(), [f["labels"] for f in feats])
    return clock.figures(len(train) * setup.epochs, glue_metrics(setup.task, splits))


def run_speed(checkpoint: str | Path, data_dir: str | Path, setup: SpeedSetup) -> dict[str, Any]:
    """Both loops on the same cell; returns and prints the figures."""
    import tempfile

    import torch

    from benchmarks.hf_checkpoint import as_hf_folder

    try:
        import accelerate  # noqa: F401  (transformers.Trainer needs it)
    except ImportError:
        raise BenchError("bench speed needs accelerate (the roberta-benchmarks[hf-trainer] extra)") from None
    if setup.threads > 0:
        torch.set_num_threads(setup.threads)
    ours, hf = [], []
    with as_hf_folder(checkpoint) as hf_dir, tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        tok, train, dev = _data(setup, hf_dir, data_dir)
        for r in range(setup.rounds):
            for side in ("ours", "hf") if r % 2 == 0 else ("hf", "ours"):
                if side == "ours":
                    ours.append(run_ours(setup, hf_dir, tok, train, dev))
                else:
                    hf.append(run_hf_trainer(setup, hf_dir, tok, train, dev, Path(tmp)))
    return _summary(setup, len(train), ours, hf)


def _summary(setup: SpeedSetup, n_train: int, ours: list[dict], hf: list[dict]) -> dict[str, Any]:
    """Print and return the best run of each side (by wall examples/s) and the ratios."""
    import torch

    best_ours = max(ours, key=lambda r: r["examples_per_s"])
    best_hf = max(hf, key=lambda r: r["examples_per_s"])
    ratio = best_ours["examples_per_s"] / best_hf["examples_per_s"]
    ratio_cpu = max(r["examples_per_cpu_s"] for r in ours) / max(r["examples_per_cpu_s"] for r in hf)
    print(
        f"{setup.task}: {n_train} train examples x {setup.epochs} epoch(s), batch {setup.batch_size}, "
        f"lr {setup.lr:g}, max {setup.max_len} tokens, {torch.get_num_threads()} threads, "
        f"best of {setup.rounds} round(s)"
    )
    for name, r in (("ours (length-grouped)", best_ours), ("transformers.Trainer", best_hf)):
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in r["metrics"].items())
        print(
            f"  {name:22s} {r['examples_per_s']:8.1f} examples/s ({r['train_s']:.1f} s wall, "
            f"{r['examples_per_cpu_s']:.1f} per CPU-s)  dev: {metrics}"
        )
    print(f"  speed-up: {ratio:.2f}x (wall), {ratio_cpu:.2f}x (CPU time)")
    return {
        "setup": dataclasses.asdict(setup),
        "ours": best_ours,
        "hf_trainer": best_hf,
        "ratio": ratio,
        "ratio_cpu": ratio_cpu,
        "runs": {"ours": ours, "hf_trainer": hf},
    }
