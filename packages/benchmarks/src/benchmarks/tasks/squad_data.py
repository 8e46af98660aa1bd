"""SQuAD data: read the official JSON (or a .zip of it), cut contexts into windows, and decode span predictions.

A context longer than the window is split into overlapping windows (``doc_stride`` tokens of overlap, BERT's
scheme). A training window whose context part does not contain the whole answer targets ``<s>`` (position 0)
and, for v2.0, is labelled unanswerable; at prediction time each question takes its best span over its windows.

Usage: ``feats, metas = build_features(tok, examples, recipe, train=False)``
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.errors import BenchError


@dataclass(frozen=True)
class QAExample:
    """One question: its context, gold answers (text, char start) and whether it is unanswerable."""

    qid: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]
    impossible: bool


def read_squad_json(path: Path) -> list[dict[str, Any]]:
    """The ``data`` list of a SQuAD JSON file, or of the single JSON inside a .zip."""
    if not Path(path).is_file():
        raise BenchError(f"SQuAD file {path} does not exist")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.endswith(".json") and not n.startswith("__MACOSX")]
                if len(names) != 1:
                    raise BenchError(f"{path}: expected one .json inside the zip, found {names}")
                data = json.loads(z.read(names[0]))
        else:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise KeyError("data")
        return data["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, zipfile.BadZipFile) as e:
        raise BenchError(f"{path} is not a SQuAD JSON file: {type(e).__name__}: {e}") from None


def examples_of(dataset: list[dict[str, Any]], path: str | Path = "SQuAD data") -> list[QAExample]:
    """Flatten articles -> paragraphs -> questions; a missing or mistyped field is one ``BenchError`` naming
    where it is (``path``, article, paragraph, question)."""
    out = []
    where = str(path)
    try:
        for i, article in enumerate(dataset):
            where = f"{path}: article {i}"
            for j, p in enumerate(article["paragraphs"]):
                where = f"{path}: article {i}, paragraph {j}"
                context = str(p["context"])
                for k, qa in enumerate(p["qas"]):
                    where = f"{path}: article {i}, paragraph {j}, question {k}"
                    answers = tuple((str(a["text"]), int(a["answer_start"])) for a in qa.get("answers", []))
                    impossible = bool(qa.get("is_impossible", not answers))
                    out.append(QAExample(str(qa["id"]), str(qa["question"]), context, answers, impossible))
    except KeyError as e:
        raise BenchError(f"{where}: missing field {e} (not a SQuAD JSON file)") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise BenchError(f"{where}: malformed SQuAD entry: {type(e).__name__}: {e}") from None
    return out


def _cut_question(tok: Any, question: str, max_tokens: int) -> str:
    """Keep the question's first ``max_tokens`` BPE tokens (BERT's max_query_length), cut at a char offset."""
    enc = tok(question, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    return question if len(offsets) <= max_tokens else question[: offsets[max_tokens - 1][1]]


def _token_span(offsets: list, seq_ids: list, start_char: int, end_char: int) -> tuple[int, int] | None:
    """Token (start, end) of a char span inside this window's context, or None if not fully inside."""
    ctx = [i for i, s in enumerate(seq_ids) if s == 1]
    if not ctx or offsets[ctx[0]][0] > start_char or offsets[ctx[-1]][1] < end_char:
        return None
    start = next(i for i in ctx if offsets[i][1] > start_char)
    end = next(i for i in reversed(ctx) if offsets[i][0] < end_char)
    return start, end


def build_features(
    tok: Any, examples: list[QAExample], recipe: Any, *, train: bool, answerability: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Windows of every example: model inputs (with targets when ``train``) and per-window decoding info."""
    questions = [_cut_question(tok, e.question, recipe.max_query_len) for e in examples]
    enc = tok(
        questions,
        [e.context for e in examples],
        truncation="only_second",
        max_length=recipe.max_seq_len,
        stride=recipe.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    feats, metas = [], []
    for w, ex_idx in enumerate(enc["overflow_to_sample_mapping"]):
        ex = examples[ex_idx]
        seq_ids = enc.sequence_ids(w)
        offsets = enc["offset_mapping"][w]
        feat: dict[str, Any] = {"input_ids": enc["input_ids"][w], "attention_mask": enc["attention_mask"][w]}
        if train:
            span = None
            if not ex.impossible and ex.answers:
                text, start = ex.answers[0]
                span = _token_span(offsets, seq_ids, start, start + len(text))
            feat["start_positions"], feat["end_positions"] = span if span else (0, 0)
            if answerability:
                feat["is_answerable"] = int(span is not None)
        feats.append(feat)
        metas.append(
            {
                "example": ex_idx,
                "offsets": [o if s == 1 else None for o, s in zip(offsets, seq_ids, strict=True)],
            }
        )
    return feats, metas


def best_span(
    start: np.ndarray, end: np.ndarray, offsets: list, n_best: int, max_len: int
) -> tuple[float, int, int] | None:
    """Highest start+end logit span with both ends in the context, end >= start, at most ``max_len`` tokens."""
    best = None
    for s in np.argsort(start)[::-1][:n_best]:
        for e in np.argsort(end)[::-1][:n_best]:
            if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                continue
            if e < s or e - s + 1 > max_len:
                continue
            score = float(start[s] + end[e])
            if best is None or score > best[0]:
                best = (score, int(s), int(e))
    return best


def decode_predictions(
    examples: list[QAExample],
    metas: list[dict[str, Any]],
    starts: list[np.ndarray],
    ends: list[np.ndarray],
    p_answerable: list[float] | None,
    *,
    max_answer_len: int,
    na_threshold: float,
    n_best: int = 20,
) -> dict[str, str]:
    """``{qid: answer text}``: best span over a question's windows; ``""`` when v2.0 judges it unanswerable."""
    best: dict[int, tuple[float, str]] = {}
    p_ans: dict[int, float] = {}
    for i, meta in enumerate(metas):
        ex_idx = meta["example"]
        if p_answerable is not None:
            p_ans[ex_idx] = max(p_ans.get(ex_idx, 0.0), p_answerable[i])
        span = best_span(starts[i], ends[i], meta["offsets"], n_best, max_answer_len)
        if span is not None and (ex_idx not in best or span[0] > best[ex_idx][0]):
            ctx = examples[ex_idx].context
            best[ex_idx] = (span[0], ctx[meta["offsets"][span[1]][0] : meta["offsets"][span[2]][1]])
    preds = {}
    for idx, ex in enumerate(examples):
        answerable = p_answerable is None or p_ans.get(idx, 0.0) >= na_threshold
        preds[ex.qid] = best[idx][1] if (answerable and idx in best) else ""
    return preds
