"""``bench wsc``: WSC273 as zero-shot masked-LM candidate ranking (Trinh & Le 2018; Kocijan et al. 2019).

The paper (§5.1) scores WNLI through the WSC formulation: rank the two candidate referents of the pronoun. A
pretrained masked LM does this with no finetuning and no extra data: substitute each candidate for the
pronoun, mask the candidate's tokens (all at once) and score the candidate by the mean log-probability the
model gives its own tokens at the masked positions (Kocijan et al.'s length normalisation); the higher score
is the prediction. Possessive pronouns (his/its/their) take the candidate + "'s"; a candidate starting with a
determiner is lower-cased when it does not start the sentence. The score is reported beside plain WNLI pair
classification (``bench glue --tasks wnli``) as ``wsc273.json`` (``bench report`` shows both).

Data: the standard ``WSCollection.xml`` (285 schemas; the first 273 are WSC273), e.g. ``../shared/data/wsc``.

Usage: ``run_wsc("ckpt/", "../shared/data/wsc", "out/")`` -> ``BenchResult(task="wsc273", metric="acc", ...)``
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import BenchError
from benchmarks.results import BenchResult, write_result

WSC273 = 273
POSSESSIVE = {"his", "its", "their"}
DETERMINERS = {"The", "A", "An"}


@dataclass(frozen=True)
class WscItem:
    """One schema: text before and after the pronoun, the pronoun, two candidates, the right one's index."""

    before: str
    pronoun: str
    after: str
    candidates: tuple[str, str]
    label: int


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def load_wsc(path: str | Path, limit: int = WSC273) -> list[WscItem]:
    """The first ``limit`` schemas of a ``WSCollection.xml`` (a file or the folder holding it)."""
    p = Path(path)
    p = p / "WSCollection.xml" if p.is_dir() else p
    if not p.is_file():
        raise BenchError(f"no WSC data at {path} (expected WSCollection.xml)")
    try:
        root = ET.fromstring(p.read_bytes())
    except ET.ParseError as e:
        raise BenchError(f"{p}: not a WSC XML file ({e})") from None
    items = []
    for schema in root.iter("schema"):
        text = schema.find("text")
        answers = [_clean(a.text) for a in schema.iter("answer")]
        correct = _clean(schema.findtext("correctAnswer")).rstrip(".")
        if text is None or len(answers) != 2 or correct not in ("A", "B"):
            raise BenchError(f"{p}: schema {len(items) + 1} is malformed")
        items.append(
            WscItem(
                before=_clean(text.findtext("txt1")),
                pronoun=_clean(text.findtext("pron")),
                after=_clean(text.findtext("txt2")),
                candidates=(answers[0], answers[1]),
                label=0 if correct == "A" else 1,
            )
        )
    if len(items) < limit:
        raise BenchError(f"{p}: {len(items)} schemas, expected at least {limit}")
    return items[:limit]


def substitute(item: WscItem, candidate: str) -> tuple[str, int, int]:
    """The sentence with ``candidate`` in place of the pronoun, and the candidate's character span."""
    words = candidate.split()
    if item.before and words and words[0] in DETERMINERS:
        words[0] = words[0].lower()
    filler = " ".join(words) + ("'s" if item.pronoun.lower() in POSSESSIVE else "")
    head = item.before + " " if item.before else ""
    after = item.after if item.after[:1] in (".", ",", ";", "!", "?", "'") else " " + item.after
    text = head + filler + (after if item.after else "")
    return text, len(head), len(head) + len(filler)


def candidate_score(model: Any, tok: Any, text: str, span: tuple[int, int], device: str = "cpu") -> float:
    """Mean log-probability of the tokens inside ``span`` with all of them masked at once."""
    import torch

    enc = tok(text, return_offsets_mapping=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping")[0].tolist()
    positions = [i for i, (a, b) in enumerate(offsets) if b > a and a < span[1] and b > span[0]]
    if not positions:
        raise BenchError(f"candidate span {span} of {text!r} has no tokens")
    ids = enc["input_ids"].clone()
    target = ids[0, positions].clone()
    ids[0, positions] = tok.mask_token_id
    with torch.no_grad():
        logits = model(input_ids=ids.to(device), attention_mask=enc["attention_mask"].to(device)).logits
    logp = logits[0, positions].float().log_softmax(-1)
    return float(logp.gather(1, target.to(logp.device)[:, None]).mean())


def predict(model: Any, tok: Any, item: WscItem, device: str = "cpu") -> tuple[int, list[float]]:
    """(index of the better candidate, both scores)."""
    scores = []
    for cand in item.candidates:
        text, start, end = substitute(item, cand)
        scores.append(candidate_score(model, tok, text, (start, end), device))
    return int(scores[1] > scores[0]), scores


def run_wsc(
    checkpoint: str | Path, data: str | Path, out: str | Path, *, device: str = "auto"
) -> BenchResult:
    """Zero-shot WSC273 accuracy of ``checkpoint``'s masked LM; writes ``out/wsc273.json``."""
    from tqdm.auto import tqdm
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from benchmarks.finetune import pick_device
    from benchmarks.hf_checkpoint import as_hf_folder

    items = load_wsc(data)
    device = pick_device(device)
    with as_hf_folder(checkpoint) as hf_dir:
        tok = AutoTokenizer.from_pretrained(hf_dir)
        model = AutoModelForMaskedLM.from_pretrained(hf_dir).to(device).eval()
        preds = [predict(model, tok, it, device)[0] for it in tqdm(items, desc="wsc273", unit="schema")]
    acc = sum(p == it.label for p, it in zip(preds, items, strict=True)) / len(items)
    result = BenchResult(
        task="wsc273",
        metric="acc",
        seeds=[0],
        per_seed=[acc],
        metrics=[{"acc": acc}],
        config={
            "method": "zero-shot MLM candidate scoring (mean log-prob)",
            "data": str(data),
            "n": len(items),
        },
        checkpoint=str(checkpoint),
    )
    write_result(Path(out) / "wsc273.json", result)
    print(f"wsc273: zero-shot acc {acc:.4f} on {len(items)} schemas")
    return result
