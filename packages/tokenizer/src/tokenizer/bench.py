"""``tok bench``: side-by-side speed of the project's tokenizer paths against HF, on the same text and cores.

One run measures, in interleaved rounds (so load from other processes hits every contender alike):
- encode MB/s: HF ``tokenizers`` ``encode_batch`` (Rust, rayon threads) vs the project's ``encode_batch``
  (tiktoken threads + id mapping, lists and numpy arrays) vs raw tiktoken (ranks, no mapping; 1 and N threads),
  checking that the project's ids equal HF's on every document;
- ``tok encode`` end to end (read corpus shards, split sentences, encode, write token shards, N processes) vs the
  project's raw encode rate on the same text;
- ``tok train`` (reading the inputs) vs HF's trainer fed the same texts from memory, and whether their merges agree.
The process is pinned to ``workers`` cores and HF's thread pool sized to match. Figures are medians over rounds.

Usage: ``tok bench --max-bytes 16000000 --workers 2 --output bench.json``
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tokenizer.bpe import Tokenizer, TokenizerError
from tokenizer.inputs import sample_documents


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    """What ``tok bench`` measures; ``None`` tokenizer/inputs mean RoBERTa's files and english_text."""

    tokenizer: str | None = None
    inputs: tuple[str, ...] | None = None
    max_bytes: int = 16 << 20
    train_bytes: int = 4 << 20
    train_vocab: int = 50_265
    workers: int = 0
    rounds: int = 3


def _pin(workers: int) -> int:
    cores = sorted(os.sched_getaffinity(0))
    n = min(workers or len(cores), len(cores))
    os.sched_setaffinity(0, cores[:n])
    os.environ["RAYON_NUM_THREADS"] = str(n)  # HF tokenizers' pool, read when it first starts
    return n


def _defaults(cfg: BenchConfig, tmp: Path) -> tuple[Tokenizer, tuple[str, ...]]:
    from corpus.sample_data import sample_data_dir

    root = sample_data_dir()
    if (cfg.tokenizer is None or cfg.inputs is None) and root is None:
        raise TokenizerError(
            "no sample data found (set ROBERTA_SAMPLE_DATA) and no --tokenizer/--input given"
        )
    if cfg.tokenizer is None:
        from tokenizer.gpt2 import build_roberta_dir

        tok = build_roberta_dir(root / "bpe_gpt2_roberta", tmp / "roberta")  # type: ignore[operator]
    else:
        tok = Tokenizer.from_dir(cfg.tokenizer)
    inputs = cfg.inputs or (str(root / "english_text" / "*.zip"),)  # type: ignore[operator]
    return tok, inputs


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _encode_rounds(
    tok: Tokenizer, texts: list[str], n: int, rounds: int
) -> tuple[dict[str, list[float]], bool]:
    """MB/s of each encoder per round, and whether the project's ids equal HF's on every text."""
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    hf = tok._plain_hf
    fast = tok._fast
    contenders: dict[str, Callable[[], Any]] = {
        "hf_encode_batch": lambda: [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)],
        "project_encode_batch": lambda: tok.encode_batch(texts, num_threads=n),
    }
    if fast is not None:
        contenders["project_encode_batch_arrays"] = lambda: fast.encode_batch_arrays(texts, n)
        contenders["tiktoken_raw_1thread"] = lambda: fast.encoding.encode_ordinary_batch(texts, num_threads=1)
        contenders[f"tiktoken_raw_{n}threads"] = lambda: fast.encoding.encode_ordinary_batch(
            texts, num_threads=n
        )
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    identical = True
    for _ in range(rounds):
        outs = {}
        for name, fn in contenders.items():
            seconds, outs[name] = _time(fn)
            rates[name].append(mb / seconds)
        identical &= outs["project_encode_batch"] == outs["hf_encode_batch"]
    return rates, identical


def _e2e_rounds(tok_dir: str, docs: list[tuple[str, str]], n: int, rounds: int, tmp: Path) -> list[float]:
    """``tok encode`` MB/s (corpus shards in, token shards out, ``n`` workers) per round."""
    from corpus.formats import write_shard

    from tokenizer.job import EncodeConfig, run_encode

    corpus = tmp / "corpus"
    per = max(1, len(docs) // 4)
    for i in range(0, len(docs), per):
        part = [
            {"id": k, "text": t, "url": k, "date": "2019-01-01", "source": "bench"}
            for k, t in docs[i : i + per]
        ]
        write_shard(corpus / f"{i // per:05d}.jsonl.zst", part)
    total = sum(len(t.encode("utf-8")) for _, t in docs)
    rates = []
    for r in range(rounds):
        cfg = EncodeConfig(
            tokenizer=tok_dir,
            inputs=(str(corpus),),
            output=str(tmp / f"shards{r}"),
            workers=n,
            unit_bytes=max(1 << 20, total // (2 * n)),
        )
        seconds, _ = _time(lambda cfg=cfg: run_encode(cfg, progress=False))
        rates.append(total / 1e6 / seconds)
    return rates


def _train_compare(inputs: tuple[str, ...], cfg: BenchConfig, tmp: Path) -> dict[str, Any]:
    from tokenizer.train import TrainConfig, _byte_bpe_hf, _model_tables, train_tokenizer

    tcfg = TrainConfig(
        inputs=inputs, output=str(tmp / "trained"), vocab_size=cfg.train_vocab, max_bytes=cfg.train_bytes
    )
    ours_s, ours = _time(lambda: train_tokenizer(tcfg))
    texts = [t for _, t in sample_documents(inputs, cfg.train_bytes)]
    hf, trainer = _byte_bpe_hf(tcfg)
    hf_s, _ = _time(lambda: hf.train_from_iterator(texts, trainer=trainer))
    _, hf_merges = _model_tables(hf)
    return {
        "train_mb": round(sum(len(t.encode()) for t in texts) / 1e6, 2),
        "vocab_size": ours.vocab_size,
        "project_tok_train_s": round(ours_s, 2),
        "hf_trainer_s": round(hf_s, 2),
        "ratio_hf_over_project": round(hf_s / ours_s, 3),
        "same_merges": ours.merges == hf_merges,
    }


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Run every comparison; return the figures (MB/s medians, ratios, identity checks)."""
    n = _pin(cfg.workers)
    with tempfile.TemporaryDirectory(prefix="tok-bench-") as tmpname:
        tmp = Path(tmpname)
        tok, inputs = _defaults(cfg, tmp)
        tok_dir = cfg.tokenizer or str(tmp / "roberta")
        docs = list(sample_documents(inputs, cfg.max_bytes))
        texts = [t for _, t in docs]
        rates, identical = _encode_rounds(tok, texts, n, cfg.rounds)
        e2e = _e2e_rounds(tok_dir, docs, n, cfg.rounds, tmp)
        train = _train_compare(inputs, cfg, tmp) if cfg.train_bytes > 0 else None
    med = {k: round(statistics.median(v), 2) for k, v in rates.items()}
    raw_key = (
        "project_encode_batch_arrays" if "project_encode_batch_arrays" in rates else "project_encode_batch"
    )
    per_round = [p / h for p, h in zip(rates["project_encode_batch"], rates["hf_encode_batch"], strict=True)]
    e2e_ratio = [e / r for e, r in zip(e2e, rates[raw_key], strict=True)]
    return {
        "config": {**asdict(cfg), "inputs": list(inputs), "cores": n},
        "encode_mb": round(sum(map(len, texts)) / 1e6, 2),
        "docs": len(texts),
        "encode_mb_per_s": med,
        "ids_identical_to_hf": identical,
        "speedup_vs_hf_encode_batch": round(statistics.median(per_round), 2),
        "tok_encode_mb_per_s": round(statistics.median(e2e), 2),
        "tok_encode_over_raw_encode": round(statistics.median(e2e_ratio), 3),
        "train": train,
    }


def format_report(r: dict[str, Any]) -> str:
    """Human summary of ``run_bench``'s figures."""
    lines = [
        f"encode: {r['encode_mb']} MB, {r['docs']} docs, {r['config']['cores']} cores, "
        f"ids identical to HF: {r['ids_identical_to_hf']}"
    ]
    lines += [f"  {k:32s} {v:8.2f} MB/s" for k, v in r["encode_mb_per_s"].items()]
    lines.append(
        f"  project encode_batch / HF encode_batch: {r['speedup_vs_hf_encode_batch']:.2f}x (target >= 2x)"
    )
    lines.append(
        f"tok encode end to end: {r['tok_encode_mb_per_s']:.2f} MB/s = "
        f"{100 * r['tok_encode_over_raw_encode']:.0f}% of raw encode (target >= 80%)"
    )
    if r["train"]:
        t = r["train"]
        lines.append(
            f"train {t['train_mb']} MB to {t['vocab_size']} ids: tok train {t['project_tok_train_s']}s, "
            f"HF trainer {t['hf_trainer_s']}s (HF/tok = {t['ratio_hf_over_project']}), "
            f"same merges: {t['same_merges']}"
        )
    return "\n".join(lines)
