"""Hugging Face interop: export a native checkpoint as a ``RobertaForMaskedLM`` folder (``config.json``,
``model.safetensors``, tokenizer files) and import an HF RoBERTa folder to start training from it.

The native model differs from HF's only by a fused ``qkv`` projection and by having no token-type embedding
(RoBERTa uses a single type): export splits ``qkv`` and writes a zero type embedding; import folds type 0 into
the position embeddings, which is exact because both are added to every position.

Usage: ``export_hf(Path("run/checkpoints/step_00001000"), Path("hf/"))``
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from common import atomic_path, write_json_atomic

from trainer.checkpoint import load_weights, model_config
from trainer.config import ModelConfig
from trainer.errors import TrainerError

_LAYER = {  # native per-layer name -> HF name (under roberta.encoder.layer.{i}.)
    "attn_out": "attention.output.dense",
    "attn_ln": "attention.output.LayerNorm",
    "fc1": "intermediate.dense",
    "fc2": "output.dense",
    "ffn_ln": "output.LayerNorm",
}
_TOP = {  # native name -> HF name
    "embeddings.word_embeddings.weight": "roberta.embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight": "roberta.embeddings.position_embeddings.weight",
    "embeddings.LayerNorm.weight": "roberta.embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias": "roberta.embeddings.LayerNorm.bias",
    "lm_head.dense.weight": "lm_head.dense.weight",
    "lm_head.dense.bias": "lm_head.dense.bias",
    "lm_head.layer_norm.weight": "lm_head.layer_norm.weight",
    "lm_head.layer_norm.bias": "lm_head.layer_norm.bias",
    "lm_head.bias": "lm_head.bias",
}
_SPECIALS = ("bos", "pad", "eos")
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json")  # docs/formats.md §2


def hf_config(cfg: ModelConfig, specials: dict[str, int] | None = None) -> dict:
    """``config.json`` contents of a RobertaForMaskedLM equivalent to ``cfg``."""
    sp = {"bos": 0, "pad": cfg.pad_id, "eos": 2, **(specials or {})}
    return {
        "architectures": ["RobertaForMaskedLM"],
        "model_type": "roberta",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden,
        "num_hidden_layers": cfg.layers,
        "num_attention_heads": cfg.heads,
        "intermediate_size": cfg.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": cfg.dropout,
        "attention_probs_dropout_prob": cfg.attn_dropout,
        "max_position_embeddings": cfg.max_positions,
        "type_vocab_size": 1,
        "initializer_range": cfg.init_std,
        "layer_norm_eps": cfg.layer_norm_eps,
        "pad_token_id": sp["pad"],
        "bos_token_id": sp["bos"],
        "eos_token_id": sp["eos"],
        "tie_word_embeddings": True,
    }


def to_hf_state(state: dict[str, torch.Tensor], cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """Native state dict -> HF RobertaForMaskedLM state dict (fp32, contiguous, no shared storage)."""
    out = {hf: state[native] for native, hf in _TOP.items()}
    out["roberta.embeddings.token_type_embeddings.weight"] = torch.zeros(1, cfg.hidden)
    for i in range(cfg.layers):
        pre, hf = f"layers.{i}.", f"roberta.encoder.layer.{i}."
        for part in ("weight", "bias"):
            q, k, v = state[f"{pre}qkv.{part}"].chunk(3, dim=0)
            for name, t in (("query", q), ("key", k), ("value", v)):
                out[f"{hf}attention.self.{name}.{part}"] = t
            for native, hf_name in _LAYER.items():
                out[f"{hf}{hf_name}.{part}"] = state[f"{pre}{native}.{part}"]
    return {k: v.detach().float().contiguous().clone() for k, v in out.items()}


def from_hf_state(hf: dict[str, torch.Tensor], cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """HF RoBERTa state dict -> native state dict (inverse of ``to_hf_state``)."""
    try:
        state = {native: hf[name] for native, name in _TOP.items()}
        tte = hf["roberta.embeddings.token_type_embeddings.weight"][0]
        state["embeddings.position_embeddings.weight"] = state["embeddings.position_embeddings.weight"] + tte
        for i in range(cfg.layers):
            pre, h = f"layers.{i}.", f"roberta.encoder.layer.{i}."
            for part in ("weight", "bias"):
                state[f"{pre}qkv.{part}"] = torch.cat(
                    [hf[f"{h}attention.self.{n}.{part}"] for n in ("query", "key", "value")]
                )
                for native, hf_name in _LAYER.items():
                    state[f"{pre}{native}.{part}"] = hf[f"{h}{hf_name}.{part}"]
    except KeyError as e:
        raise TrainerError(f"not a RoBERTa masked-LM checkpoint: missing tensor {e}") from None
    return {k: v.float().contiguous() for k, v in state.items()}


def export_hf(checkpoint: Path, out: Path, tokenizer_dir: Path | None = None, *, trust: bool = False) -> Path:
    """Write ``out/`` as an HF RobertaForMaskedLM folder from a native checkpoint; return ``out``.

    Reads only the checkpoint's ``meta.json`` and checksum-verified ``model.safetensors`` (a v1 pickle only
    with ``trust``). Tokenizer files come from ``tokenizer_dir`` or, by default, the checkpoint's record.
    """
    from safetensors.torch import save_file

    meta, weights = load_weights(checkpoint, trust=trust)
    cfg = model_config(meta)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tensors = to_hf_state(weights, cfg)
    with atomic_path(out / "model.safetensors") as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt"})
    write_json_atomic(out / "config.json", hf_config(cfg, meta.get("specials")))
    tok = tokenizer_dir or meta.get("tokenizer_dir")
    if tok:
        copy_tokenizer(Path(tok), out, model_max_length=cfg.max_positions - cfg.pad_id - 1)
    return out


def copy_tokenizer(src: Path, out: Path, model_max_length: int) -> None:
    """Copy the §2 tokenizer files; add a ``tokenizer_config.json`` if the folder has none."""
    if not any((src / name).is_file() for name in TOKENIZER_FILES):
        raise TrainerError(f"tokenizer folder {src} has no tokenizer files ({', '.join(TOKENIZER_FILES)})")
    for name in (*TOKENIZER_FILES, "tokenizer_config.json", "special_tokens_map.json"):
        if (src / name).is_file():
            with atomic_path(out / name) as tmp:
                shutil.copyfile(src / name, tmp)
    if not (src / "tokenizer_config.json").is_file():
        write_json_atomic(
            out / "tokenizer_config.json",
            {"tokenizer_class": "RobertaTokenizer", "model_max_length": model_max_length},
        )


def import_hf(folder: Path, dropout: float | None = None) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """Read an HF RoBERTa folder (``config.json`` + ``model.safetensors``) as (ModelConfig, native state)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    cfg_path, weights = folder / "config.json", folder / "model.safetensors"
    if not cfg_path.is_file() or not weights.is_file():
        raise TrainerError(f"{folder} is not an HF RoBERTa folder (needs config.json and model.safetensors)")
    try:
        hc = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrainerError(f"{cfg_path}: not JSON: {e}") from None
    if not isinstance(hc, dict):
        raise TrainerError(f"{cfg_path}: not an HF config (a JSON object)")
    if hc.get("model_type") not in ("roberta", None) or hc.get("hidden_act", "gelu") != "gelu":
        raise TrainerError(
            f"{folder}: unsupported model (model_type={hc.get('model_type')}, "
            f"hidden_act={hc.get('hidden_act')})"
        )
    try:
        cfg = _import_config(hc, dropout)
    except (KeyError, TypeError, ValueError) as e:
        raise TrainerError(f"{cfg_path}: missing or bad field {e}") from None
    try:
        state = load_file(str(weights))
    except Exception as e:  # safetensors' own error type: a damaged file
        raise TrainerError(
            f"{weights}: not a readable safetensors file: {' '.join(str(e).split())}"
        ) from None
    return cfg, from_hf_state(state, cfg)


def _import_config(hc: dict, dropout: float | None) -> ModelConfig:
    """``ModelConfig`` of an HF RoBERTa ``config.json`` (``dropout`` overrides both dropouts)."""
    return ModelConfig(
        vocab_size=hc["vocab_size"],
        hidden=hc["hidden_size"],
        layers=hc["num_hidden_layers"],
        heads=hc["num_attention_heads"],
        ffn=hc["intermediate_size"],
        max_positions=hc["max_position_embeddings"],
        pad_id=hc.get("pad_token_id", 1),
        layer_norm_eps=hc.get("layer_norm_eps", 1e-5),
        dropout=hc.get("hidden_dropout_prob", 0.1) if dropout is None else dropout,
        attn_dropout=hc.get("attention_probs_dropout_prob", 0.1) if dropout is None else dropout,
    )
