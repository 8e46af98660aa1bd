"""Build token shards + a tokenizer folder from the real english_text sample (NLTK Reuters etc.), for tests
and benchmarks until ``tok encode`` (the tokenizer package) provides them.

Documents are the corpus files; sentences come from a simple punctuation split; ids from a byte-level BPE
(HF ``tokenizers``): either trained here on the same text (``vocab`` ids incl. specials, ``<mask>`` last) or
the real GPT-2/RoBERTa files (``gpt2=True``, 50,265 ids). Shards are written with ``tokenizer.shards``.

Usage: ``python tests/trainer/make_shards.py OUT [--docs 3000] [--vocab 4096 | --gpt2]``
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

import numpy as np
from tokenizer import write_manifest, write_token_shard

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def read_docs(root: Path, corpus: str = "reuters", limit: int = 3000) -> list[str]:
    """Non-empty text files of one english_text zip, in name order (one file = one document)."""
    docs = []
    with zipfile.ZipFile(root / "english_text" / f"{corpus}.zip") as z:
        names = sorted(
            n
            for n in z.namelist()
            if not n.endswith("/") and "/training/" in n or (corpus != "reuters" and n.endswith(".txt"))
        )
        for name in names:
            text = z.read(name).decode("utf-8", errors="replace").strip()
            if text:
                docs.append(text)
            if len(docs) >= limit:
                break
    return docs


def sentences(doc: str) -> list[str]:
    """Sentences of a document: split at line breaks of paragraphs and after . ! ? before a capital."""
    out = []
    for para in re.split(r"\n\s*\n", doc):
        para = " ".join(para.split())
        out += [s for s in _SENT.split(para) if s]
    return out


def build_tokenizer(out: Path, docs: list[str], vocab: int, gpt2_dir: Path | None):
    from tokenizers import ByteLevelBPETokenizer

    out.mkdir(parents=True, exist_ok=True)
    if gpt2_dir is not None:
        # the real GPT-2 merges + RoBERTa's vocab (specials 0-3, <mask> = 50264), through HF tokenizers
        bpe = ByteLevelBPETokenizer.from_file(
            str(gpt2_dir / "roberta-base-vocab.json"), str(gpt2_dir / "vocab.bpe")
        )
        bpe.add_special_tokens([*SPECIALS, "<mask>"])
        bpe.save_model(str(out))
        bpe.save(str(out / "tokenizer.json"))
        return bpe
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(docs, vocab_size=vocab - 1, min_frequency=2, special_tokens=SPECIALS)
    bpe.add_special_tokens(["<mask>"])  # RoBERTa keeps <mask> as the last id
    bpe.save_model(str(out))
    bpe.save(str(out / "tokenizer.json"))
    return bpe


def encode_docs(tok, docs: list[str]) -> list[list[np.ndarray]]:
    out = []
    for doc in docs:
        sents = sentences(doc)
        # byte-level BPE: a sentence inside running text starts with a space
        enc = tok.encode_batch([s if i == 0 else " " + s for i, s in enumerate(sents)])
        out.append([np.asarray(e.ids, dtype=np.int64) for e in enc if e.ids])
    return [d for d in out if d]


def make_shards(
    out: Path,
    root: Path,
    *,
    docs: int = 3000,
    vocab: int = 4096,
    gpt2: bool = False,
    corpus: str = "reuters",
    valid_frac: float = 0.1,
    shard_docs: int = 1000,
) -> tuple[Path, Path]:
    """Write ``out/tokenizer`` and ``out/shards``; return (shards, tokenizer) folders."""
    texts = read_docs(root, corpus, docs)
    tok_dir, shard_dir = out / "tokenizer", out / "shards"
    tok = build_tokenizer(tok_dir, texts, vocab, root / "bpe_gpt2_roberta" if gpt2 else None)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    if gpt2:
        vocab_size = 50265
    encoded = encode_docs(tok, texts)
    n_valid = max(1, int(len(encoded) * valid_frac))
    parts = {"valid": encoded[:n_valid], "train": encoded[n_valid:]}
    shard_dir.mkdir(parents=True, exist_ok=True)
    splits = {}
    for split, split_docs in parts.items():
        splits[split] = [
            write_token_shard(
                shard_dir, f"{split}-{i // shard_docs:05d}", split_docs[i : i + shard_docs], vocab_size
            )
            for i in range(0, len(split_docs), shard_docs)
        ]
    write_manifest(shard_dir, vocab_size=vocab_size, splits=splits)
    return shard_dir, tok_dir


if __name__ == "__main__":
    from common import require_sample_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--gpt2", action="store_true")
    ap.add_argument("--corpus", default="reuters")
    a = ap.parse_args()
    s, t = make_shards(a.out, require_sample_data(), docs=a.docs, vocab=a.vocab, gpt2=a.gpt2, corpus=a.corpus)
    print(f"shards: {s}\ntokenizer: {t}")
