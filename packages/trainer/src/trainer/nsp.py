"""Next-sentence-prediction head and loss (BERT; paper §4.2, the +NSP rows of Table 2).

BERT's pooler (dense + tanh on the ``<s>`` state) followed by a 2-way classifier. The head lives on the
``Roberta`` model as ``nsp_head`` only when ``ModelConfig.nsp`` is set, so MLM-only checkpoints keep their
exact state dict; HF export ignores it (a ``RobertaForMaskedLM`` has no NSP head).

Usage: ``mlm_sum, nsp_sum = mlm_nsp_loss(model, ids, labels, nsp_labels, attn_mask)``
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class NSPHead(nn.Module):
    """pooler(dense -> tanh on ``<s>``) -> linear(hidden, 2)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, 2)

    def forward(self, first: torch.Tensor) -> torch.Tensor:
        """NSP logits (B, 2) from the ``<s>`` states (B, H)."""
        return self.classifier(torch.tanh(self.pooler(first)))


def mlm_nsp_loss(
    model: nn.Module,
    ids: torch.Tensor,
    labels: torch.Tensor,
    nsp_labels: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    capacity: int | None = None,
    packing: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(MLM cross-entropy summed over masked positions, NSP cross-entropy summed over sequences), from one
    encoder pass (either attention path, the head on ``capacity`` positions as in ``Roberta.mlm_loss``).
    The caller normalises each by its count over the whole step (masked tokens, sequences)."""
    from trainer.model import first_states, flat_labels

    if getattr(model, "nsp_head", None) is None:
        raise ValueError("model has no NSP head (set model.nsp=true)")
    h = model.encode(ids, attn_mask, packing)
    mlm = model.masked_lm_sum(h, flat_labels(labels, packing), capacity)
    nsp = F.cross_entropy(model.nsp_head(first_states(h, packing)).float(), nsp_labels, reduction="sum")
    return mlm, nsp
