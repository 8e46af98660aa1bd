"""Mine the OpenWebText URL list from submission dumps: filter, normalise, deduplicate beyond memory.

Pass 1 streams every dump, keeps submissions that pass ``check_submission`` and appends them to one of
``n_buckets`` spill files chosen by the URL's hash. Pass 2 deduplicates each bucket on its own, so memory
holds one bucket's hashes (total URLs / n_buckets), not the whole list: ~23M unique URLs over all of
Pushshift fit in a few hundred MB with the default 64 buckets. Output: ``urls/urls-NNNNN.jsonl`` (one
kept submission a line, first occurrence wins) and ``urls/mining.json`` with the counts, written last, so
a present ``mining.json`` means the stage is complete and a re-run skips it.

Usage: ``counts = mine_urls(expand_dumps("RS_*.zst"), out / "urls", UrlFilterConfig())``
"""

from __future__ import annotations

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


def _spill(
    dumps: Sequence[Path], spill_dir: Path, config: UrlFilterConfig, n_buckets: int, progress: bool
) -> Counter[str]:
    counts: Counter[str] = Counter()
    blocked = config.blocked_domains()
    files = [open(spill_dir / f"bucket-{b:05d}.jsonl", "w", encoding="utf-8") for b in range(n_buckets)]
    bar = tqdm(desc="mine urls", unit=" submissions", unit_scale=True, disable=not progress)
    try:
        for dump in dumps:
            bar.set_postfix_str(Path(dump).name)
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
        bar.close()
        for f in files:
            f.close()
    return counts


def _dedup_bucket(src: Path, dst: Path, counts: Counter[str]) -> None:
    seen: set[int] = set()
    with atomic_path(dst) as tmp, open(tmp, "w", encoding="utf-8") as out, open(src, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["hash"] in seen:
                counts["dropped_duplicate_url"] += 1
                continue
            seen.add(row["hash"])
            counts["urls"] += 1
            out.write(line)


def mine_urls(
    dumps: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    config: UrlFilterConfig,
    n_buckets: int = 64,
    *,
    progress: bool = False,
) -> dict[str, int]:
    """Write the deduplicated URL list under ``out_dir`` and return the counts (cached if already done)."""
    out_dir = Path(out_dir)
    done = out_dir / MINING_FILE
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))["counts"]
    spill_dir = out_dir / ".spill"
    shutil.rmtree(spill_dir, ignore_errors=True)  # a killed earlier run's partial spill
    spill_dir.mkdir(parents=True)
    counts = _spill([Path(d) for d in dumps], spill_dir, config, n_buckets, progress)
    for b in range(n_buckets):
        _dedup_bucket(spill_dir / f"bucket-{b:05d}.jsonl", out_dir / f"urls-{b:05d}.jsonl", counts)
    shutil.rmtree(spill_dir)
    result = {k: int(v) for k, v in sorted(counts.items())}
    write_json_atomic(done, {"counts": result, "dumps": [str(d) for d in dumps], "n_buckets": n_buckets})
    return result


def list_url_files(urls_dir: str | os.PathLike[str]) -> list[Path]:
    """The URL list files of a finished mining stage, in bucket order."""
    return sorted(Path(urls_dir).glob("urls-*.jsonl"))
