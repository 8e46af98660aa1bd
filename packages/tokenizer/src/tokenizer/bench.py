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
import resource
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

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.max_bytes < 1 or self.train_bytes < 0 or self.workers < 0:
            raise TokenizerError("--rounds and --max-bytes must be >= 1, --train-bytes and --workers >= 0")


def _pin(workers: int) -> int:
    cores = sorted(os.sched_getaffinity(0))
    n = min(workers or len(cores), len(cores))
    os.sched_setaffinity(0, cores[:n])
    os.environ["RAYON_NUM_THREADS"] = str(n)  # HF tokenizers' pool, read when it first starts
    return n


def _defaults(cfg: BenchConfig, tmp: Path) -> tuple[Tokenizer, tuple[str, ...]]:
    from common import sample_data_dir

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


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (``tok encode``'s workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _contenders(tok: Tokenizer, texts: list[str], n: int) -> dict[str, Callable[[], Any]]:
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
    return contenders


def _write_corpus(docs: list[tuple[str, str]], folder: Path) -> Path:
    """The benchmark documents as 4 corpus shards (zstd JSONL), the normal input of ``tok encode``."""
    from corpus.formats import write_shard

    per = max(1, len(docs) // 4)
    for i in range(0, len(docs), per):
        part = [
            {"id": k, "text": t, "url": k, "date": "2019-01-01", "source": "bench"}
            for k, t in docs[i : i + per]
        ]
        write_shard(folder / f"{i // per:05d}.jsonl.zst", part)
    return folder


def _e2e(tok_dir: str, corpus: Path, out: Path, n: int, total: int) -> tuple[float, float]:
    """One ``tok encode`` run: MB/s by wall clock of the whole call, and the job's own rate after its one-time
    startup (tokenizer load and tables, ~1-3 s)."""
    from tokenizer.encode.job import EncodeConfig, run_encode

    cfg = EncodeConfig(
        tokenizer=tok_dir,
        inputs=(str(corpus),),
        output=str(out),
        workers=n,
        unit_bytes=max(1 << 20, total // (2 * n)),
    )
    seconds, stats = _time(lambda: run_encode(cfg, progress=False))
    return total / 1e6 / seconds, stats["mb_per_s_this_run"]


def _rounds(tok: Tokenizer, tok_dir: str, docs: list[tuple[str, str]], n: int, rounds: int, tmp: Path):
    """Every contender once per round, ``tok encode`` included, so load changes hit all of them alike.

    Besides MB/s by wall clock, each gets CPU seconds per MB (all threads and worker processes): on a machine
    shared with other jobs the wall clock depends on the scheduler, CPU time much less."""
    texts = [t for _, t in docs]
    total = sum(len(t.encode("utf-8")) for t in texts)
    contenders = _contenders(tok, texts, n)
    corpus = _write_corpus(docs, tmp / "corpus")
    names = [*contenders, "tok_encode_wall", "tok_encode_after_startup"]
    rates: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in [*contenders, "tok_encode_wall"]}
    identical = True
    for r in range(rounds):
        outs = {}
        for name, fn in contenders.items():
            c0 = _cpu_seconds()
            seconds, outs[name] = _time(fn)
            cpu[name].append((_cpu_seconds() - c0) / (total / 1e6))
            rates[name].append(total / 1e6 / seconds)
        identical &= outs["project_encode_batch"] == outs["hf_encode_batch"]
        del outs
        c0 = _cpu_seconds()
        wall, steady = _e2e(tok_dir, corpus, tmp / f"shards{r}", n, total)
        cpu["tok_encode_wall"].append((_cpu_seconds() - c0) / (total / 1e6))
        rates["tok_encode_wall"].append(wall)
        rates["tok_encode_after_startup"].append(steady)
    return rates, cpu, identical, total


def _train_compare(inputs: tuple[str, ...], cfg: BenchConfig, tmp: Path) -> dict[str, Any]:
    """``tok train`` (reading the inputs) vs HF's trainer fed the same texts from memory, in ``rounds``
    alternating-order rounds (medians of seconds and of the per-round ratio)."""
    from tokenizer.train_bpe import TrainConfig, byte_bpe_trainer, model_tables, train_tokenizer

    tcfg = TrainConfig(
        inputs=inputs, output=str(tmp / "trained"), vocab_size=cfg.train_vocab, max_bytes=cfg.train_bytes
    )
    texts = [t for _, t in sample_documents(inputs, cfg.train_bytes)]

    def hf_train() -> Any:
        hf, trainer = byte_bpe_trainer(tcfg)
        hf.train_from_iterator(texts, trainer=trainer)
        return hf

    ours_s, hf_s = [], []
    for r in range(cfg.rounds):
        for name in ("ours", "hf") if r % 2 == 0 else ("hf", "ours"):
            if name == "ours":
                seconds, ours = _time(lambda: train_tokenizer(tcfg))
                ours_s.append(seconds)
            else:
                seconds, hf = _time(hf_train)
                hf_s.append(seconds)
    _, hf_merges = model_tables(hf)
    return {
        "train_mb": round(sum(len(t.encode()) for t in texts) / 1e6, 2),
        "vocab_size": ours.vocab_size,
        "project_tok_train_s": round(statistics.median(ours_s), 2),
        "hf_trainer_s": round(statistics.median(hf_s), 2),
        "ratio_hf_over_project": round(
            statistics.median(h / o for h, o in zip(hf_s, ours_s, strict=True)), 3
        ),
        "same_merges": ours.merges == hf_merges,
    }


def _ratio(rates: dict[str, list[float]], a: str, b: str) -> float:
    return round(statistics.median(x / y for x, y in zip(rates[a], rates[b], strict=True)), 3)


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Run every comparison; return the figures (MB/s medians, per-round ratio medians, identity checks)."""
    cores, rayon = os.sched_getaffinity(0), os.environ.get("RAYON_NUM_THREADS")
    try:
        return _run_pinned(cfg, _pin(cfg.workers))
    finally:  # give the caller its cores back
        os.sched_setaffinity(0, cores)
        if rayon is None:
            os.environ.pop("RAYON_NUM_THREADS", None)
        else:
            os.environ["RAYON_NUM_THREADS"] = rayon


def _run_pinned(cfg: BenchConfig, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tok-bench-") as tmpname:
        tmp = Path(tmpname)
        tok, inputs = _defaults(cfg, tmp)
        tok_dir = cfg.tokenizer or str(tmp / "roberta")
        docs = list(sample_documents(inputs, cfg.max_bytes))
        rates, cpu, identical, total = _rounds(tok, tok_dir, docs, n, cfg.rounds, tmp)
        train = _train_compare(inputs, cfg, tmp) if cfg.train_bytes > 0 else None
    raw = "project_encode_batch_arrays" if "project_encode_batch_arrays" in rates else "project_encode_batch"
    return {
        "config": {**asdict(cfg), "inputs": list(inputs), "cores": n},
        "encode_mb": round(total / 1e6, 2),
        "docs": len(docs),
        "mb_per_s": {k: round(statistics.median(v), 2) for k, v in rates.items()},
        "ids_identical_to_hf": identical,
        "speedup_vs_hf_encode_batch": _ratio(rates, "project_encode_batch", "hf_encode_batch"),
        "tok_encode_over_raw_encode": _ratio(rates, "tok_encode_wall", raw),
        "tok_encode_after_startup_over_raw_encode": _ratio(rates, "tok_encode_after_startup", raw),
        "cpu_s_per_mb": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "speedup_vs_hf_cpu": _ratio(cpu, "hf_encode_batch", "project_encode_batch"),
        "tok_encode_cpu_efficiency": _ratio(cpu, raw, "tok_encode_wall"),
        "train": train,
    }


def format_report(r: dict[str, Any]) -> str:
    """Human summary of ``run_bench``'s figures."""
    lines = [
        f"encode: {r['encode_mb']} MB, {r['docs']} docs, {r['config']['cores']} cores, "
        f"{r['config']['rounds']} rounds (medians); project ids identical to HF: {r['ids_identical_to_hf']}"
    ]
    lines += [f"  {k:32s} {v:8.2f} MB/s" for k, v in r["mb_per_s"].items()]
    lines += [f"  {k:32s} {v:8.3f} CPU s/MB" for k, v in r["cpu_s_per_mb"].items()]
    lines.append(
        f"project encode_batch / HF encode_batch: {r['speedup_vs_hf_encode_batch']:.2f}x by wall clock, "
        f"{r['speedup_vs_hf_cpu']:.2f}x by CPU time (target >= 2x)"
    )
    lines.append(
        f"tok encode / raw encode: {100 * r['tok_encode_over_raw_encode']:.0f}% by wall clock, "
        f"{100 * r['tok_encode_after_startup_over_raw_encode']:.0f}% after its startup, "
        f"{100 * r['tok_encode_cpu_efficiency']:.0f}% by CPU time (target >= 80%)"
    )
    if r["train"]:
        t = r["train"]
        lines.append(
            f"train {t['train_mb']} MB to {t['vocab_size']} ids: tok train {t['project_tok_train_s']}s, "
            f"HF trainer {t['hf_trainer_s']}s (HF/tok = {t['ratio_hf_over_project']}), "
            f"same merges: {t['same_merges']}"
        )
    return "\n".join(lines)


def plot_report(r: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Bar charts of ``run_bench``'s encode MB/s and CPU s/MB, saved as a PNG next to the JSON."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, label in (
        (ax1, "mb_per_s", "MB/s (wall clock, higher is better)"),
        (ax2, "cpu_s_per_mb", "CPU s per MB (lower is better)"),
    ):
        names = list(r[key])
        ax.barh(
            names,
            [r[key][k] for k in names],
            color=["tab:red" if k.startswith("hf") else "tab:blue" for k in names],
        )
        ax.set_xlabel(label)
        ax.invert_yaxis()
    fig.suptitle(
        f"tok bench: {r['encode_mb']} MB, {r['config']['cores']} cores, ids identical to HF: "
        f"{r['ids_identical_to_hf']}; project/HF = {r['speedup_vs_hf_encode_batch']}x"
    )
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
