"""``bench glue``: finetune a checkpoint on GLUE tasks with the paper's sweep and write one result per task.

Per task: load data, tokenize once, run every (batch size, lr, seed) cell of the recipe (resumable), keep each
cell's best dev epoch, pick the hyper-parameters with the best median over seeds, and write ``OUT/{task}.json``
(``benchmarks.results``). ``init_from`` starts RTE/STS-B/MRPC from an MNLI-finetuned model (paper §5.1).

Usage: ``run_glue("ckpt/", ["rte"], "glue/", "out/", quick=True)`` -> ``[BenchResult(task="rte", ...)]``
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.errors import BenchError
from benchmarks.hf_checkpoint import as_hf_folder, fit_recipe
from benchmarks.results import BenchResult, read_result
from benchmarks.sweep import Recipe, glue_recipe, run_sweep, write_sweep_result
from benchmarks.sweep import quick as quick_variant
from benchmarks.tasks.glue_data import TASKS, Example, GlueData, MissingData, load_glue
from benchmarks.tasks.glue_metrics import HEADLINE, glue_metrics

INIT_FROM_MNLI = ("rte", "stsb", "mrpc")  # the tasks the paper starts from the MNLI model


def _subsample(examples: list[Example], n: int | None) -> list[Example]:
    """A fixed (seed 0) random subset, so quick runs still see every class."""
    if n is None or n >= len(examples):
        return examples
    return random.Random(0).sample(examples, n)


def _encode(tok: Any, examples: list[Example], max_len: int, regression: bool) -> list[dict[str, Any]]:
    enc = tok(
        [e.text_a for e in examples],
        [e.text_b for e in examples] if examples[0].text_b is not None else None,
        truncation=True,
        max_length=max_len,
    )
    return [
        {"input_ids": ids, "attention_mask": mask, "labels": e.label if regression else int(e.label)}
        for ids, mask, e in zip(enc["input_ids"], enc["attention_mask"], examples, strict=True)
    ]


def resolve_init_from(init_from: str | Path | None) -> Path | None:
    """An HF model folder as is, or a ``bench glue`` output folder: its MNLI result's saved best model."""
    if init_from is None:
        return None
    p = Path(init_from)
    if (p / "config.json").is_file():
        return p
    if (p / "mnli.json").is_file():
        model = read_result(p / "mnli.json").config.get("best_model")
        if model and (Path(model) / "config.json").is_file():
            return Path(model)
        raise BenchError(f"--init-from {p}: mnli.json has no saved model (run MNLI with --save-models)")
    raise BenchError(f"--init-from {p}: neither an HF model folder nor a bench output folder with mnli.json")


def _classifier(start: Path, task: str, replace_head: bool) -> Any:
    """A sequence classifier (regression head for STS-B) on the encoder in ``start``; fresh head if asked."""
    import torch
    from transformers import AutoModelForSequenceClassification

    n = TASKS[task].num_labels
    model = AutoModelForSequenceClassification.from_pretrained(
        start,
        num_labels=n,
        ignore_mismatched_sizes=replace_head,
        problem_type="regression" if n == 1 else "single_label_classification",
    )
    if (
        replace_head
    ):  # a new task's head starts fresh, as fairseq resets it (not only its mismatched out_proj)
        for layer in model.classifier.modules():
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.normal_(layer.weight, std=model.config.initializer_range)
                torch.nn.init.zeros_(layer.bias)
    return model


def _evaluator(task: str, dev_feats: dict[str, list], bs: int, pad_id: int, device: str) -> Callable:
    """Dev metrics plus ``dev_loss`` (the training loss, mean over the first dev split's examples), computed
    over length-sorted batches (``benchmarks.batching.predict``); the summed loss stays on the device."""
    import torch

    from benchmarks.batching import predict

    def evaluate(model) -> dict[str, float]:
        splits, dev_loss = {}, None
        for key, feats in dev_feats.items():
            sums: list[torch.Tensor] = []

            def run(batch, sums=sums):
                out = model(**{k: v.to(device) for k, v in batch.items()})
                logits = out.logits.float()
                sums.append(out.loss.float() * logits.shape[0])
                return (logits[:, 0] if logits.shape[1] == 1 else logits.argmax(-1)).tolist()

            splits[key] = (predict(feats, bs, pad_id, run), [f["labels"] for f in feats])
            if dev_loss is None:
                dev_loss = float(torch.stack(sums).sum()) / len(feats)
        return {**glue_metrics(task, splits), "dev_loss": dev_loss}

    return evaluate


def run_task(
    task: str,
    data: GlueData,
    hf_dir: Path,
    checkpoint: str,
    out: Path,
    recipe: Recipe,
    *,
    init_dir: Path | None = None,
    save_models: bool = False,
    tensorboard: Path | None = None,
    only: tuple[int, float, int] | None = None,
) -> BenchResult | None:
    """Run (or resume) every cell of ``recipe`` for ``task`` and write ``out/{task}.json``; ``only``: run just
    that (batch size, lr, seed) cell and write no result (a cluster job; the submitter writes it)."""
    from transformers import AutoTokenizer

    from benchmarks.finetune import cell_runner, pick_device

    recipe = fit_recipe(recipe, hf_dir)
    tok = AutoTokenizer.from_pretrained(hf_dir)
    regression = TASKS[task].num_labels == 1
    train_ex = _subsample(data.train, recipe.max_train_examples)
    train_feats = _encode(tok, train_ex, recipe.max_seq_len, regression)
    dev_feats = {
        k: _encode(tok, _subsample(v, recipe.max_eval_examples), recipe.max_seq_len, regression)
        for k, v in data.dev.items()
    }
    start = init_dir if (init_dir is not None and task in INIT_FROM_MNLI) else hf_dir
    # name the checkpoint as the user did (a native one is exported to a new temp folder on every run)
    init = str(start) if start != hf_dir else None
    device = pick_device(recipe.device)
    run_cell = cell_runner(
        lambda: _classifier(start, task, replace_head=init is not None),
        train_feats,
        _evaluator(task, dev_feats, recipe.eval_batch_size, tok.pad_token_id, device),
        recipe,
        select=HEADLINE[task],
        device=device,
        pad_id=tok.pad_token_id,
        desc=task,
        save_root=out / "models" / task if save_models else None,
        tokenizer=tok,
        tensorboard=tensorboard,
    )
    settings = {"checkpoint": checkpoint, "init": init, "data": data.source, "n_train": len(train_ex)}
    cells = run_sweep(out, task, recipe, settings, run_cell, only=only)
    if only is not None:
        return None
    return write_sweep_result(
        out,
        task,
        HEADLINE[task],
        cells,
        recipe,
        checkpoint,
        init=init,
        data=data.source,
        n_train=len(train_ex),
    )


def run_glue(
    checkpoint: str | Path,
    tasks: Sequence[str] | str,
    data_dir: str | Path,
    out: str | Path,
    *,
    quick: bool = False,
    recipe: Recipe | None = None,
    init_from: str | Path | None = None,
    save_models: bool = False,
    tensorboard: str | Path | None = None,
    log: Callable[[str], None] = print,
    only: tuple[str, int, float, int] | None = None,
) -> list[BenchResult]:
    """Finetune ``checkpoint`` on ``tasks`` (names or ``"all"``) and return one ``BenchResult`` per task run.

    With ``tasks="all"``, a task without data is logged as ``skipped: no data`` instead of failing.
    ``only=(task, batch size, lr, seed)``: run just that cell, write nothing else (``benchmarks.cluster``).
    """
    from benchmarks.tasks.glue_data import parse_tasks

    skip_missing = isinstance(tasks, str) and tasks.strip() == "all"
    names = parse_tasks(tasks) if isinstance(tasks, str) else parse_tasks(",".join(tasks))
    recipe = recipe or glue_recipe()
    recipe = quick_variant(recipe) if quick else recipe
    init_dir = resolve_init_from(init_from)
    out = Path(out)
    results = []
    with as_hf_folder(checkpoint) as hf_dir:
        for task in names if only is None else [only[0]]:
            try:
                data = load_glue(task, data_dir)
            except MissingData as e:
                if not skip_missing:
                    raise
                log(f"{task}: skipped: no data ({e})")
                continue
            result = run_task(
                task,
                data,
                hf_dir,
                str(checkpoint),
                out,
                recipe,
                init_dir=init_dir,
                save_models=save_models,
                tensorboard=Path(tensorboard) if tensorboard else None,
                only=None if only is None else only[1:],
            )
            if result is None:
                continue
            results.append(result)
            log(
                f"{task}: {results[-1].metric} median {results[-1].median:.4f} over seeds {results[-1].seeds}"
            )
    return results
