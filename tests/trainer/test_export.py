"""HF interop: exported folders load in transformers with equal logits; import round-trips exactly."""

from __future__ import annotations

from pathlib import Path

import torch
from trainer.checkpoint import load_checkpoint, save_checkpoint
from trainer.config import ModelConfig
from trainer.export import export_hf, import_hf
from trainer.model import Roberta

CFG = ModelConfig(vocab_size=300, hidden=32, layers=2, heads=4, ffn=64, max_positions=40)


def make_ckpt(tmp: Path, tok: Path | None = None) -> tuple[Roberta, Path]:
    torch.manual_seed(0)
    model = Roberta(CFG).eval()
    with torch.no_grad():  # non-trivial biases/LayerNorms so a wrong mapping cannot hide
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    meta = {"model": CFG.__dict__, "tokenizer_dir": str(tok) if tok else None}
    path = save_checkpoint(tmp / "run", 7, {"model": model.state_dict()}, meta)
    return model, path


def ids_batch() -> torch.Tensor:
    ids = torch.randint(4, 299, (3, 24), generator=torch.Generator().manual_seed(1))
    ids[:, 0], ids[:, -1] = 0, 2
    ids[1, 15:] = 1  # a padded row
    return ids


def test_export_logits_match_transformers(tmp_path: Path) -> None:
    from transformers import RobertaForMaskedLM

    model, ckpt = make_ckpt(tmp_path)
    out = export_hf(ckpt, tmp_path / "hf")
    assert {"config.json", "model.safetensors"} <= {p.name for p in out.iterdir()}
    hf = RobertaForMaskedLM.from_pretrained(out).eval()
    ids = ids_batch()
    with torch.no_grad():
        ours = model(ids, attn_mask=ids.ne(1)[:, None, None, :])
        theirs = hf(input_ids=ids, attention_mask=ids.ne(1).long()).logits
    keep = ids.ne(1)
    assert (ours[keep] - theirs[keep]).abs().max() < 1e-5


def test_import_round_trip(tmp_path: Path) -> None:
    model, ckpt = make_ckpt(tmp_path)
    cfg, state = import_hf(export_hf(ckpt, tmp_path / "hf"))
    assert cfg.hidden == CFG.hidden and cfg.vocab_size == CFG.vocab_size and cfg.max_positions == 40
    back = Roberta(cfg).eval()
    back.load_state_dict(state)
    ids = ids_batch()
    with torch.no_grad():
        assert torch.allclose(back(ids), model(ids), atol=1e-6)
    assert load_checkpoint(ckpt).step == 7


def test_padding_does_not_change_real_positions() -> None:
    torch.manual_seed(0)
    model = Roberta(CFG).eval()
    ids = ids_batch()[1:2]
    with torch.no_grad():
        full = model(ids, attn_mask=ids.ne(1)[:, None, None, :])[0, :15]
        short = model(ids[:, :15])[0]
    assert torch.allclose(full, short, atol=1e-5)


def test_mlm_loss_equals_full_head_reference() -> None:
    torch.manual_seed(0)
    model = Roberta(CFG).eval()
    ids = ids_batch()
    labels = torch.full_like(ids, -100)
    labels[:, 3:9] = ids[:, 3:9]
    with torch.no_grad():
        fast = model(ids, labels=labels)  # head on masked positions only
        logits = model(ids)
        ref = torch.nn.functional.cross_entropy(logits.view(-1, 300), labels.view(-1), reduction="sum")
    assert torch.allclose(fast, ref, rtol=1e-5)


def test_import_a_transformers_saved_model(tmp_path: Path) -> None:
    """A folder written by transformers itself (random weights, two token types) imports with equal logits:
    the type-0 embedding is folded into the positions."""
    from transformers import RobertaConfig, RobertaForMaskedLM

    torch.manual_seed(3)
    hf_cfg = RobertaConfig(
        vocab_size=300,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=40,
        type_vocab_size=2,
        layer_norm_eps=1e-5,
    )
    hf = RobertaForMaskedLM(hf_cfg).eval()
    with torch.no_grad():
        hf.roberta.embeddings.token_type_embeddings.weight.normal_()
        hf.lm_head.bias.normal_()
    hf.save_pretrained(tmp_path / "hf")
    cfg, state = import_hf(tmp_path / "hf")
    ours = Roberta(cfg).eval()
    ours.load_state_dict(state)
    ids = ids_batch()
    with torch.no_grad():
        theirs = hf(input_ids=ids, attention_mask=ids.ne(1).long()).logits
        mine = ours(ids, attn_mask=ids.ne(1)[:, None, None, :])
    keep = ids.ne(1)
    assert (mine[keep] - theirs[keep]).abs().max() < 1e-5
