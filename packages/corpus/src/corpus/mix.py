"""``corpus stats``: the corpus mix, per source — documents, bytes of text and, where token shards exist,
tokens — as a table like the paper's §3.2 list (BOOKCORPUS + WIKIPEDIA 16GB, CC-NEWS 76GB, ...).

A folder may be a corpus build (``*.jsonl.zst`` shards; counted per document ``source`` field), a token-shard
folder (``manifest.json`` of format ``roberta-token-shards``, read as plain JSON so that corpus never imports
the tokenizer package, which depends on corpus), or both. A build's tokens are looked for in its own
``manifest.json`` and in ``tokens/manifest.json``.

Usage: ``print(format_mix(collect_mix(["out/cc-news", "out/openwebtext"])))``
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from corpus.formats import CorpusFormatError, list_shards, read_shard

TOKEN_FORMAT = (
    "roberta-token-shards"  # tokenizer.shards.FORMAT_NAME, duplicated to keep the dependency one-way
)
TOKEN_MANIFEST_PLACES = ("manifest.json", "tokens/manifest.json")


@dataclass(kw_only=True)
class MixRow:
    """One source's totals over the given folders."""

    source: str
    docs: int = 0
    text_bytes: int = 0
    tokens: int | None = None
    folders: list[str] = field(default_factory=list)


def read_token_total(folder: str | os.PathLike[str]) -> int | None:
    """Total tokens over all splits of a token-shard folder, or ``None`` if it has none."""
    for rel in TOKEN_MANIFEST_PLACES:
        path = Path(folder) / rel
        if not path.is_file():
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise CorpusFormatError(f"{path}: corrupt token manifest") from None
        if manifest.get("format") != TOKEN_FORMAT:
            continue
        return sum(int(t.get("n_tokens", 0)) for t in manifest.get("totals", {}).values())
    return None


def _add_folder(rows: dict[str, MixRow], folder: Path) -> None:
    shards = list_shards(folder) if folder.is_dir() else []
    tokens = read_token_total(folder)
    if not shards and tokens is None:
        raise CorpusFormatError(f"{folder}: neither corpus shards nor a token manifest")
    seen: dict[str, MixRow] = {}
    for shard in tqdm(shards, desc=f"stats {folder.name}", unit="shard", leave=False):
        for doc in read_shard(shard, validate=False):
            src = str(doc.get("source") or folder.name)
            row = rows.setdefault(src, MixRow(source=src))
            row.docs += 1
            row.text_bytes += len(str(doc.get("text", "")).encode("utf-8"))
            seen[src] = row
    if tokens is not None:
        # tokens belong to the folder's one source; a folder mixing sources gets a row of its own
        key = next(iter(seen)) if len(seen) == 1 else f"{folder.name} (tokens)"
        row = rows.setdefault(key, MixRow(source=key))
        row.tokens = (row.tokens or 0) + tokens
        seen[key] = row
    for row in seen.values():
        row.folders.append(str(folder))


def collect_mix(folders: Iterable[str | os.PathLike[str]]) -> list[MixRow]:
    """Totals per source over every folder, sorted by bytes of text (largest first)."""
    rows: dict[str, MixRow] = {}
    for folder in folders:
        path = Path(folder)
        if not path.exists():
            raise CorpusFormatError(f"no such folder: {folder}")
        _add_folder(rows, path)
    return sorted(rows.values(), key=lambda r: (-r.text_bytes, r.source))


def human_bytes(n: int) -> str:
    """Bytes in the paper's style: 76GB, 38GB... (decimal units, as disk sizes are quoted)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return f"{n}B"


def format_mix(rows: list[MixRow]) -> str:
    """A fixed-width table: source, documents, text size, tokens, share of text; then the total."""
    total_bytes = sum(r.text_bytes for r in rows) or 1
    head = f"{'source':<20} {'documents':>12} {'text':>10} {'tokens':>14} {'share':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        tok = f"{r.tokens:,}" if r.tokens is not None else "-"
        lines.append(
            f"{r.source:<20} {r.docs:>12,} {human_bytes(r.text_bytes):>10} {tok:>14} {100 * r.text_bytes / total_bytes:>6.1f}%"
        )
    toks = [r.tokens for r in rows if r.tokens is not None]
    total_tok = f"{sum(toks):,}" if toks else "-"
    lines.append("-" * len(head))
    lines.append(
        f"{'total':<20} {sum(r.docs for r in rows):>12,} {human_bytes(sum(r.text_bytes for r in rows)):>10} {total_tok:>14} {100.0:>6.1f}%"
    )
    return "\n".join(lines)


def add_parser(subparsers) -> None:  # noqa: ANN001 - argparse's private _SubParsersAction
    """Register ``corpus stats DIR... [--json FILE]`` on the ``corpus`` CLI's subparsers."""
    p = subparsers.add_parser(
        "stats",
        help="corpus mix per source: documents, bytes of text, tokens",
        description="Per source over corpus build folders (and token-shard folders): documents, bytes of "
        "text and tokens, as a table like the paper's §3.2 list.",
    )
    p.add_argument("dirs", nargs="+", help="corpus build folders and/or token-shard folders")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--build", action="store_true", help="print each folder's stats.json instead of the table")


def run(args) -> int:  # noqa: ANN001 - an argparse.Namespace from add_parser
    """Print the mix table (and write ``--json``)."""
    rows = collect_mix(args.dirs)
    print(format_mix(rows))
    if args.json:
        from dataclasses import asdict

        from common import write_json_atomic

        write_json_atomic(args.json, {"rows": [asdict(r) for r in rows]})
    return 0
