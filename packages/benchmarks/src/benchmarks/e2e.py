"""One command for the whole chain on small real data: WARCs -> corpus -> BPE -> shards -> MLM -> finetune+score.

Each stage runs the real user-facing command (``corpus``, ``tok``, ``python -m trainer``, ``bench``) in a
subprocess, exactly as a user would type it, so the end-to-end run exercises the CLIs and the on-disk contracts
between packages rather than in-process shortcuts. Stages whose outputs already exist are re-run by their own
resumable commands, so re-running after an interruption continues rather than restarts.

Usage: ``uv run roberta-e2e --out runs/e2e``  (uses $ROBERTA_SAMPLE_DATA or ../shared/data)
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import ENV_VAR, Parser, sample_data_dir


class E2EError(RuntimeError):
    """A stage failed or an input is missing; the message is one line for the user."""


@dataclass(frozen=True, kw_only=True)
class E2EConfig:
    """Sizes of the small end-to-end run; defaults finish in a few minutes on 2 CPU cores."""

    month_from: str = "2016-09"
    month_to: str = "2019-02"
    vocab_size: int = 2000  # a small BPE: the corpus is ~200 articles; 50,265 needs far more text
    train_steps: int = 300  # ~2 passes over the ~140-article corpus; ~1 min on 2 cores
    batch_size: int = 16
    seq_len: int = 128
    glue_task: str = "sst2"


def _script(name: str) -> list[str]:
    """The console script ``name`` installed beside this interpreter (what ``uv run NAME`` runs)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise E2EError(
            f"command {name!r} not installed next to {sys.executable}; run `uv sync --all-packages`"
        )
    return [str(path)]


def _stage(name: str, cmd: list[str]) -> float:
    """Run one stage's command with its own progress output; raise E2EError on failure."""
    print(f"\n== {name}: {shlex.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    if rc != 0:
        raise E2EError(f"stage {name!r} failed (exit {rc}): {shlex.join(cmd)}")
    return time.perf_counter() - t0


def _inputs(data: Path) -> dict[str, Path]:
    inputs = {"warcs": data / "cc_news_mirror", "glue": data / "glue"}
    for key, path in inputs.items():
        if not path.exists():
            raise E2EError(f"missing input {key}: {path}")
    return inputs


def stage_commands(out: Path, data: Path, cfg: E2EConfig) -> list[tuple[str, list[str]]]:
    """The chain as (stage name, argv) pairs; each stage reads only the previous stages' artifacts."""
    inp = _inputs(data)
    corpus_dir, tok_dir, shards = out / "corpus", out / "tokenizer", out / "shards"
    run_dir, hf_dir, results = out / "train", out / "hf", out / "results"
    trainer = [sys.executable, "-m", "trainer"]
    # argv lists read best as flag/value pairs, so keep the formatter from exploding them one per line
    # fmt: off
    return [
        ("corpus", _script("corpus") + [
            "build", "cc-news", "--from", cfg.month_from, "--to", cfg.month_to,
            "--source", str(inp["warcs"]), "--output", str(corpus_dir)]),
        ("tok-train", _script("tok") + [
            "train", "--input", str(corpus_dir), "--vocab-size", str(cfg.vocab_size), "--output", str(tok_dir)]),
        ("tok-encode", _script("tok") + [
            "encode", "--tokenizer", str(tok_dir), "--input", str(corpus_dir), "--output", str(shards),
            "--valid-fraction", "0.1"]),
        ("train", trainer + [
            "--preset", "tiny", "--data", str(shards), "--tokenizer", str(tok_dir), "--out", str(run_dir),
            "--batch-size", str(cfg.batch_size), "--max-steps", str(cfg.train_steps),
            f"--data.seq_len={cfg.seq_len}", "--resume"]),
        ("plot", trainer + ["plot", str(run_dir), "--out", str(run_dir / "curves.png")]),
        ("export", trainer + ["export", "--checkpoint", str(run_dir), "--out", str(hf_dir)]),
        ("finetune", _script("bench") + [
            "glue", "--checkpoint", str(hf_dir), "--tasks", cfg.glue_task, "--data", str(inp["glue"]),
            "--out", str(results), "--quick"]),
        ("report", _script("bench") + ["report", str(results), "--png", str(results / "scores.png"), "--size", "base"]),
    ]
    # fmt: on


def run(out: Path, cfg: E2EConfig) -> dict[str, Path]:
    """Run every stage in order; return the artifact folders by stage."""
    data = sample_data_dir()
    if data is None:
        raise E2EError(f"sample data not found: set {ENV_VAR} or place it at ../shared/data")
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"inputs: WARCs {data / 'cc_news_mirror'} (months {cfg.month_from}..{cfg.month_to}), "
        f"GLUE {data / 'glue' / 'SST-2'}",
        flush=True,
    )
    timings = {name: _stage(name, cmd) for name, cmd in stage_commands(out, data, cfg)}
    artifacts = {
        "corpus": out / "corpus",
        "tokenizer": out / "tokenizer",
        "shards": out / "shards",
        "checkpoints": out / "train",
        "loss-curves": out / "train" / "curves.png",
        "hf-export": out / "hf",
        "results": out / "results",
        "score-chart": out / "results" / "scores.png",
    }
    print("\nartifacts:")
    for name, path in artifacts.items():
        print(f"  {name:12s} {path}")
    print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return artifacts


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="roberta-e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/e2e"), help="folder for every artifact")
    parser.add_argument("--train-steps", type=int, default=E2EConfig.train_steps)
    args = parser.parse_args(argv)
    try:
        run(args.out, E2EConfig(train_steps=args.train_steps))
    except E2EError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
