"""``bench squad``: span prediction on SQuAD v1.1 / v2.0 with the paper's recipe, scored by the official logic.

The model is the pretrained encoder with a linear start/end layer over every token; for v2.0 a classifier over
``<s>`` predicts answerability and is trained jointly by summing its loss with the span loss (paper §5.2), and
a span is predicted only when it says answerable. Each epoch is scored on dev with the official EM/F1 and the
best epoch is kept; seeds are summarised by their median as for GLUE.

Usage: ``run_squad("ckpt/", "2.0", "train-v2.0.json", "dev-v2.0.json", "out/", quick=True)``
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn

from benchmarks.errors import BenchError
from benchmarks.hf_checkpoint import as_hf_folder, fit_recipe
from benchmarks.results import BenchResult
from benchmarks.sweep import SpanRecipe, run_sweep, squad_recipe, write_sweep_result
from benchmarks.sweep import quick as quick_variant
from benchmarks.tasks.squad_data import (
    QAExample,
    build_features,
    decode_predictions,
    examples_of,
    read_squad_json,
)
from benchmarks.tasks.squad_eval import squad_v1_scores, squad_v2_scores


class SpanModel(nn.Module):
    """RoBERTa encoder + start/end logits per token (+ answerability logits over ``<s>`` for v2.0)."""

    def __init__(self, hf_dir: Path, answerability: bool) -> None:
        from transformers import RobertaModel

        super().__init__()
        self.roberta = RobertaModel.from_pretrained(hf_dir, add_pooling_layer=False)
        h, p = self.roberta.config.hidden_size, self.roberta.config.hidden_dropout_prob
        self.qa_outputs = nn.Linear(h, 2)
        self.answerable = (
            nn.Sequential(nn.Dropout(p), nn.Linear(h, h), nn.Tanh(), nn.Dropout(p), nn.Linear(h, 2))
            if answerability
            else None
        )

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        start_positions=None,
        end_positions=None,
        is_answerable=None,
    ) -> SimpleNamespace:
        hidden = self.roberta(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        start, end = self.qa_outputs(hidden).unbind(-1)
        pad = attention_mask == 0
        start, end = start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4)
        cls = self.answerable(hidden[:, 0]) if self.answerable is not None else None
        loss = None
        if start_positions is not None:
            ce = nn.functional.cross_entropy
            if cls is None:  # v1.1: windows without the answer point at <s>, as in BERT
                loss = (ce(start, start_positions) + ce(end, end_positions)) / 2
            else:  # v2.0: span loss on windows holding the answer, plus the answerability loss (summed)
                has = is_answerable.bool()
                span = (
                    (ce(start[has], start_positions[has]) + ce(end[has], end_positions[has])) / 2
                    if has.any()
                    else start.sum() * 0.0
                )
                loss = span + ce(cls, is_answerable)
        return SimpleNamespace(loss=loss, start_logits=start, end_logits=end, cls_logits=cls)


def _subsample(examples: list[QAExample], n: int | None) -> list[QAExample]:
    return examples if n is None or n >= len(examples) else random.Random(0).sample(examples, n)


def _evaluator(
    version: str,
    dev_data: list,
    dev_ex: list[QAExample],
    feats,
    metas,
    recipe: SpanRecipe,
    pad_id: int,
    device: str,
):
    from benchmarks.finetune import batches

    qids = {e.qid for e in dev_ex}  # scoring runs on the (possibly subsampled) questions we predicted
    scored = [
        {**a, "paragraphs": [{**p, "qas": [q for q in p["qas"] if q["id"] in qids]} for p in a["paragraphs"]]}
        for a in dev_data
    ]

    def evaluate(model: SpanModel) -> dict[str, float]:
        starts, ends, p_ans = [], [], []
        for batch in batches(feats, recipe.eval_batch_size, pad_id):
            out = model(
                input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)
            )
            starts += list(out.start_logits.float().cpu().numpy())
            ends += list(out.end_logits.float().cpu().numpy())
            if out.cls_logits is not None:
                p_ans += out.cls_logits.float().softmax(-1)[:, 1].cpu().tolist()
        preds = decode_predictions(
            dev_ex,
            metas,
            starts,
            ends,
            p_ans if version == "2.0" else None,
            max_answer_len=recipe.max_answer_len,
            na_threshold=recipe.na_threshold,
        )
        if version == "1.1":
            s = squad_v1_scores(scored, preds)
            return {"em": s["exact_match"], "f1": s["f1"]}
        s = squad_v2_scores(scored, preds)
        return {
            ("em" if k == "exact" else k.replace("exact", "em")): float(v)
            for k, v in s.items()
            if not k.endswith("total")
        }

    return evaluate


def _recipe(recipe: SpanRecipe | None, quick: bool) -> SpanRecipe:
    """The SQuAD recipe to run (``quick``: the smoke variant with short windows); its windows must fit."""
    recipe = recipe or squad_recipe()
    if quick:
        recipe = dataclasses.replace(quick_variant(recipe, train=24, dev=24), doc_stride=32, max_query_len=32)
    if recipe.doc_stride >= recipe.max_seq_len - recipe.max_query_len - 4:
        raise BenchError(
            f"doc_stride {recipe.doc_stride} leaves no room in {recipe.max_seq_len}-token windows"
        )
    return recipe


def _examples(train_file: Path, dev_file: Path, recipe: SpanRecipe) -> tuple[list, list, list]:
    """Training questions, the dev file's data (for the official scorer) and dev questions, capped."""
    train_ex = _subsample(examples_of(read_squad_json(train_file), train_file), recipe.max_train_examples)
    dev_data = read_squad_json(dev_file)
    dev_ex = _subsample(examples_of(dev_data, dev_file), recipe.max_eval_examples)
    if not train_ex or not dev_ex:
        raise BenchError("SQuAD train or dev file has no questions")
    return train_ex, dev_data, dev_ex


def check_squad(
    version: str, train_file: str | Path, dev_file: str | Path, recipe: SpanRecipe | None, quick: bool
) -> tuple[SpanRecipe, list, list, list]:
    """The recipe to run and the questions (``_examples``); a ``BenchError`` for a bad version, recipe or file."""
    if version not in ("1.1", "2.0"):
        raise BenchError(f"--version must be 1.1 or 2.0, got {version!r}")
    recipe = _recipe(recipe, quick)
    return recipe, *_examples(Path(train_file), Path(dev_file), recipe)


def run_squad(
    checkpoint: str | Path,
    version: str,
    train_file: str | Path,
    dev_file: str | Path,
    out: str | Path,
    *,
    quick: bool = False,
    recipe: SpanRecipe | None = None,
    tensorboard: str | Path | None = None,
    only: tuple[int, float, int] | None = None,
) -> BenchResult | None:
    """Finetune ``checkpoint`` on SQuAD ``version`` and write ``out/squad{version}.json`` (headline F1);
    ``only=(batch size, lr, seed)``: run just that cell, write nothing else (``benchmarks.cluster``)."""
    from transformers import AutoTokenizer

    from benchmarks.finetune import cell_runner, pick_device

    recipe, train_ex, dev_data, dev_ex = check_squad(version, train_file, dev_file, recipe, quick)
    v2 = version == "2.0"
    task, out = f"squad{version}", Path(out)
    with as_hf_folder(checkpoint) as hf_dir:
        recipe = fit_recipe(recipe, hf_dir)
        if recipe.doc_stride >= recipe.max_seq_len - recipe.max_query_len - 4:
            raise BenchError(
                f"doc_stride {recipe.doc_stride} leaves no room in {recipe.max_seq_len}-token windows "
                f"after a {recipe.max_query_len}-token question"
            )
        tok = AutoTokenizer.from_pretrained(hf_dir)
        feats, _ = build_features(tok, train_ex, recipe, train=True, answerability=v2)
        dev_feats, metas = build_features(tok, dev_ex, recipe, train=False)
        device = pick_device(recipe.device)
        evaluate = _evaluator(version, dev_data, dev_ex, dev_feats, metas, recipe, tok.pad_token_id, device)

        run_cell = cell_runner(
            lambda: SpanModel(hf_dir, answerability=v2),
            feats,
            evaluate,
            recipe,
            select="f1",
            device=device,
            pad_id=tok.pad_token_id,
            desc=task,
            tensorboard=Path(tensorboard) if tensorboard else None,
        )
        settings = {
            "checkpoint": str(checkpoint),
            "train": str(train_file),
            "dev": str(dev_file),
            "n_train": len(train_ex),
            "n_dev": len(dev_ex),
        }
        cells = run_sweep(out, task, recipe, settings, run_cell, only=only)
    if only is not None:
        return None
    result = write_sweep_result(
        out,
        task,
        "f1",
        cells,
        recipe,
        str(checkpoint),
        n_train=len(train_ex),
        n_dev=len(dev_ex),
        windows_train=len(feats),
        train=str(train_file),
        dev=str(dev_file),
    )
    print(f"{task}: f1 median {result.median:.2f} over seeds {result.seeds}")
    return result
