"""Next-sentence-prediction head and loss (BERT; paper §4.2, the +NSP rows of Table 2).

BERT's pooler (dense + tanh on the ``<s>`` state) followed by a 2-way classifier. The head lives on the
``Roberta`` model as ``nsp_head`` only when ``ModelConfig.nsp`` is set, so MLM-only checkpoints keep their
exact state dict; HF export ignores it (a ``RobertaForMaskedLM`` has no NSP head).

Usage: ``mlm_sum, nsp_sum = mlm_nsp_loss(model, ids, labels, nsp_labels, attn_mask)``
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class NSPHead(nn.Module):
    """pooler(dense -> tanh on ``<s>``) -> linear(hidden, 2)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, 2)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.tanh(self.pooler(h[:, 0])))


def mlm_nsp_loss(
    model: nn.Module,
    ids: torch.Tensor,
    labels: torch.Tensor,
    nsp_labels: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(MLM cross-entropy summed over masked positions, NSP cross-entropy summed over sequences), from one
    encoder pass. The caller normalises each by its count over the whole step (masked tokens, sequences)."""
    if getattr(model, "nsp_head", None) is None:
        raise ValueError("model has no NSP head (set model.nsp=true)")
    h = model.encode(ids, attn_mask)
    sel = labels.ne(-100)
    logits = model.lm_head(h[sel], model.embeddings.word_embeddings.weight)
    mlm = F.cross_entropy(logits.float(), labels[sel], reduction="sum")
    nsp = F.cross_entropy(model.nsp_head(h).float(), nsp_labels, reduction="sum")
    return mlm, nsp
