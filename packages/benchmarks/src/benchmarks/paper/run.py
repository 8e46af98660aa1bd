"""``bench paper``: rerun one of the paper's comparisons (Tables 1-4) at an affordable scale.

For every row of the table: pretrain its variant with the project's trainer (in-process, resumable: a
finished run is reused, a stopped one resumes from its checkpoint), score held-out MLM perplexity on the same
FULL-SENTENCES validation blocks for every row, finetune the checkpoint on the GLUE tasks of the scale
(``benchmarks.glue.run_glue``, itself resumable per cell), and write ``OUT/table{N}-{scale}.{json,md}`` with
our numbers beside the paper's, plus ``table{N}-{scale}.png``: held-out perplexity against tokens seen.

Usage: ``run_paper("2", "tiny", corpus=Path("shards"), tokenizer=Path("tok"), glue=Path("glue"), out=Path("p"))``
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from common.fileio import write_json_atomic

from benchmarks.errors import BenchError
from benchmarks.paper_data import subset_corpus
from benchmarks.paper_spec import SCALES, TABLES, Row, Scale, Table


def resolve(table: str, scale: str | Scale) -> tuple[Table, Scale]:
    """The table and scale specs (a ``Scale`` passes through); one clear error for an unknown name."""
    if table not in TABLES:
        raise BenchError(f"unknown --table {table!r} (choose from {', '.join(TABLES)})")
    if isinstance(scale, Scale):
        return TABLES[table], scale
    if scale not in SCALES:
        raise BenchError(f"unknown --scale {scale!r} (choose from {', '.join(SCALES)})")
    return TABLES[table], SCALES[scale]


def matched_batch(row: Row, scale: Scale, corpus: Path) -> int:
    """SENTENCE-PAIR's batch: raised so tokens per step match FULL-SENTENCES on the same shards (§4.2)."""
    from trainer.data import BlockDataset
    from trainer.formats_doc import full_sentences_lengths, matched_batch_size

    ds = BlockDataset.open(corpus, "train", seq_len=scale.seq_len, fmt=row.format)
    full_mean = float(full_sentences_lengths(ds.shards, scale.seq_len).mean())
    micro = min(scale.micro_batch, row.batch(scale))
    return matched_batch_size(ds, full_mean, row.batch(scale), multiple=micro)


def row_config(
    row: Row, scale: Scale, corpus: Path, tokenizer: Path, run_dir: Path, device: str, extra: dict[str, Any]
):
    """The trainer config of ``row``: scale preset + row overrides + data/output paths (+ user extras)."""
    from trainer.config import apply_overrides, preset

    ov = row.overrides(scale)
    if row.match_tokens:
        ov["optim.batch_size"] = matched_batch(row, scale, corpus)
    ov.update({"data.data": corpus, "data.tokenizer": tokenizer, "run.out": run_dir, "run.device": device})
    ov.update(extra)
    return apply_overrides(preset(scale.preset), [f"--{k}={v}" for k, v in ov.items()])


def pretrain(cfg, log: Callable[[str], None]) -> Path:
    """Train ``cfg`` to its last step (resuming a stopped run); return the final checkpoint folder."""
    from trainer import train
    from trainer.checkpoint import list_checkpoints

    run_dir = Path(cfg.run.out)
    done = run_dir / "done.json"
    key = _run_key(cfg)
    if done.is_file():
        record = json.loads(done.read_text())
        if record.get("key") != key:
            raise BenchError(f"{run_dir} holds a finished run with other settings; use a new --out")
        return Path(record["checkpoint"])
    resume = bool(list_checkpoints(run_dir))
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, resume=resume))
    log(
        f"pretraining {run_dir.name}: batch {cfg.optim.batch_size}, {cfg.optim.max_steps} steps, "
        f"lr {cfg.optim.lr:g}, format {cfg.data.format}" + (" (resuming)" if resume else "")
    )
    result = train(cfg)
    ckpt = result.checkpoint or list_checkpoints(run_dir)[-1]
    write_json_atomic(done, {"checkpoint": str(ckpt), "step": result.step, "key": key})
    return Path(ckpt)


def _run_key(cfg) -> dict[str, Any]:
    """The settings a finished run must match to be reused (all but how the run was driven)."""
    d = cfg.to_dict()
    d["run"] = {k: v for k, v in d["run"].items() if k not in ("resume", "progress", "threads", "device")}
    return json.loads(json.dumps(d, default=str))


def curve(run_dir: Path) -> list[dict[str, float]]:
    """Held-out MLM loss/perplexity by tokens seen, from the run's ``metrics.jsonl``."""
    recs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
    tokens = {r["step"]: r["tokens_seen"] for r in recs if r["kind"] == "train"}
    out: dict[int, dict[str, float]] = {}
    for r in recs:
        if r["kind"] == "valid" and r["step"] in tokens:
            out[r["step"]] = {
                "step": r["step"],
                "tokens": tokens[r["step"]],
                "loss": r["loss"],
                "ppl": math.exp(min(r["loss"], 50.0)),
            }
    return [out[k] for k in sorted(out)]


def finetune(ckpt: Path, scale: Scale, glue: Path | None, out: Path, log: Callable[[str], None]) -> dict:
    """Finetune ``ckpt`` on the scale's GLUE tasks that have data; {task: {score, metric, seeds}}."""
    if glue is None:
        return {}
    from benchmarks.glue import run_glue
    from benchmarks.recipe import Recipe

    recipe = Recipe(
        batch_sizes=(scale.ft_batch,),
        lrs=(scale.ft_lr,),
        seeds=tuple(range(1, scale.ft_seeds + 1)),
        epochs=scale.ft_epochs,
        max_seq_len=scale.ft_seq_len,
        max_train_examples=scale.ft_train,
        max_eval_examples=scale.ft_dev,
    )
    from benchmarks.glue_data import MissingData

    scores = {}
    for task in scale.tasks:
        try:
            (r,) = run_glue(ckpt, [task], glue, out, recipe=recipe, log=log)
        except MissingData as e:  # e.g. MNLI/QQP train sets are not in the sample data
            log(f"{task}: skipped: no data ({e})")
            continue
        scores[task] = {"score": 100 * r.median, "metric": r.metric, "seeds": r.seeds}
    return scores


def run_row(
    row: Row,
    scale: Scale,
    *,
    corpus: Path | None,
    tokenizer: Path | None,
    glue: Path | None,
    out: Path,
    device: str,
    extra: dict[str, Any],
    log: Callable[[str], None],
    text: Sequence[str] = (),
) -> dict[str, Any]:
    """Pretrain + score + finetune one row; its record for the table JSON. An ``encoding`` row first trains
    its tokenizer on ``text`` and encodes it (``benchmarks.paper_enc``)."""
    vocab = None
    if row.encoding:
        from benchmarks.paper_enc import build_encoding

        vocab = scale.enc_vocab[0 if row.encoding == "byte-bpe" else 1]
        corpus, tokenizer = build_encoding(
            row.encoding, vocab, text, out / "enc", valid_fraction=scale.enc_valid
        )
    assert corpus is not None and tokenizer is not None
    data = subset_corpus(corpus, out / "data" / f"frac{row.data_frac:g}", row.data_frac)
    run_dir = out / "runs" / row.key
    cfg = row_config(row, scale, data, tokenizer, run_dir, device, extra)
    ckpt = pretrain(cfg, log)
    points = curve(run_dir)
    scores = finetune(ckpt, scale, glue, out / "finetune" / row.key, log)
    return {
        "key": row.key,
        "label": row.label,
        "checkpoint": str(ckpt),
        "format": cfg.data.format,
        "static_dupes": cfg.data.static_dupes,
        "batch_size": cfg.optim.batch_size,
        "steps": cfg.optim.max_steps,
        "lr": cfg.optim.lr,
        "data": str(data),
        "data_frac": row.data_frac,
        "tokens_seen": points[-1]["tokens"] if points else None,
        "valid_ppl": points[-1]["ppl"] if points else None,
        "curve": points,
        "scores": scores,
        "paper": row.paper,
        "paper_setting": row.paper_setting,
        "encoding": row.encoding or None,
        "vocab": vocab,
    }


def run_paper(
    table: str,
    scale: str | Scale,
    *,
    corpus: Path | None = None,
    tokenizer: Path | None = None,
    out: Path,
    glue: Path | None = None,
    text: Sequence[str] = (),
    device: str = "auto",
    extra: dict[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Run every row of ``table`` at ``scale``; write JSON, markdown and PNG into ``out``; return the JSON.
    Tables 1-4 need ``corpus`` + ``tokenizer``; ``enc`` needs ``text`` (what ``tok train --input`` takes)."""
    from tqdm.auto import tqdm

    from benchmarks.paper_report import write_outputs

    spec, sc = resolve(table, scale)
    if table == "enc" and not text:
        raise BenchError("--table enc trains its tokenizers: give the raw text with --text FILES")
    for path, what in ((corpus, "--corpus"), (tokenizer, "--tokenizer")):
        if table == "enc":
            break
        if path is None:
            raise BenchError(f"--table {table} needs {what}")
        if not Path(path).exists():
            raise BenchError(f"{what} {path} does not exist")
    if glue is not None and not Path(glue).is_dir():
        raise BenchError(f"--glue {glue} is not a folder")
    from trainer.errors import TrainerError

    out.mkdir(parents=True, exist_ok=True)
    try:
        rows = [
            run_row(
                r,
                sc,
                corpus=corpus,
                tokenizer=tokenizer,
                glue=glue,
                out=out,
                device=device,
                extra=extra or {},
                log=log,
                text=text,
            )
            for r in tqdm(spec.rows, desc=f"table {table} ({sc.name})", unit="row")
        ]
    except TrainerError as e:  # bad shards, tokenizer mismatch, bad override: the trainer's one-line error
        raise BenchError(str(e)) from None
    return write_outputs(spec, sc, rows, out)
