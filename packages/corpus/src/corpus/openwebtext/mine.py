"""Mine the OpenWebText URL list from submission dumps: filter, normalise, deduplicate beyond memory.

Pass 1 streams every dump, keeps submissions that pass ``check_submission`` and appends them to one of
``n_buckets`` spill files chosen by the URL's hash. Pass 2 deduplicates each bucket on its own, so memory
holds one bucket's hashes (total URLs / n_buckets), not the whole list: ~23M unique URLs over all of
Pushshift fit in a few hundred MB with the default 64 buckets. Output: ``urls/urls-NNNNN.jsonl`` (one
kept submission a line, first occurrence wins) and ``urls/mining.json`` with the counts, written last, so
a present ``mining.json`` means the stage is complete and a re-run skips it. An interrupted run resumes: each
dump spills into its own folder and is marked finished (``.spill/dump-NNNNN.json``, its counts, written
atomically) once read to its end; each deduplicated bucket is marked likewise. A re-run keeps what is marked
and redoes only the rest, so the output equals an uninterrupted run's.

Usage: ``counts = mine_urls(expand_dumps("RS_*.zst"), out / "urls", UrlFilterConfig())``
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from common import atomic_path, write_json_atomic
from tqdm import tqdm

from corpus.openwebtext.submissions import iter_dump
from corpus.openwebtext.urls import UrlFilterConfig, check_submission, url_hash
from corpus.urls import normalize_url

MINING_FILE = "mining.json"
KEPT_FIELDS = ("id", "score", "created_utc", "subreddit", "title")


def _spill_dump(dump: Path, spill: Path, config: UrlFilterConfig, n_buckets: int, bar: tqdm) -> Counter[str]:
    """Filter one dump into ``spill/bucket-NNNNN.jsonl`` (bucket by URL hash); return its counts."""
    counts: Counter[str] = Counter()
    blocked = config.blocked_domains()
    spill.mkdir(parents=True)
    files = [open(spill / f"bucket-{b:05d}.jsonl", "w", encoding="utf-8") for b in range(n_buckets)]
    bar.set_postfix_str(dump.name)
    try:
        for sub in iter_dump(dump, counts):
            counts["submissions"] += 1
            if counts["submissions"] % 10_000 == 0:  # a month of Pushshift is ~10M submissions
                bar.update(10_000)
            reason = check_submission(sub, config, blocked)
            if reason is not None:
                counts[f"dropped_{reason}"] += 1
                continue
            url = normalize_url(str(sub["url"]))
            assert url is not None  # check_submission already refused unparsable URLs
            h = url_hash(url)
            row = {"url": url, "hash": h, **{k: sub.get(k) for k in KEPT_FIELDS}}
            files[h % n_buckets].write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        for f in files:
            f.close()
    return counts


def _spill(
    dumps: Sequence[Path], spill_dir: Path, config: UrlFilterConfig, n_buckets: int, progress: bool
) -> tuple[Counter[str], list[Path]]:
    """Pass 1, resumable per dump: dump ``i`` spills into ``spill_dir/dump-i/`` and is marked finished by
    ``dump-i.json`` (its counts, written atomically last); a re-run keeps marked dumps and redoes the rest.
    Returns the summed counts and the dumps' spill folders in dump order."""
    counts: Counter[str] = Counter()
    folders = [spill_dir / f"dump-{i:05d}" for i in range(len(dumps))]
    bar = tqdm(desc="mine urls", unit=" submissions", unit_scale=True, disable=not progress)
    try:
        for dump, folder in zip(dumps, folders, strict=True):
            marker = folder.with_suffix(".json")
            if marker.is_file():  # finished by an earlier, interrupted run
                counts.update(json.loads(marker.read_text(encoding="utf-8"))["counts"])
                continue
            shutil.rmtree(folder, ignore_errors=True)  # a killed run's half-spilled dump
            done = _spill_dump(dump, folder, config, n_buckets, bar)
            write_json_atomic(marker, {"dump": str(dump), "counts": dict(done)})
            counts.update(done)
    finally:
        bar.close()
    return counts, folders


def _dedup_bucket(srcs: Sequence[Path], dst: Path, counts: Counter[str]) -> None:
    """Pass 2 for one bucket: its spill files in dump order, first occurrence of each URL kept; the counts
    are saved beside ``dst`` so a re-run skips a finished bucket."""
    marker = dst.with_suffix(".done.json")
    if marker.is_file() and dst.is_file():
        counts.update(json.loads(marker.read_text(encoding="utf-8")))
        return
    seen: set[int] = set()
    mine: Counter[str] = Counter(dropped_duplicate_url=0, urls=0)
    with atomic_path(dst) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for src in srcs:
            with open(src, encoding="utf-8") as f:
                for line in f:
                    row = json.loads(line)
                    if row["hash"] in seen:
                        mine["dropped_duplicate_url"] += 1
                        continue
                    seen.add(row["hash"])
                    mine["urls"] += 1
                    out.write(line)
    write_json_atomic(marker, dict(mine))
    counts.update(mine)


def mine_urls(
    dumps: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    config: UrlFilterConfig,
    n_buckets: int = 64,
    *,
    progress: bool = False,
) -> dict[str, int]:
    """Write the deduplicated URL list under ``out_dir`` and return the counts (cached if already done).

    An interrupted run resumes: finished dumps (pass 1) and finished buckets (pass 2) are kept, the rest redone,
    with the same output as an uninterrupted run. A spill left by other dumps, buckets or filters is discarded.
    """
    out_dir = Path(out_dir)
    done = out_dir / MINING_FILE
    spill_dir = out_dir / ".spill"
    if done.is_file():
        shutil.rmtree(spill_dir, ignore_errors=True)  # a run killed between its last two writes
        return json.loads(done.read_text(encoding="utf-8"))["counts"]
    settings = {"dumps": [str(d) for d in dumps], "n_buckets": n_buckets, "urls": dataclasses.asdict(config)}
    recorded = spill_dir / "settings.json"
    if not recorded.is_file() or json.loads(recorded.read_text(encoding="utf-8")) != json.loads(
        json.dumps(settings)
    ):
        shutil.rmtree(spill_dir, ignore_errors=True)  # not this run's spill: start over
        for stale in out_dir.glob("urls-*"):
            stale.unlink()
        spill_dir.mkdir(parents=True)
        write_json_atomic(recorded, settings)
    counts, folders = _spill([Path(d) for d in dumps], spill_dir, config, n_buckets, progress)
    for b in range(n_buckets):
        name = f"bucket-{b:05d}.jsonl"
        _dedup_bucket([f / name for f in folders], out_dir / f"urls-{b:05d}.jsonl", counts)
    result = {k: int(v) for k, v in sorted(counts.items())}
    write_json_atomic(done, {"counts": result, "dumps": [str(d) for d in dumps], "n_buckets": n_buckets})
    shutil.rmtree(spill_dir)
    for marker in out_dir.glob("urls-*.done.json"):
        marker.unlink()
    return result


def list_url_files(urls_dir: str | os.PathLike[str]) -> list[Path]:
    """The URL list files of a finished mining stage, in bucket order."""
    return sorted(Path(urls_dir).glob("urls-*.jsonl"))
