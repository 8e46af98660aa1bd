"""``tok train``: learn a BPE (the tokenizer, not a model) with HF ``tokenizers``' trainer, saved in RoBERTa's layout.

- ``byte-bpe`` (the paper's choice, §4.4): GPT-2 byte-level BPE, no normalisation, no unknown tokens; all 256
  bytes are in the initial alphabet. ``<s> <pad> </s> <unk>`` get ids 0-3, ``<mask>`` the last id.
- ``char-bpe`` (the baseline the paper compares against: BERT's 30K character-level BPE): BERT's text cleanup
  and punctuation/whitespace pre-tokenizer, character-level BPE with an ``</w>`` end-of-word suffix, ``<unk>``
  for characters outside a 1,000-character alphabet. Same special ids. It is saved as the same three files
  (``tokenizer.json`` carries the BERT pipeline; ``Tokenizer.from_dir`` and ``transformers.AutoTokenizer`` load
  it) but is lossy: whitespace is not kept, so ``decode(encode(x))`` only approximates ``x``.

Memory: the trainer keeps one count per distinct pre-token and pair, which grows with the text; ``max_bytes``
(default 1 GiB) bounds the sample. Word counts are 64-bit in ``tokenizers``; its pair counts are 32-bit
(huggingface/tokenizers#2058), so a sample is capped below 2^31 bytes: no pair can then occur 2^31 times.

Vocabulary size: the trainer stops early when no pair occurs ``min_frequency`` times, so a small corpus yields
fewer ids than asked. ``train_bpe`` then refuses to write the tokenizer (``TokenizerError`` naming both
sizes) unless ``allow_smaller_vocab`` is set; the report's ``vocab_size`` is what was written.

Usage: ``train_bpe(TrainConfig(inputs=("corpus/",), output="tok/", vocab_size=50265))``
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import write_json_atomic
from tqdm import tqdm

from tokenizer.bpe import KINDS, MASK, SPECIALS, Tokenizer, TokenizerError, build_hf_byte_bpe
from tokenizer.inputs import list_inputs, sample_documents

MAX_SAMPLE = (1 << 31) - 1  # keeps every pair count below i32::MAX in the HF trainer


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Settings of ``tok train``; defaults are the paper's (50,265 ids, byte-level)."""

    inputs: tuple[str, ...]
    output: str
    vocab_size: int = 50_265
    kind: str = "byte-bpe"
    max_bytes: int | None = 1 << 30
    min_frequency: int = 2
    char_alphabet: int = 1000  # char-bpe: most frequent characters kept, the rest become <unk>
    allow_smaller_vocab: bool = False  # write the tokenizer even when the corpus yields fewer ids than asked

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TokenizerError(f"--kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        floor = 256 + 6 if self.kind == "byte-bpe" else 16
        if self.vocab_size < floor:
            raise TokenizerError(
                f"--vocab-size must be at least {floor} for {self.kind}, got {self.vocab_size}"
            )
        if self.max_bytes is not None and not 0 < self.max_bytes <= MAX_SAMPLE:
            raise TokenizerError(
                f"--max-bytes must be in 1..{MAX_SAMPLE} (32-bit pair counts), got {self.max_bytes}"
            )
        if self.min_frequency < 1:
            raise TokenizerError(f"--min-frequency must be >= 1, got {self.min_frequency}")


def sample_texts(cfg: TrainConfig, stats: dict[str, int]) -> Iterator[list[str]]:
    """Batches of document texts from ``inputs.sample_documents``; ``stats`` receives the docs and bytes used."""
    limit = cfg.max_bytes if cfg.max_bytes is not None else MAX_SAMPLE
    bar = tqdm(unit="B", unit_scale=True, desc="tok train: read+count")
    batch: list[str] = []
    for _, text in sample_documents(cfg.inputs, limit):
        n = len(text.encode("utf-8"))
        stats["bytes"] += n
        stats["docs"] += 1
        bar.update(n)
        batch.append(text)
        if len(batch) >= 1000:
            yield batch
            batch = []
    if batch:
        yield batch
    bar.close()


def byte_bpe_trainer(cfg: TrainConfig):
    """An empty HF byte-level BPE pipeline and its ``BpeTrainer`` for ``cfg`` (``tok train``'s and ``tok bench``'s)."""
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    hf = HFTokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=cfg.vocab_size - 1,
        min_frequency=cfg.min_frequency,
        special_tokens=list(SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    return hf, trainer


def char_bpe_trainer(cfg: TrainConfig):
    """An empty HF BERT-style character-level BPE pipeline and its ``BpeTrainer`` for ``cfg``."""
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers

    hf = HFTokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    hf.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    hf.decoder = decoders.BPEDecoder(suffix="</w>")
    hf.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=cfg.vocab_size - 1,
        min_frequency=cfg.min_frequency,
        special_tokens=list(SPECIALS),
        limit_alphabet=cfg.char_alphabet,
        end_of_word_suffix="</w>",
        show_progress=False,
    )
    return hf, trainer


def model_tables(hf) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """``(vocab, merges)`` of a trained HF BPE model, read from its JSON form."""
    model = json.loads(hf.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return dict(model["vocab"]), merges  # type: ignore[return-value]


def train_tokenizer(cfg: TrainConfig, stats: dict[str, int] | None = None) -> Tokenizer:
    """Train and return the tokenizer (not saved); ``stats`` receives docs/bytes read."""
    from tokenizers import AddedToken

    list_inputs(cfg.inputs)  # fail on missing inputs before any work starts
    stats = stats if stats is not None else {"docs": 0, "bytes": 0}
    stats.setdefault("docs", 0)
    stats.setdefault("bytes", 0)
    hf, trainer = (byte_bpe_trainer if cfg.kind == "byte-bpe" else char_bpe_trainer)(cfg)
    hf.train_from_iterator(sample_texts(cfg, stats), trainer=trainer)
    if stats["docs"] == 0:
        raise TokenizerError(f"no text to train on in {' '.join(cfg.inputs)}")
    vocab, merges = model_tables(hf)
    vocab[MASK] = len(vocab)
    if cfg.kind == "byte-bpe":
        return Tokenizer(vocab=vocab, merges=merges, kind="byte-bpe", hf=build_hf_byte_bpe(vocab, merges))
    hf.add_special_tokens([AddedToken(MASK, special=True, lstrip=True, normalized=False)])
    return Tokenizer(vocab=vocab, merges=merges, kind="char-bpe", hf=hf)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_vocab_size(cfg: TrainConfig, tok: Tokenizer, stats: dict[str, int]) -> None:
    """Raise ``TokenizerError`` when the corpus yielded fewer ids than ``cfg.vocab_size`` (unless allowed)."""
    if tok.vocab_size < cfg.vocab_size and not cfg.allow_smaller_vocab:
        raise TokenizerError(
            f"asked for {cfg.vocab_size} ids, the corpus yields only {tok.vocab_size} "
            f"({stats['bytes'] / 1e6:.1f} MB, min frequency {cfg.min_frequency}); give more text, a smaller "
            "--vocab-size, or --allow-smaller-vocab"
        )


def train_bpe(cfg: TrainConfig) -> dict[str, Any]:
    """Train, save to ``cfg.output`` with ``train_config.json`` (config + figures), return the figures.

    Nothing is written when the corpus yields fewer ids than asked, unless ``cfg.allow_smaller_vocab``.
    """
    t0 = time.perf_counter()
    stats: dict[str, int] = {"docs": 0, "bytes": 0}
    tok = train_tokenizer(cfg, stats)
    check_vocab_size(cfg, tok, stats)
    tok.save(cfg.output)
    report = {
        "kind": cfg.kind,
        "vocab_size": tok.vocab_size,
        "merges": len(tok.merges),
        **stats,
        "seconds": round(time.perf_counter() - t0, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "fast_encode": tok.fast,
    }
    write_json_atomic(Path(cfg.output) / "train_config.json", {"config": asdict(cfg), "report": report})
    return report
