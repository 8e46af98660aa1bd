"""Build RoBERTa's tokenizer folder from the original GPT-2 files (``encoder.json`` + ``vocab.bpe``).

RoBERTa keeps GPT-2's merges but renumbers the tokens: fairseq's ``dict.txt`` lists the 50,257 GPT-2 ids in
corpus-frequency order followed by ``madeupword0000..0002``; id = 4 + line index after ``<s> <pad> </s> <unk>``,
and ``<mask>`` = 50,264. HF's roberta-base ``vocab.json`` is exactly that table. The copy in
shared/data/bpe_gpt2_roberta lacks the three madeupwords (ids 50,261-50,263), so this module derives the vocab
from the dictionary and only uses the HF copy as a cross-check (all its entries must agree).

Usage: ``build_roberta_dir("/work/shared/data/bpe_gpt2_roberta", "tok/roberta")``
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tokenizer.bpe import MASK, SPECIALS, Tokenizer, TokenizerError, read_merges

N_DICT_LINES = 50_260  # 50,257 GPT-2 ids + madeupword0000..0002; later lines are LongMem's padding
DICT_NAMES = ("dict.txt", "fairseq-gpt2-dict.longmem-padded.txt")
HF_VOCAB_NAMES = ("roberta-base-vocab.json", "vocab.json")


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def roberta_vocab(encoder: dict[str, int], dict_lines: list[str]) -> dict[str, int]:
    """RoBERTa's token -> id table from GPT-2's ``encoder.json`` and fairseq's dictionary lines."""
    inv = {i: tok for tok, i in encoder.items()}
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for line in dict_lines[:N_DICT_LINES]:
        sym = line.split()[0]
        vocab[inv[int(sym)] if sym.isdigit() else sym] = len(vocab)
    vocab[MASK] = len(vocab)
    return vocab


def check_against_hf(vocab: dict[str, int], hf_vocab: dict[str, int]) -> list[str]:
    """Compare with an HF roberta-base vocab; return the tokens it lacks (raise on any disagreement)."""
    wrong = [t for t, i in hf_vocab.items() if vocab.get(t) != i]
    if wrong:
        raise TokenizerError(
            f"HF vocab disagrees with the derived one on {len(wrong)} tokens, e.g. {wrong[0]!r}"
        )
    return sorted(t for t in vocab if t not in hf_vocab)


def build_roberta_tokenizer(src: str | os.PathLike[str]) -> Tokenizer:
    """RoBERTa's 50,265-id byte-level BPE from a folder with ``encoder.json``, ``vocab.bpe`` and a dict.

    Without a fairseq dictionary, an HF ``vocab.json`` is used, with any missing ``madeupwordNNNN`` put back
    at the free ids just below ``<mask>`` (exactly where fairseq has them).
    """
    src = Path(src)
    for name in ("encoder.json", "vocab.bpe"):
        if not (src / name).is_file():
            raise TokenizerError(f"{src} lacks GPT-2's {name}")
    encoder = json.loads((src / "encoder.json").read_text(encoding="utf-8"))
    merges = read_merges(src / "vocab.bpe")
    dict_path, hf_path = _find(src, DICT_NAMES), _find(src, HF_VOCAB_NAMES)
    if dict_path is not None:
        vocab = roberta_vocab(encoder, dict_path.read_text(encoding="utf-8").splitlines())
        if hf_path is not None:
            check_against_hf(vocab, json.loads(hf_path.read_text(encoding="utf-8")))
    elif hf_path is not None:
        vocab = _complete_hf_vocab(json.loads(hf_path.read_text(encoding="utf-8")))
    else:
        raise TokenizerError(f"{src} has neither a fairseq dict ({DICT_NAMES[0]}) nor an HF vocab.json")
    if len(vocab) != 50_265:
        raise TokenizerError(f"derived vocab has {len(vocab)} entries, RoBERTa has 50,265")
    return Tokenizer(vocab=vocab, merges=merges, kind="byte-bpe")


def _complete_hf_vocab(hf_vocab: dict[str, int]) -> dict[str, int]:
    """Fill the id gaps of an HF roberta vocab (the missing madeupwords) in fairseq's order."""
    used = set(hf_vocab.values())
    gaps = [i for i in range(max(used) + 1) if i not in used]
    vocab = dict(hf_vocab)
    for n, i in enumerate(gaps):
        vocab[f"madeupword{n:04d}"] = i
    return vocab


def build_roberta_dir(src: str | os.PathLike[str], out: str | os.PathLike[str]) -> Tokenizer:
    """Write RoBERTa's tokenizer folder (``vocab.json``, ``merges.txt``, ``tokenizer.json``) to ``out``."""
    tok = build_roberta_tokenizer(src)
    tok.save(out)
    return tok
