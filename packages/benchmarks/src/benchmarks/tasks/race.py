"""``bench race``: four-way multiple choice on RACE, as the paper set it up (§5.3).

Each candidate answer is joined to its question (filling a ``_`` blank when the question has one), that
question+answer is cut to 128 tokens, and the passage is cut so ``<s> passage </s></s> question+answer </s>``
fits 512 tokens; a linear layer over each candidate's ``<s>`` vector scores it and a softmax over the four picks
the answer. The best epoch is chosen on dev accuracy; accuracy on test is reported for middle, high and all.
Data: RACE's released layout (``{train,dev,test}/{middle,high}/*.txt``, one JSON per passage) or the Hub.

Usage: ``run_race("ckpt/", "RACE/", "out/", quick=True)`` -> ``BenchResult(task="race", metric="acc")``
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import BenchError
from benchmarks.hf_checkpoint import as_hf_folder, fit_recipe
from benchmarks.results import BenchResult
from benchmarks.sweep import ChoiceRecipe, race_recipe, run_sweep, write_sweep_result
from benchmarks.sweep import quick as quick_variant
from benchmarks.tasks.glue_data import MissingData

LEVELS = ("middle", "high")
ANSWERS = ("A", "B", "C", "D")
SPLITS = {"train": "train", "dev": "validation", "test": "test"}  # folder name -> Hub split
HUB_DATASET = "ehovy/race"


@dataclass(frozen=True)
class RaceExample:
    level: str
    article: str
    question: str
    options: tuple[str, ...]
    label: int


def read_race_dir(root: Path, split: str) -> list[RaceExample]:
    """All questions of ``root/split/{middle,high}/*.txt``; ``MissingData`` when the split is absent."""
    out = []
    for level in LEVELS:
        folder = root / split / level
        if not folder.is_dir():
            raise MissingData(f"race: no data: {folder} is missing")
        for f in sorted(folder.glob("*.txt")):
            try:
                doc = json.loads(f.read_text(encoding="utf-8"))
                qs = zip(doc["questions"], doc["options"], doc["answers"], strict=True)
                out += [
                    RaceExample(level, doc["article"], q, tuple(o), _answer(f, i, o, a))
                    for i, (q, o, a) in enumerate(qs)
                ]
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
                raise BenchError(f"{f} is not a RACE file: {type(e).__name__}: {e}") from None
    if not out:
        raise MissingData(f"race: no data: no questions under {root / split}")
    return out


def _answer(f: Path, i: int, options: list[str], letter: str) -> int:
    """The index of answer ``letter`` (A-D) among a question's four options; anything else is refused."""
    if not isinstance(options, list) or len(options) != len(ANSWERS):
        raise BenchError(f"{f}: question {i + 1} does not have {len(ANSWERS)} options: {options!r:.80}")
    if letter not in ANSWERS:
        raise BenchError(f"{f}: question {i + 1} has answer {letter!r}, expected one of {', '.join(ANSWERS)}")
    return ANSWERS.index(letter)


def race_from_hub(level: str, rows: Any) -> list[RaceExample]:
    """Convert rows of ``ehovy/race`` (article, question, options, answer letter) to examples."""
    return [
        RaceExample(level, r["article"], r["question"], tuple(r["options"]), "ABCD".index(r["answer"]))
        for r in rows
    ]


def read_race_hub(split: str) -> list[RaceExample]:
    """One split of the Hub dataset ``ehovy/race`` (both levels), offline-aware like the GLUE loader."""
    from benchmarks.tasks.glue_data import hub_error

    out = []
    for level in LEVELS:
        try:
            import datasets

            ds = datasets.load_dataset(HUB_DATASET, level, split=SPLITS[split])
        except Exception as e:
            raise hub_error(f"{HUB_DATASET}/{level}", e) from None
        out += race_from_hub(level, ds)
    return out


def load_race(data: str | Path) -> dict[str, list[RaceExample]]:
    """``{"train", "dev", "test": examples}`` from a RACE folder, or the Hub when ``data == "hub"``."""
    if str(data) == "hub":
        return {s: read_race_hub(s) for s in SPLITS}
    if not Path(data).is_dir():
        raise BenchError(f"RACE data folder {data} does not exist")
    return {s: read_race_dir(Path(data), s) for s in SPLITS}


def qa_text(question: str, option: str) -> str:
    """Question joined with a candidate: fill the cloze blank ``_`` when there is one."""
    return question.replace("_", option) if "_" in question else f"{question} {option}"


def encode(tok: Any, ex: RaceExample, max_len: int, max_qa: int) -> dict[str, Any]:
    """Four ``<s> passage </s></s> q+a </s>`` rows: q+a cut to ``max_qa`` tokens, the passage to fit ``max_len``."""
    article = tok(ex.article, add_special_tokens=False)["input_ids"]
    rows = []
    for opt in ex.options:
        qa = tok(qa_text(ex.question, opt), add_special_tokens=False)["input_ids"][: min(max_qa, max_len - 5)]
        room = max_len - len(qa) - 4  # <s>, </s></s>, </s>
        rows.append(
            [tok.cls_token_id, *article[:room], tok.sep_token_id, tok.sep_token_id, *qa, tok.sep_token_id]
        )
    return {"input_ids": rows, "attention_mask": [[1] * len(r) for r in rows], "labels": ex.label}


def _subsample(examples: list[RaceExample], n: int | None) -> list[RaceExample]:
    """A fixed random subset with both levels represented equally (quick runs report both accuracies)."""
    if n is None or n >= len(examples):
        return examples
    rng = random.Random(0)
    out = []
    for lvl in LEVELS:
        pool = [e for e in examples if e.level == lvl]
        out += rng.sample(pool, min(max(n // 2, 1), len(pool)))
    return out


def _evaluator(splits: dict[str, tuple[list[RaceExample], list[dict]]], bs: int, pad_id: int, device: str):
    from benchmarks.finetune import batches

    def evaluate(model) -> dict[str, float]:
        out = {}
        for prefix, (examples, feats) in splits.items():
            preds = []
            for batch in batches(feats, bs, pad_id):
                logits = model(
                    input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)
                ).logits
                preds += logits.argmax(-1).tolist()
            right = [p == e.label for p, e in zip(preds, examples, strict=True)]
            out[f"{prefix}acc"] = sum(right) / len(right)
            for lvl in LEVELS:
                sel = [r for r, e in zip(right, examples, strict=True) if e.level == lvl]
                out[f"{prefix}acc_{lvl}"] = sum(sel) / len(sel) if sel else float("nan")
        return out

    return evaluate


def run_race(
    checkpoint: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    quick: bool = False,
    recipe: ChoiceRecipe | None = None,
    tensorboard: str | Path | None = None,
    only: tuple[int, float, int] | None = None,
) -> BenchResult | None:
    """Finetune ``checkpoint`` on RACE and write ``out/race.json`` (test accuracy at the best dev epoch);
    ``only=(batch size, lr, seed)``: run just that cell, write nothing else (``benchmarks.cluster``)."""
    recipe = recipe or race_recipe()
    recipe = quick_variant(recipe) if quick else recipe
    sets = load_race(data)  # before the heavy imports: a data mistake is reported at once

    from transformers import AutoModelForMultipleChoice, AutoTokenizer

    from benchmarks.finetune import cell_runner, pick_device

    train_ex = _subsample(sets["train"], recipe.max_train_examples)
    with as_hf_folder(checkpoint) as hf_dir:
        recipe = fit_recipe(recipe, hf_dir)
        tok = AutoTokenizer.from_pretrained(hf_dir)
        enc = lambda exs: [encode(tok, e, recipe.max_seq_len, recipe.max_qa_len) for e in exs]  # noqa: E731
        feats = enc(train_ex)
        evals = {}
        for prefix, split in (("dev_", "dev"), ("", "test")):
            exs = _subsample(sets[split], recipe.max_eval_examples)
            evals[prefix] = (exs, enc(exs))
        device = pick_device(recipe.device)
        evaluate = _evaluator(evals, recipe.eval_batch_size, tok.pad_token_id, device)

        run_cell = cell_runner(
            lambda: AutoModelForMultipleChoice.from_pretrained(hf_dir),
            feats,
            evaluate,
            recipe,
            select="dev_acc",
            device=device,
            pad_id=tok.pad_token_id,
            desc="race",
            tensorboard=Path(tensorboard) if tensorboard else None,
        )
        settings = {"checkpoint": str(checkpoint), "data": str(data), "n_train": len(train_ex)}
        cells = run_sweep(Path(out), "race", recipe, settings, run_cell, only=only)
    if only is not None:
        return None
    result = write_sweep_result(
        Path(out),
        "race",
        "acc",
        cells,
        recipe,
        str(checkpoint),
        data=str(data),
        n_train=len(train_ex),
        n_test=len(evals[""][0]),
    )
    print(f"race: test acc median {result.median:.4f} over seeds {result.seeds}")
    return result
