"""RoBERTa in one file: post-LayerNorm Transformer encoder, learned absolute positions with RoBERTa's padding
offset (positions start at ``pad_id + 1``), GELU, dropout 0.1 on hidden states and attention, and a masked-LM
head tied to the token embeddings and computed only on the masked positions.

Module names follow the Hugging Face layout closely (one fused ``qkv`` projection instead of three) so that
export/import in ``trainer.export`` is a plain renaming.

``attention_mask`` is the one place padding becomes a mask (positions, the SDPA key mask of training and
validation); ``fit_model_config`` fits the configured shape to the shards (vocabulary, pad id) or takes it
from an imported Hugging Face model.

Usage: ``model = Roberta(ModelConfig(...)); loss_sum = model(ids, attn_mask=attention_mask(ids, pad), labels=y)``
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.config import Config, ModelConfig
from trainer.errors import TrainerError
from trainer.nsp import NSPHead, mlm_nsp_loss


def real_tokens(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """(B, T) bool, True at every non-pad token: what positions and attention masks are built from."""
    return ids.ne(pad_id)


def attention_mask(ids: torch.Tensor, pad_id: int, *, padded: bool | None = None) -> torch.Tensor | None:
    """SDPA boolean key mask (B, 1, 1, T), True = attend, or None when nothing is padded (lets SDPA pick
    flash kernels). ``padded`` says whether ``ids`` hold any pad when the caller knows it already (from the
    host batch, saving a device sync); None = look."""
    keep = real_tokens(ids, pad_id)
    if padded is None:
        padded = not bool(keep.all())
    return keep[:, None, None, :] if padded else None


def position_ids(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """RoBERTa/fairseq positions: non-pad tokens count up from ``pad_id + 1``; pads get ``pad_id``."""
    keep = real_tokens(ids, pad_id).int()
    return (torch.cumsum(keep, dim=1) * keep).long() + pad_id


class Embeddings(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.pad_id = cfg.pad_id
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden, padding_idx=cfg.pad_id)
        self.position_embeddings = nn.Embedding(cfg.max_positions, cfg.hidden, padding_idx=cfg.pad_id)
        self.LayerNorm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(ids) + self.position_embeddings(position_ids(ids, self.pad_id))
        return self.dropout(self.LayerNorm(x))


class Layer(nn.Module):
    """One post-LN block: x = LN(x + Attn(x)); x = LN(x + FFN(x))."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.attn_dropout = cfg.attn_dropout
        self.qkv = nn.Linear(cfg.hidden, 3 * cfg.hidden)
        self.attn_out = nn.Linear(cfg.hidden, cfg.hidden)
        self.attn_ln = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden, cfg.ffn)
        self.fc2 = nn.Linear(cfg.ffn, cfg.hidden)
        self.ffn_ln = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.attn_dropout if self.training else 0.0
        )
        a = a.transpose(1, 2).reshape(b, t, h)
        x = self.attn_ln(x + self.dropout(self.attn_out(a)))
        y = self.fc2(F.gelu(self.fc1(x)))
        return self.ffn_ln(x + self.dropout(y))


class LMHead(nn.Module):
    """dense -> GELU -> LayerNorm -> tied decoder + bias, as in RoBERTa."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden, cfg.hidden)
        self.layer_norm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))

    def forward(self, x: torch.Tensor, decoder: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(F.gelu(self.dense(x)))
        return F.linear(x, decoder, self.bias)


class Roberta(nn.Module):
    """RoBERTa encoder + tied MLM head. ``forward`` gives logits for every position (used for export checks);
    training calls ``mlm_loss``, which runs the head only where ``labels != -100``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.hidden % cfg.heads:
            raise ValueError(f"hidden {cfg.hidden} not divisible by heads {cfg.heads}")
        self.cfg = cfg
        self.embeddings = Embeddings(cfg)
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.layers))
        self.lm_head = LMHead(cfg)
        self.nsp_head = NSPHead(cfg.hidden) if cfg.nsp else None  # only for the +NSP formats (trainer.nsp)
        self.apply(self._init)

    def _init(self, m: nn.Module) -> None:
        # BERT/fairseq init: N(0, 0.02) weights, zero biases, zero padding embedding, LayerNorm (1, 0).
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=self.cfg.init_std)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=self.cfg.init_std)
            with torch.no_grad():
                m.weight[self.cfg.pad_id].zero_()

    def encode(self, ids: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states (B, T, H). ``attn_mask`` is a bool (B, 1, 1, T) key mask (True = attend) or None."""
        x = self.embeddings(ids)
        for layer in self.layers:
            x = layer(x, attn_mask)
        return x

    def forward(
        self,
        ids: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        nsp_labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits for every position (B, T, V); with ``labels``, the MLM loss sum (see ``mlm_loss``);
        with ``nsp_labels`` too, the pair (MLM sum, NSP sum) of ``trainer.nsp.mlm_nsp_loss``.
        Training goes through ``forward`` so that DistributedDataParallel's hooks see the call."""
        if nsp_labels is not None:
            return mlm_nsp_loss(self, ids, labels, nsp_labels, attn_mask)
        if labels is not None:
            return self.mlm_loss(ids, labels, attn_mask)
        return self.lm_head(self.encode(ids, attn_mask), self.embeddings.word_embeddings.weight)

    def mlm_loss(
        self, ids: torch.Tensor, labels: torch.Tensor, attn_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Summed cross-entropy over masked positions (labels != -100); the caller normalises by the
        masked-token count of the whole step, so micro-batches and ranks weigh every token equally."""
        h = self.encode(ids, attn_mask)
        sel = labels.ne(-100)
        logits = self.lm_head(h[sel], self.embeddings.word_embeddings.weight)
        return F.cross_entropy(logits.float(), labels[sel], reduction="sum")


def fit_model_config(cfg: Config, *, vocab: int, pad_id: int, nsp: bool) -> tuple[ModelConfig, dict | None]:
    """(model config, initial state or None): ``cfg.model`` fitted to the shards' vocabulary and pad id, or
    the shape of the Hugging Face model ``--run.init_from`` (with its weights); an NSP head when the input
    format has NSP; checks that blocks fit."""
    init_state: dict[str, Any] | None = None
    if cfg.run.init_from:
        from trainer.export import import_hf

        mcfg, init_state = import_hf(Path(cfg.run.init_from))
        mcfg = dataclasses.replace(mcfg, dropout=cfg.model.dropout, attn_dropout=cfg.model.attn_dropout)
        if mcfg.vocab_size != vocab:
            raise TrainerError(f"--run.init_from model has vocab_size {mcfg.vocab_size}, shards have {vocab}")
    else:
        mcfg = dataclasses.replace(cfg.model, vocab_size=vocab, pad_id=pad_id)
    need = cfg.data.seq_len + mcfg.pad_id + 1
    if mcfg.max_positions < need:
        raise TrainerError(
            f"seq_len {cfg.data.seq_len} needs model.max_positions >= {need} "
            f"(RoBERTa's padding offset), got {mcfg.max_positions}"
        )
    return dataclasses.replace(mcfg, nsp=nsp), init_state


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters (tied weights counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def flops_per_token(cfg: ModelConfig, seq_len: int, mask_prob: float = 0.15) -> float:
    """Training FLOPs per token (forward + backward = 3x forward, 2 FLOPs per multiply-add): encoder matmuls
    and attention scores, plus the MLM head on the masked fraction of tokens only."""
    h, f, n = cfg.hidden, cfg.ffn, cfg.layers
    per_layer = 2 * (4 * h * h + 2 * h * f) + 2 * 2 * seq_len * h  # projections/FFN + QK^T and AV
    head = mask_prob * 2 * (h * h + h * cfg.vocab_size)
    return 3.0 * (n * per_layer + head)
