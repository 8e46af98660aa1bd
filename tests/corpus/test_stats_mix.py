"""``corpus stats``: per-source documents, bytes of text and tokens, as a table."""

from __future__ import annotations

import json

import pytest
from corpus.formats import CorpusFormatError, write_shard
from corpus.mix import collect_mix, format_mix, human_bytes, read_token_total


def _docs(source, texts):
    return [
        {"id": f"{source}-{i}", "text": t, "url": "u", "date": "2019", "source": source}
        for i, t in enumerate(texts)
    ]


def _token_manifest(folder, n_train, n_valid, fmt="roberta-token-shards"):
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": fmt,
        "version": 1,
        "totals": {"train": {"n_tokens": n_train, "n_docs": 1, "n_sents": 1}, "valid": {"n_tokens": n_valid}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_counts_per_source_across_folders(tmp_path):
    write_shard(tmp_path / "news" / "a.jsonl.zst", _docs("cc-news", ["héllo", "abc"]))
    write_shard(tmp_path / "news" / "b.jsonl.zst", _docs("cc-news", ["x" * 10]))
    write_shard(tmp_path / "owt" / "a.jsonl.zst", _docs("openwebtext", ["y" * 100]))
    _token_manifest(tmp_path / "owt" / "tokens", 40, 2)
    rows = {r.source: r for r in collect_mix([tmp_path / "news", tmp_path / "owt"])}
    assert (rows["cc-news"].docs, rows["cc-news"].text_bytes, rows["cc-news"].tokens) == (3, 6 + 3 + 10, None)
    assert (rows["openwebtext"].docs, rows["openwebtext"].text_bytes, rows["openwebtext"].tokens) == (
        1,
        100,
        42,
    )
    table = format_mix(list(rows.values()))
    assert "openwebtext" in table and "42" in table and "total" in table.splitlines()[-1]
    assert table.splitlines()[-1].split()[1] == "4"  # total documents


def test_token_only_folder_and_foreign_manifest(tmp_path):
    _token_manifest(tmp_path / "tok", 1000, 0)
    _token_manifest(tmp_path / "other", 5, 5, fmt="something-else")
    assert read_token_total(tmp_path / "tok") == 1000
    assert read_token_total(tmp_path / "other") is None
    rows = collect_mix([tmp_path / "tok"])
    assert rows[0].tokens == 1000 and rows[0].docs == 0
    with pytest.raises(CorpusFormatError, match="neither corpus shards nor a token manifest"):
        collect_mix([tmp_path / "other"])
    with pytest.raises(CorpusFormatError, match="no such folder"):
        collect_mix([tmp_path / "missing"])


def test_human_bytes():
    assert human_bytes(76 * 10**9) == "76.0GB"
    assert human_bytes(999) == "999B"
    assert human_bytes(1_500_000) == "1.5MB"


def test_cli_stats(tmp_path, capsys):
    from corpus.cli import main

    write_shard(tmp_path / "a" / "x.jsonl.zst", _docs("stories", ["abc", "de"]))
    assert main(["stats", str(tmp_path / "a"), "--json", str(tmp_path / "mix.json")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[:3] == ["stories", "2", "5B"]
    assert json.loads((tmp_path / "mix.json").read_text())["rows"][0]["docs"] == 2
    assert main(["stats", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no such folder") and err.count("\n") == 1


def test_reads_the_tokenizer_packages_real_manifest(tmp_path):
    """The token manifest is read as plain JSON (corpus must not import tokenizer); check it against the
    tokenizer package's own writer so the duplicated format name cannot drift."""
    shards = pytest.importorskip("tokenizer.shards")
    from corpus.mix import TOKEN_FORMAT

    assert TOKEN_FORMAT == shards.FORMAT_NAME
    entry = {"name": "train-00000", "n_tokens": 1234, "n_docs": 3, "n_sents": 9}
    shards.write_manifest(
        tmp_path / "tok", vocab_size=50265, splits={"train": [entry], "valid": [{**entry, "n_tokens": 6}]}
    )
    assert read_token_total(tmp_path / "tok") == 1240
