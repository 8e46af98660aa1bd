"""``tok encode`` as a resumable, parallel job: documents -> work units -> token shards -> manifest.

The document stream is cut into work units of about ``unit_bytes`` of text, deterministically (same inputs,
same units, whatever the worker count; ``tokenizer.encode.units``). Unit ``i`` becomes ``train-{i:05d}`` and ``valid-{i:05d}`` shards and,
last, a marker ``.progress/unit-{i:05d}.json`` written atomically: a unit with a marker is done, one without is
redone from scratch (its shard files are overwritten atomically). So a killed run re-run with the same
arguments skips finished units and finishes without loss or duplication. The manifest is written at the end
from the markers, in unit order. ``.progress/job.json`` pins the job (inputs, tokenizer hash, split settings)
so a re-run with other arguments into the same folder is refused instead of mixing two jobs (the shared guard
``common.settings_guard.check_settings``).

Usage: ``run_encode(EncodeConfig(tokenizer="tok/", inputs=("corpus/",), output="shards/"))``
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import UserError, check_settings, write_json_atomic
from tqdm import tqdm

from tokenizer.bpe import Tokenizer, TokenizerError
from tokenizer.encode.documents import prepare
from tokenizer.encode.units import UnitResult, encode_unit, iter_units
from tokenizer.inputs import InputError, list_inputs
from tokenizer.shards import write_manifest

PROGRESS = ".progress"


class EncodeError(UserError, ValueError):
    """The encode job cannot run as asked (different job in the output folder, bad settings)."""


@dataclass(frozen=True, kw_only=True)
class EncodeConfig:
    """Settings of ``tok encode``; ``workers=0`` means one per available CPU."""

    tokenizer: str
    inputs: tuple[str, ...]
    output: str
    workers: int = 0
    valid_fraction: float = 0.01
    unit_bytes: int = 32 << 20  # ~32 MiB of text per unit: ~7M ids, a few seconds of work per unit
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.valid_fraction < 1.0:
            raise EncodeError(f"--valid-fraction must be in [0, 1), got {self.valid_fraction}")
        if self.unit_bytes <= 0:
            raise EncodeError(f"unit size must be positive, got {self.unit_bytes}")
        if self.workers < 0:
            raise EncodeError(f"--workers must be >= 0, got {self.workers}")


_WORKER_TOK: Tokenizer | None = None


def _init_worker(tokenizer_dir: str) -> None:
    global _WORKER_TOK
    if _WORKER_TOK is None:  # forked workers inherit the parent's loaded tokenizer (saves ~0.5 s each)
        _WORKER_TOK = Tokenizer.from_dir(tokenizer_dir)


_ENCODED_NOW: set[int] = set()  # units encoded (not skipped) by this run, for its rate


def _work(cfg: EncodeConfig, index: int, docs: list[tuple[str, str]]) -> UnitResult:
    assert _WORKER_TOK is not None
    res = encode_unit(_WORKER_TOK, cfg.output, index, docs, cfg.valid_fraction, cfg.seed)
    write_json_atomic(Path(cfg.output) / PROGRESS / f"unit-{index:05d}.json", asdict(res))
    return res


def _job_identity(cfg: EncodeConfig, tok: Tokenizer) -> dict[str, Any]:
    files = [{"path": str(p.resolve()), "size": p.stat().st_size} for p in list_inputs(cfg.inputs)]
    return {
        "tokenizer_sha256": tok.sha256,
        "inputs": files,
        "valid_fraction": cfg.valid_fraction,
        "unit_bytes": cfg.unit_bytes,
        "seed": cfg.seed,
    }


def _load_marker(cfg: EncodeConfig, index: int, docs: list[tuple[str, str]]) -> UnitResult | None:
    path = Path(cfg.output) / PROGRESS / f"unit-{index:05d}.json"
    if not path.is_file():
        return None
    res = UnitResult(**json.loads(path.read_text(encoding="utf-8")))
    if res.n_docs != len(docs) or res.first_key != docs[0][0]:
        raise EncodeError(
            f"{path} does not match unit {index} of the inputs (inputs changed?); use a new --output"
        )
    return res


def open_job(cfg: EncodeConfig) -> Tokenizer:
    """Load the tokenizer and pin the job in ``.progress/job.json`` (refusing another job's folder)."""
    try:
        tok = Tokenizer.from_dir(cfg.tokenizer)
        check_settings(
            Path(cfg.output) / PROGRESS / "job.json",
            _job_identity(cfg, tok),
            what="the work of another job (its inputs, tokenizer or split)",
            flag="--output folder",
            error=EncodeError,
        )
    except (TokenizerError, InputError) as e:
        raise EncodeError(str(e)) from None
    return tok


def encode_missing_units(cfg: EncodeConfig, tok: Tokenizer, rank: int = 0, world_size: int = 1) -> int:
    """Encode the units ``index % world_size == rank`` that have no marker yet (one task of a cluster job);
    return how many it encoded. Other units are read past without tokenizing."""
    global _WORKER_TOK
    _WORKER_TOK = tok
    done = 0
    for index, docs, _size in iter_units(cfg.inputs, cfg.unit_bytes):
        if index % world_size == rank and _load_marker(cfg, index, docs) is None:
            _work(cfg, index, docs)
            done += 1
    return done


def run_encode(cfg: EncodeConfig, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the job; return the manifest's ``encode`` stats (docs, tokens, bytes, seconds, MB/s)."""
    t_start = time.perf_counter()
    tok = open_job(cfg)
    workers = cfg.workers or len(os.sched_getaffinity(0))
    global _WORKER_TOK
    _WORKER_TOK = tok
    prepare(tok)  # build the fast encoder and its tables once, before workers fork
    t0 = time.perf_counter()
    results: dict[int, UnitResult] = {}
    bar = tqdm(total=None, unit="B", unit_scale=True, desc="tok encode", disable=not progress)
    units = iter_units(cfg.inputs, cfg.unit_bytes)
    if workers == 1:
        for index, docs, size in units:
            done = _load_marker(cfg, index, docs)
            if done is None:
                done = _work(cfg, index, docs)
                _ENCODED_NOW.add(index)
            results[index] = done
            bar.update(size)
    else:
        _run_pool(cfg, workers, units, results, bar)
    bar.close()
    fresh = sum(r.n_bytes for r in results.values() if r.index in _ENCODED_NOW)
    _ENCODED_NOW.clear()
    return _finish(cfg, tok, results, time.perf_counter() - t0, t0 - t_start, fresh)


def _run_pool(
    cfg: EncodeConfig, workers: int, units: Iterator, results: dict[int, UnitResult], bar: tqdm
) -> None:
    """Feed units to ``workers`` processes, keeping at most two units per worker in flight (bounded memory)."""
    pending: dict[Future, int] = {}
    ctx = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(cfg.tokenizer,)
    ) as pool:
        for index, docs, size in units:
            done = _load_marker(cfg, index, docs)
            if done is not None:
                results[index] = done
                bar.update(size)
                continue
            while len(pending) >= 2 * workers:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    res = fut.result()
                    results[res.index] = res
                    _ENCODED_NOW.add(res.index)
                    bar.update(pending.pop(fut))
            pending[pool.submit(_work, cfg, index, docs)] = size
        for fut in list(pending):
            res = fut.result()
            results[res.index] = res
            _ENCODED_NOW.add(res.index)
            bar.update(pending.pop(fut))


def _finish(
    cfg: EncodeConfig,
    tok: Tokenizer,
    results: dict[int, UnitResult],
    seconds: float,
    startup: float,
    fresh_bytes: int,
) -> dict[str, Any]:
    order = sorted(results)
    splits = {
        s: [results[i].entries[s] for i in order if s in results[i].entries] for s in ("train", "valid")
    }
    n_bytes = sum(r.n_bytes for r in results.values())
    stats = {
        "units": len(order),
        "docs": sum(r.n_docs for r in results.values()),
        "tokens": sum(r.n_tokens for r in results.values()),
        "bytes": n_bytes,
        "startup_seconds_this_run": round(startup, 3),  # tokenizer load + tables, before any unit
        "seconds_this_run": round(seconds, 3),  # reading, encoding, writing (after startup)
        "bytes_encoded_this_run": fresh_bytes,  # units skipped on resume excluded
        "mb_per_s_this_run": round(fresh_bytes / 1e6 / max(seconds, 1e-9), 3),
    }
    specials = {
        "bos": tok.bos_id,
        "pad": tok.pad_id,
        "eos": tok.eos_id,
        "unk": tok.unk_id,
        "mask": tok.mask_id,
    }
    config = {**asdict(cfg), "inputs": list(cfg.inputs)}
    write_manifest(
        cfg.output,
        vocab_size=tok.vocab_size,
        splits=splits,
        tokenizer_sha256=tok.sha256,
        extra={"specials": specials, "tokenizer_kind": tok.kind, "config": config, "encode": stats},
    )
    return stats
