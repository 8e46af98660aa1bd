"""``bench paper``: rerun one of the paper's comparisons (Tables 1-4) at an affordable scale.

For every row of the table: pretrain its variant with the project's trainer (in-process, resumable: a
finished run is reused, a stopped one resumes from its checkpoint), score held-out MLM perplexity on the same
FULL-SENTENCES validation blocks for every row, finetune the checkpoint on the GLUE tasks of the scale
(``benchmarks.tasks.glue.run_glue``, itself resumable per cell), and write ``OUT/table{N}-{scale}.{json,md}`` with
our numbers beside the paper's, plus ``table{N}-{scale}.png``: held-out perplexity against tokens seen.

Usage: ``run_paper("2", "tiny", corpus=Path("shards"), tokenizer=Path("tok"), glue=Path("glue"), out=Path("p"))``
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from common import OverrideError, check_settings, set_field, write_json_atomic

from benchmarks.errors import BenchError
from benchmarks.paper.data import subset_corpus
from benchmarks.paper.spec import SCALES, TABLES, Row, Scale, Table

SETTINGS = "paper-settings.json"  # in a run folder: the settings its finished run was trained with


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
    from trainer import BlockDataset, full_sentences_lengths, matched_batch_size

    ds = BlockDataset.open(corpus, "train", seq_len=scale.seq_len, fmt=row.format)
    full_mean = float(full_sentences_lengths(ds.shards, scale.seq_len).mean())
    micro = min(scale.micro_batch, row.batch(scale))
    return matched_batch_size(ds, full_mean, row.batch(scale), multiple=micro)


def _typed(value: Any, hint: Any, key: str) -> Any:
    """``value`` for a field annotated ``hint``: a path for a str field is its string, an int for a float
    field its float; any other type mismatch is an ``OverrideError``."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, hint):
        raise OverrideError(f"bad value for --{key}: {value!r} (expected {hint.__name__})")
    return value


def with_values(cfg: Any, values: Mapping[str, Any]) -> Any:
    """The trainer ``Config`` ``cfg`` with each ``section.field`` set (``dataclasses.replace``): typed values as
    they are, strings (CLI extras) typed by the field like ``--section.field=value`` (``common.set_field``)."""
    for key, value in values.items():
        if isinstance(value, str):
            cfg = set_field(cfg, key, value)
            continue
        section, _, name = key.partition(".")
        sub = getattr(cfg, section, None)
        if not dataclasses.is_dataclass(sub) or name not in {f.name for f in dataclasses.fields(sub)}:
            raise OverrideError(f"unknown setting --{key} (use --section.field with a trainer config field)")
        hint = typing.get_type_hints(type(sub))[name]
        sub = dataclasses.replace(sub, **{name: _typed(value, hint, key)})
        cfg = dataclasses.replace(cfg, **{section: sub})
    return cfg


def row_config(
    row: Row, scale: Scale, corpus: Path, tokenizer: Path, run_dir: Path, device: str, extra: dict[str, Any]
):
    """The trainer config of ``row``: scale preset + row values + data/output paths (+ user extras)."""
    from trainer import preset

    values = row.overrides(scale)
    if row.match_tokens:
        values["optim.batch_size"] = matched_batch(row, scale, corpus)
    values.update(
        {"data.data": corpus, "data.tokenizer": tokenizer, "run.out": run_dir, "run.device": device}
    )
    values.update(extra)
    return with_values(preset(scale.preset), values)


def _check_finished(run_dir: Path, key: dict[str, Any]) -> Path:
    """The checkpoint of the finished run in ``run_dir``; ``BenchError`` if it was trained with other settings."""
    record = json.loads((run_dir / "done.json").read_text())
    if not (run_dir / SETTINGS).is_file() and "key" in record:  # finished before the settings file existed
        write_json_atomic(run_dir / SETTINGS, record["key"])
    check_settings(
        run_dir / SETTINGS,
        key,
        what="a finished run",
        flag="--out",
        error=BenchError,
        record=False,
        mismatch="other settings",
    )
    return Path(record["checkpoint"])


def pretrain(cfg, log: Callable[[str], None]) -> Path:
    """Train ``cfg`` to its last step (resuming a stopped run); return the final checkpoint folder."""
    from trainer import list_checkpoints, train

    run_dir = Path(cfg.run.out)
    key = _run_key(cfg)
    if (run_dir / "done.json").is_file():
        return _check_finished(run_dir, key)
    resume = bool(list_checkpoints(run_dir))
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, resume=resume))
    log(
        f"pretraining {run_dir.parent.name}/{run_dir.name}: batch {cfg.optim.batch_size}, {cfg.optim.max_steps} steps, "
        f"lr {cfg.optim.lr:g}, format {cfg.data.format}" + (" (resuming)" if resume else "")
    )
    result = train(cfg)
    ckpt = result.checkpoint or list_checkpoints(run_dir)[-1]
    write_json_atomic(run_dir / SETTINGS, key)
    write_json_atomic(run_dir / "done.json", {"checkpoint": str(ckpt), "step": result.step})
    return Path(ckpt)


def _run_key(cfg) -> dict[str, Any]:
    """The settings a finished run must match to be reused (all but how the run was driven)."""
    d = cfg.to_dict()
    d["run"] = {
        k: v
        for k, v in d["run"].items()
        if k not in ("resume", "progress", "threads", "device", "tensorboard")
    }
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


def finetune(
    ckpt: Path,
    scale: Scale,
    glue: Path | None,
    out: Path,
    log: Callable[[str], None],
    tensorboard: Path | None = None,
) -> dict:
    """Finetune ``ckpt`` on the scale's GLUE tasks that have data; {task: {score, metric, seeds}} (the score
    is the median over finetuning seeds, in percent)."""
    if glue is None:
        return {}
    from benchmarks.sweep import Recipe
    from benchmarks.tasks.glue import run_glue

    recipe = Recipe(
        batch_sizes=(scale.ft_batch,),
        lrs=(scale.ft_lr,),
        seeds=tuple(range(1, scale.ft_seeds + 1)),
        epochs=scale.ft_epochs,
        max_seq_len=scale.ft_seq_len,
        max_train_examples=scale.ft_train,
        max_eval_examples=scale.ft_dev,
    )
    from benchmarks.tasks.glue_data import MissingData

    scores = {}
    for task in scale.tasks:
        try:
            (r,) = run_glue(ckpt, [task], glue, out, recipe=recipe, log=log, tensorboard=tensorboard)
        except MissingData as e:  # e.g. MNLI/QQP train sets are not in the sample data
            log(f"{task}: skipped: no data ({e})")
            continue
        scores[task] = {"score": 100 * r.median, "metric": r.metric, "seeds": r.seeds}
    return scores


def _seed_run(
    row: Row, scale: Scale, seed: int, data: Path, tokenizer: Path, out: Path, ctx: dict[str, Any]
) -> dict[str, Any]:
    """Pretrain + score + finetune one (row, pretraining seed); its per-seed record."""
    extra = {**ctx["extra"], "run.seed": seed}
    board = ctx.get("tensorboard")
    if board is not None:
        extra["run.tensorboard"] = str(board / "pretrain" / row.key / f"seed{seed}")
    run_dir = out / "runs" / row.key / f"seed{seed}"
    cfg = row_config(row, scale, data, tokenizer, run_dir, ctx["device"], extra)
    ckpt = pretrain(cfg, ctx["log"])
    points = curve(run_dir)
    ft_board = board / "finetune" / row.key / f"seed{seed}" if board is not None else None
    scores = finetune(
        ckpt, scale, ctx["glue"], out / "finetune" / row.key / f"seed{seed}", ctx["log"], ft_board
    )
    return {
        "seed": seed,
        "checkpoint": str(ckpt),
        "tokens_seen": points[-1]["tokens"] if points else None,
        "valid_ppl": points[-1]["ppl"] if points else None,
        "curve": points,
        "scores": scores,
        "cfg": cfg,
    }


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
    seeds: Sequence[int] = (1,),
    tensorboard: Path | None = None,
) -> dict[str, Any]:
    """Pretrain + score + finetune one row for every pretraining seed; its record for the table JSON (mean ±
    sd over seeds, and each seed's numbers). An ``encoding`` row first trains its tokenizer on ``text`` and
    encodes it (``benchmarks.paper.data``)."""
    from benchmarks.paper.stats import aggregate

    vocab = None
    if row.encoding:
        from benchmarks.paper.data import build_encoding

        vocab = scale.enc_vocab[0 if row.encoding == "byte-bpe" else 1]
        corpus, tokenizer = build_encoding(
            row.encoding, vocab, text, out / "enc", valid_fraction=scale.enc_valid
        )
    assert corpus is not None and tokenizer is not None
    data = subset_corpus(corpus, out / "data" / f"frac{row.data_frac:g}", row.data_frac)
    ctx = {"extra": extra, "device": device, "glue": glue, "log": log, "tensorboard": tensorboard}
    per_seed = [_seed_run(row, scale, s, data, tokenizer, out, ctx) for s in seeds]
    cfg = per_seed[0].pop("cfg")
    for rec in per_seed[1:]:
        rec.pop("cfg")
    return {
        "key": row.key,
        "label": row.label,
        "format": cfg.data.format,
        "static_dupes": cfg.data.static_dupes,
        "batch_size": cfg.optim.batch_size,
        "steps": cfg.optim.max_steps,
        "lr": cfg.optim.lr,
        "data": str(data),
        "data_frac": row.data_frac,
        "tokens_seen": per_seed[0]["tokens_seen"],
        "curve": per_seed[0]["curve"],
        **aggregate(per_seed),
        "seeds": per_seed,
        "paper": row.paper,
        "paper_setting": row.paper_setting,
        "encoding": row.encoding or None,
        "vocab": vocab,
    }


def _check_inputs(
    table: str, corpus: Path | None, tokenizer: Path | None, glue: Path | None, text: Sequence[str]
) -> None:
    """One clear error for a missing or absent input of ``table``."""
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
    seeds: int | None = None,
    tensorboard: Path | None = None,
) -> Path:
    """Run every row of ``table`` at ``scale``; write JSON, markdown and PNG into ``out``; return the JSON.
    Tables 1-4 need ``corpus`` + ``tokenizer``; ``enc`` needs ``text`` (what ``tok train --input`` takes)."""
    from tqdm.auto import tqdm

    from benchmarks.paper.report import write_outputs

    spec, sc = resolve(table, scale)
    _check_inputs(table, corpus, tokenizer, glue, text)
    from trainer import TrainerError

    from benchmarks.paper.cost import estimate

    n_seeds = sc.seeds if seeds is None else seeds
    if n_seeds < 1:
        raise BenchError(f"--seeds must be >= 1, got {n_seeds}")
    log(estimate(spec, sc, n_seeds, tokenizer).describe())
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
                seeds=tuple(range(1, n_seeds + 1)),
                tensorboard=tensorboard,
            )
            for r in tqdm(spec.rows, desc=f"table {table} ({sc.name})", unit="row")
        ]
    except (TrainerError, OverrideError) as e:  # bad shards, tokenizer mismatch, bad override: one line
        raise BenchError(str(e)) from None
    return write_outputs(spec, sc, rows, out, n_seeds)
