"""RoBERTa in one file: post-LayerNorm Transformer encoder, learned absolute positions with RoBERTa's padding
offset (positions start at ``pad_id + 1``), GELU, dropout 0.1 on hidden states and attention, and a masked-LM
head tied to the token embeddings and computed only on the masked positions.

Module names follow the Hugging Face layout closely (one fused ``qkv`` projection instead of three) so that
export/import in ``trainer.export`` is a plain renaming.

Two attention paths, numerically the same model: the *masked* one (padded (B, T) blocks, an SDPA key mask
from ``attention_mask`` whenever a block is padded) and the *jagged* one (``pack_batch``: the real tokens of
the micro-batch packed into one (N, H) stream, so no matmul touches a pad, and attention over a nested jagged
tensor, which needs no mask and so can use the flash / memory-efficient kernels on a GPU; on CPU the packed
q/k/v are re-padded only inside attention). Dropout and padded attention come from ``trainer.ops`` (torch's
kernels on a GPU, a faster dropout on CPU). The MLM head runs
on a fixed number of positions (``capacity``, see ``masking.mlm_capacity``) so shapes are static and nothing
waits for the device. ``fit_model_config`` fits the configured shape to the shards (vocabulary, pad id) or
takes it from an imported Hugging Face model.

Usage: ``model = Roberta(ModelConfig(...)); loss_sum = model(ids, attn_mask=attention_mask(ids, pad), labels=y)``
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainer.config import Config, ModelConfig
from trainer.errors import TrainerError
from trainer.nsp import NSPHead, mlm_nsp_loss
from trainer.ops import attention, dropout


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


ATTENTION_PATHS = ("masked", "jagged")


def resolve_attention(name: str, device: torch.device) -> str:
    """``run.attention`` on ``device``: auto = jagged (no matmul touches a pad; on CUDA the attention is a
    nested-tensor SDPA that can use the flash kernels, on CPU a padded one over the longest sequence)."""
    if name == "auto":
        return "jagged"
    if name not in ATTENTION_PATHS:
        raise TrainerError(f"unknown --run.attention {name!r} (auto, masked, jagged)")
    return name


class Packing(NamedTuple):
    """Where the real tokens of a padded (B, T) micro-batch go in the packed (N, H) stream: ``index`` (N,)
    flat positions into B*T (row-major), ``offsets`` (B+1,) sequence starts in the stream, ``max_len`` the
    longest sequence (a host int: the nested tensor needs it and must not read it from the device);
    for the padded attention of CPU, ``dense`` (N,) flat positions into B*max_len and ``key_mask``
    (B, 1, 1, max_len), True = a real key (None when every sequence is max_len long)."""

    index: torch.Tensor
    offsets: torch.Tensor
    max_len: int
    dense: torch.Tensor | None = None
    key_mask: torch.Tensor | None = None


def pack_batch(ids: np.ndarray, pad_id: int, device: torch.device) -> Packing:
    """The ``Packing`` of right-padded host ids (B, T), built on the host and copied without waiting for
    the device."""
    keep = ids != pad_id
    lens = keep.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    index = np.flatnonzero(keep.ravel()).astype(np.int64)
    max_len = int(lens.max(initial=0))
    dense = (index // ids.shape[1]) * max_len + index % ids.shape[1]
    key_mask = np.arange(max_len)[None, :] < lens[:, None]

    def move(a: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(a)
        return t.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else t

    mask = None if bool(key_mask.all()) else move(key_mask[:, None, None, :])
    return Packing(move(index), move(offsets), max_len, move(dense), mask)


def jagged_attention(
    qkv: torch.Tensor, heads: int, p: Packing, p_drop: float, *, nested: bool | None = None
) -> torch.Tensor:
    """Attention of the packed projections ``qkv`` (N, 3*H), each sequence over itself; returns (N, H).
    ``nested`` (default: off CPU): SDPA over nested jagged tensors, no mask, so the flash / memory-efficient
    kernels can run. Otherwise (CPU, where nested SDPA is a slow fallback): the rows scattered into
    (B, max_len) blocks with a key mask, ``ops.attention``, and the real rows gathered back."""
    n, h = qkv.shape[0], qkv.shape[1] // 3
    if nested if nested is not None else qkv.device.type != "cpu":

        def nest(t: torch.Tensor) -> torch.Tensor:
            return torch.nested.nested_tensor_from_jagged(
                t.contiguous(), p.offsets, min_seqlen=1, max_seqlen=p.max_len
            ).transpose(1, 2)

        q, k, v = qkv.view(n, 3, heads, h // heads).unbind(1)  # (N, heads, d) each
        out = F.scaled_dot_product_attention(nest(q), nest(k), nest(v), dropout_p=p_drop)
        return out.transpose(1, 2).values().reshape(n, h)
    b, t, d = p.offsets.shape[0] - 1, p.max_len, h // heads
    # head-major (3*heads, N, d) so that the scattered q/k/v are contiguous (heads*B, L, d) batches
    heads_first = qkv.view(n, 3 * heads, d).transpose(0, 1)
    padded = qkv.new_zeros(3 * heads, b * t, d).index_copy(1, p.dense, heads_first)
    q, k, v = padded.view(3, heads * b, t, d).unbind(0)
    mask = None if p.key_mask is None else p.key_mask.view(1, b, 1, t).expand(heads, b, 1, t)
    out = attention(q, k, v, None if mask is None else mask.reshape(heads * b, 1, t), p_drop)
    return out.view(heads, b * t, d).index_select(1, p.dense).transpose(0, 1).reshape(n, h)


class Embeddings(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.pad_id = cfg.pad_id
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden, padding_idx=cfg.pad_id)
        self.position_embeddings = nn.Embedding(cfg.max_positions, cfg.hidden, padding_idx=cfg.pad_id)
        self.LayerNorm = nn.LayerNorm(cfg.hidden, eps=cfg.layer_norm_eps)
        self.p_drop = cfg.dropout

    def forward(self, ids: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, H) states of ids (B, T); with ``index`` (N,) flat positions, only those tokens' (N, H)."""
        pos = position_ids(ids, self.pad_id)
        if index is not None:
            ids, pos = ids.reshape(-1)[index], pos.reshape(-1)[index]
        x = self.word_embeddings(ids) + self.position_embeddings(pos)
        return dropout(self.LayerNorm(x), self.p_drop, self.training)


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
        self.p_drop = cfg.dropout

    def forward(
        self, x: torch.Tensor, attn_mask: torch.Tensor | None, packing: Packing | None = None
    ) -> torch.Tensor:
        """``x`` (B, T, H) with ``attn_mask``, or packed (N, H) with ``packing`` (the jagged path)."""
        p = self.attn_dropout if self.training else 0.0
        h = x.shape[-1]
        qkv = self.qkv(x)
        if packing is not None:
            a = jagged_attention(qkv, self.heads, packing, p)
        else:
            b, t, _ = x.shape
            q, k, v = qkv.view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
            a = attention(q, k, v, attn_mask, p).transpose(1, 2).reshape(b, t, h)
        x = self.attn_ln(x + dropout(self.attn_out(a), self.p_drop, self.training))
        y = self.fc2(F.gelu(self.fc1(x)))
        return self.ffn_ln(x + dropout(y, self.p_drop, self.training))


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

    def encode(
        self, ids: torch.Tensor, attn_mask: torch.Tensor | None = None, packing: Packing | None = None
    ) -> torch.Tensor:
        """Hidden states (B, T, H); with ``packing``, the packed real tokens' states (N, H) instead.
        ``attn_mask`` is a bool (B, 1, 1, T) key mask (True = attend) or None (masked path only)."""
        x = self.embeddings(ids, None if packing is None else packing.index)
        for layer in self.layers:
            x = layer(x, attn_mask, packing)
        return x

    def forward(
        self,
        ids: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        nsp_labels: torch.Tensor | None = None,
        capacity: int | None = None,
        packing: Packing | None = None,
    ) -> torch.Tensor:
        """Logits for every position (B, T, V); with ``labels``, the MLM loss sum (see ``mlm_loss``);
        with ``nsp_labels`` too, the pair (MLM sum, NSP sum) of ``trainer.nsp.mlm_nsp_loss``.
        Training goes through ``forward`` so that DistributedDataParallel's hooks see the call."""
        if nsp_labels is not None:
            return mlm_nsp_loss(self, ids, labels, nsp_labels, attn_mask, capacity, packing)
        if labels is not None:
            return self.mlm_loss(ids, labels, attn_mask, capacity, packing)
        return self.lm_head(self.encode(ids, attn_mask), self.embeddings.word_embeddings.weight)

    def mlm_loss(
        self,
        ids: torch.Tensor,
        labels: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
        capacity: int | None = None,
        packing: Packing | None = None,
    ) -> torch.Tensor:
        """Summed cross-entropy over masked positions (labels != -100); the caller normalises by the
        masked-token count of the whole step, so micro-batches and ranks weigh every token equally."""
        h = self.encode(ids, attn_mask, packing)
        return self.masked_lm_sum(h, flat_labels(labels, packing), capacity)

    def masked_lm_sum(self, h: torch.Tensor, labels: torch.Tensor, capacity: int | None) -> torch.Tensor:
        """The MLM head on a fixed number of positions of ``h`` (.., H) with flat ``labels`` (N,): the
        masked ones first in their order (a stable sort), padded with unmasked rows whose label is the
        ignore index, so the sum equals the head over exactly the masked positions while shapes stay
        static (no ``nonzero``). ``capacity`` None = every position. Masked positions past ``capacity``
        are left out (the loop counts them: ``masking.mlm_capacity`` makes that vanishingly rare)."""
        h = h.reshape(-1, h.shape[-1])
        n = h.shape[0]
        cap = n if capacity is None else min(capacity, n)
        order = torch.sort(labels.eq(-100).to(torch.uint8), stable=True).indices[:cap]
        logits = self.lm_head(h[order], self.embeddings.word_embeddings.weight)
        return F.cross_entropy(logits.float(), labels[order], ignore_index=-100, reduction="sum")


def flat_labels(labels: torch.Tensor, packing: Packing | None) -> torch.Tensor:
    """(B, T) labels as the flat (N,) labels of the hidden states ``encode`` returns."""
    flat = labels.reshape(-1)
    return flat if packing is None else flat[packing.index]


def first_states(h: torch.Tensor, packing: Packing | None) -> torch.Tensor:
    """The ``<s>`` state (B, H) of every sequence, padded (B, T, H) or packed (N, H) hidden states."""
    return h[:, 0] if packing is None else h[packing.offsets[:-1]]


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
