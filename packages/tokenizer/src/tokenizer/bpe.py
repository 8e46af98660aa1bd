"""The project's tokenizer: RoBERTa's byte-level BPE (or the BERT-style char-level BPE baseline) on disk as
HF ``vocab.json`` + ``merges.txt`` + ``tokenizer.json`` (contract §2 of docs/formats.md). ``from_dir`` also loads
the classic HF folder of ``vocab.json`` + ``merges.txt`` alone (what ``RobertaTokenizerFast.from_pretrained``
loads): without ``tokenizer.json`` the folder is a byte-level BPE, GPT-2's pipeline built from the two files.

Byte-level folders encode through tiktoken (``tokenizer.fast``), mapped to the vocabulary's ids, and give the
same ids as ``transformers.RobertaTokenizerFast`` on the same folder; anything else (char-level BPE, or a merge
list tiktoken cannot express) encodes through HF ``tokenizers``. Text is always encoded as plain text: a literal
``<s>`` in a document is three bytes, as in fairseq's preprocessing, so ``decode(encode(x)) == x`` for any string.

Usage: ``tok = Tokenizer.from_dir("tok/"); ids = tok.encode("Hello world"); tok.decode(ids)``
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from common import UserError, atomic_path, write_json_atomic

from tokenizer.bytelevel import is_byte_level, tokens_bytes

if TYPE_CHECKING:
    import tokenizers

    from tokenizer.fast import FastBPE

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0..3; "<mask>" is the last id
MASK = "<mask>"
KINDS = ("byte-bpe", "char-bpe")
FILES = ("vocab.json", "merges.txt", "tokenizer.json")
MERGES_HEADER = "#version: 0.2"


class TokenizerError(UserError, ValueError):
    """A tokenizer folder is missing, malformed, or breaks the RoBERTa special-token layout."""


class DamagedTokenizer(TokenizerError):
    """A tokenizer folder whose files are cut short or corrupt (not merely another layout)."""


def read_merges(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Merge pairs of a GPT-2 ``merges.txt``/``vocab.bpe`` (header line skipped), in priority order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as e:
        raise DamagedTokenizer(f"{path}: not UTF-8 (cut short or corrupt): {e}") from None
    pairs = [tuple(line.split(" ")) for line in lines if line and not line.startswith("#version")]
    for n, pair in enumerate(pairs):
        if len(pair) != 2 or not all(pair):
            raise DamagedTokenizer(
                f"{path}: merge {n + 1} needs two tokens, got {' '.join(pair)!r} (cut short or corrupt)"
            )
    return pairs  # type: ignore[return-value]


def check_merges(
    path: str | os.PathLike[str], vocab: dict[str, int], merges: Sequence[tuple[str, str]]
) -> None:
    """Refuse merges that do not fit ``vocab``: a merge of (or into) a token the vocabulary lacks, or vocabulary
    tokens that two vocabulary tokens make but no merge does, the mark of a ``merges.txt`` cut short (a
    consistent BPE makes every token beyond its alphabet by a merge; added tokens such as RoBERTa's
    ``madeupword0000`` split into no two tokens)."""
    made = set()
    for n, (a, b) in enumerate(merges):
        if a not in vocab or b not in vocab or a + b not in vocab:
            missing = next(t for t in (a, b, a + b) if t not in vocab)
            raise DamagedTokenizer(
                f"{path}: merge {n + 1} ({a} {b}) uses {missing!r}, which vocab.json lacks "
                "(cut short or corrupt)"
            )
        made.add(a + b)
    lost = [
        t
        for t in vocab
        if len(t) > 1 and t not in made and any(t[:i] in vocab and t[i:] in vocab for i in range(1, len(t)))
    ]
    if lost:
        raise DamagedTokenizer(
            f"{path} is cut short: its {len(merges)} merges make none of {len(lost)} vocab.json "
            f"token(s) such as {lost[0]!r}"
        )


def check_specials(vocab: dict[str, int]) -> None:
    """Raise unless ``<s>,<pad>,</s>,<unk>`` are ids 0-3 and ``<mask>`` is the last id, ids dense."""
    for i, tok in enumerate(SPECIALS):
        if vocab.get(tok) != i:
            raise TokenizerError(f"special token {tok} must have id {i}, has {vocab.get(tok)}")
    if vocab.get(MASK) != len(vocab) - 1:
        raise TokenizerError(f"{MASK} must be the last id {len(vocab) - 1}, has {vocab.get(MASK)}")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise TokenizerError("vocabulary ids are not dense 0..N-1")


def build_hf_byte_bpe(vocab: dict[str, int], merges: Sequence[tuple[str, str]]) -> tokenizers.Tokenizer:
    """HF ``tokenizers`` pipeline identical to roberta-base's ``tokenizer.json`` for these vocab/merges."""
    from tokenizers import AddedToken, decoders, models, pre_tokenizers, processors
    from tokenizers import Tokenizer as HFTokenizer

    hf = HFTokenizer(models.BPE(vocab=dict(vocab), merges=list(merges)))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.post_processor = processors.RobertaProcessing(
        ("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False
    )
    hf.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
    hf.add_special_tokens([AddedToken(MASK, special=True, lstrip=True, normalized=False)])
    return hf


class Tokenizer:
    """A RoBERTa-layout BPE tokenizer: ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, ``<mask>`` last.

    Build one with ``Tokenizer.from_dir``, ``Tokenizer.from_files`` or ``tokenizer.train_bpe``; ``save`` writes
    the three HF files. ``fast`` tells whether encoding goes through tiktoken.
    """

    def __init__(
        self,
        *,
        vocab: dict[str, int],
        merges: Sequence[tuple[str, str]],
        kind: str = "byte-bpe",
        hf: tokenizers.Tokenizer | None = None,
    ) -> None:
        if kind not in KINDS:
            raise TokenizerError(f"unknown tokenizer kind {kind!r} (choose from {', '.join(KINDS)})")
        check_specials(vocab)
        if kind == "byte-bpe" and not is_byte_level("".join(vocab)):
            bad = [t for t in vocab if t not in SPECIALS and t != MASK and not is_byte_level(t)]
            if bad:
                raise TokenizerError(f"byte-level vocab has a token outside the byte alphabet: {bad[0]!r}")
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.kind = kind
        self._hf = hf
        self.bos_id, self.pad_id, self.eos_id, self.unk_id = (vocab[t] for t in SPECIALS)
        self.mask_id = vocab[MASK]
        self.special_ids = {self.bos_id, self.pad_id, self.eos_id, self.unk_id, self.mask_id}

    # ---- construction / persistence -------------------------------------------------------------
    @classmethod
    def from_files(cls, vocab_json: str | os.PathLike[str], merges_txt: str | os.PathLike[str]) -> Tokenizer:
        """A byte-level tokenizer from a RoBERTa-layout ``vocab.json`` and a GPT-2 ``merges.txt``."""
        vocab = json.loads(Path(vocab_json).read_text(encoding="utf-8"))
        return cls(vocab=vocab, merges=read_merges(merges_txt), kind="byte-bpe")

    @classmethod
    def from_dir(cls, folder: str | os.PathLike[str]) -> Tokenizer:
        """Load a folder written by ``save`` / ``tok train`` (kind read from ``tokenizer.json``), or a classic HF
        folder of ``vocab.json`` + ``merges.txt`` only (a byte-level BPE, as ``RobertaTokenizerFast`` reads it)."""
        folder = Path(folder)
        for name in ("vocab.json", "merges.txt"):
            if not (folder / name).is_file():
                raise TokenizerError(f"not a tokenizer folder (no {name}): {folder}")
        spec_path = folder / "tokenizer.json"
        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else None
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DamagedTokenizer(f"{folder}: corrupt tokenizer file ({e})") from None
        kind = (
            "byte-bpe"
            if spec is None or (spec.get("pre_tokenizer") or {}).get("type") == "ByteLevel"
            else "char-bpe"
        )
        hf = None
        if kind == "char-bpe":
            from tokenizers import Tokenizer as HFTokenizer

            hf = HFTokenizer.from_file(str(folder / "tokenizer.json"))
        merges = read_merges(folder / "merges.txt")
        check_merges(folder / "merges.txt", vocab, merges)
        return cls(vocab=vocab, merges=merges, kind=kind, hf=hf)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``vocab.json``, ``merges.txt``, ``tokenizer.json`` and ``tokenizer_config.json`` atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ordered = dict(sorted(self.vocab.items(), key=lambda kv: kv[1]))
        with atomic_path(folder / "vocab.json") as tmp:
            tmp.write_text(json.dumps(ordered, ensure_ascii=False), encoding="utf-8")
        with atomic_path(folder / "merges.txt") as tmp:
            lines = [MERGES_HEADER, *(f"{a} {b}" for a, b in self.merges)]
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with atomic_path(folder / "tokenizer.json") as tmp:
            self.hf.save(str(tmp))
        write_json_atomic(folder / "tokenizer_config.json", self._hf_config())
        return folder

    def _hf_config(self) -> dict[str, Any]:
        """``tokenizer_config.json`` so ``AutoTokenizer`` picks the right class and specials."""
        cls_name = "RobertaTokenizer" if self.kind == "byte-bpe" else "PreTrainedTokenizerFast"
        return {
            "tokenizer_class": cls_name,
            "model_max_length": 512,
            "bos_token": "<s>",
            "cls_token": "<s>",
            "pad_token": "<pad>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "unk_token": "<unk>",
            "mask_token": MASK,
            "add_prefix_space": False,
            "roberta_tokenizer_kind": self.kind,
        }

    # ---- backends --------------------------------------------------------------------------------
    @property
    def hf(self) -> tokenizers.Tokenizer:
        """The equivalent HF ``tokenizers.Tokenizer`` (reference path and ``tokenizer.json`` writer)."""
        if self._hf is None:
            self._hf = build_hf_byte_bpe(self.vocab, self.merges)
        return self._hf

    @cached_property
    def _plain_hf(self) -> tokenizers.Tokenizer:
        """Copy of ``hf`` that reads special-token strings in the text as plain text (fallback encoder)."""
        from tokenizers import Tokenizer as HFTokenizer

        plain = HFTokenizer.from_str(self.hf.to_str())
        plain.encode_special_tokens = True
        return plain

    @cached_property
    def _fast(self) -> FastBPE | None:
        if self.kind != "byte-bpe":
            return None
        from tokenizer.fast import FastBPE, NotFastCompatible

        try:
            return FastBPE(self.vocab, self.merges)
        except NotFastCompatible:
            return None

    @property
    def fast(self) -> bool:
        """True when encoding goes through tiktoken."""
        return self._fast is not None

    @cached_property
    def _id_bytes(self) -> list[bytes]:
        """Bytes of every id for decoding (specials, and any token outside the byte alphabet, as their text)."""
        out = [b""] * len(self.vocab)
        literal = self.kind != "byte-bpe"
        all_byte_level = is_byte_level("".join(self.vocab))  # one check instead of 50K
        plain = []
        for tok, i in self.vocab.items():
            if literal or i in self.special_ids or not (all_byte_level or is_byte_level(tok)):
                out[i] = tok.encode("utf-8")
            else:
                plain.append((tok, i))
        for (_, i), b in zip(plain, tokens_bytes([t for t, _ in plain]), strict=True):
            out[i] = b
        return out

    # ---- public API ------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """Number of ids (50,265 for RoBERTa)."""
        return len(self.vocab)

    @cached_property
    def sha256(self) -> str:
        """Content hash of vocab + merges + kind (stable across ``tokenizers`` versions).

        THE tokenizer identity: ``tokenizer_sha256`` in token-shard manifests and checkpoint metadata is this
        value, so the same vocabulary and merges match whichever files (or file layout) carried them."""
        h = hashlib.sha256(self.kind.encode())
        h.update(json.dumps(sorted(self.vocab.items(), key=lambda kv: kv[1]), ensure_ascii=False).encode())
        h.update("\n".join(f"{a} {b}" for a, b in self.merges).encode())
        return h.hexdigest()

    def encode_array(self, text: str) -> np.ndarray:
        """Ids of ``text`` as a uint32 numpy array (no ``<s>``/``</s>`` added)."""
        if self._fast is not None:
            return self._fast.encode_array(text)
        return np.asarray(self.encode(text), dtype=np.uint32)

    def encode(self, text: str) -> list[int]:
        """Ids of ``text`` (no ``<s>``/``</s>`` added; special-token strings in the text are plain text)."""
        if self._fast is not None:
            return self._fast.encode(text)
        return self._plain_hf.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str], num_threads: int | None = None) -> list[list[int]]:
        """Ids of every text; ``num_threads`` defaults to the CPUs this process may use."""
        threads = num_threads or len(os.sched_getaffinity(0))
        if self._fast is not None:
            return self._fast.encode_batch(texts, threads)
        return [e.ids for e in self._plain_hf.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int] | np.ndarray, skip_special_tokens: bool = False) -> str:
        """Text of ``ids``; invalid UTF-8 (a cut multi-byte character) becomes U+FFFD."""
        if self.kind != "byte-bpe":
            return self.hf.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)
        table = self._id_bytes
        if isinstance(ids, np.ndarray):
            ids = ids.tolist()
        if skip_special_tokens:
            ids = [i for i in ids if i not in self.special_ids]
        return b"".join([table[i] for i in ids]).decode("utf-8", errors="replace")

    @cached_property
    def _byte_lengths(self) -> np.ndarray:
        return np.array([len(b) for b in self._id_bytes], dtype=np.int64)

    def token_byte_lengths(self) -> np.ndarray:
        """Byte length of every id's text (int64), for mapping byte offsets to token offsets."""
        return self._byte_lengths

    def __repr__(self) -> str:
        return f"Tokenizer(kind={self.kind!r}, vocab_size={self.vocab_size}, fast={self.fast})"
