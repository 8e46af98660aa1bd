"""What every ``corpus build SOURCE`` (cc-news, openwebtext, stories) shares around its own stages.

- the output folder: shards, ``stats.json`` and ``config.json`` (resolved settings) at the top, every
  intermediate under ``WORK_DIR`` (``_work/``: datatrove's logs and completion markers, dedup files);
- ``record_settings``: refuse a folder built with other settings (its completion markers would be wrong),
  through ``common.check_settings``, then write ``config.json``;
- ``finish_stats``: assemble ``stats.json`` from the stages' per-task stats, with rates;
- the command-line pieces each ``build`` subcommand shares: executor flags and ``--executor.FIELD=V``.

Import-light (no datatrove), so the CLI can use it for ``--help``.

Usage: ``record_settings(out, "cc-news", cfg, ex_cfg)``; ...run the stages...;
``stats = finish_stats(out, listing, wall_s=time.time() - start, source=cfg.source)``
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
from pathlib import Path
from typing import Any

from common import apply_overrides, check_settings, stored_settings, write_json_atomic

from corpus.errors import CorpusError
from corpus.formats import write_stats

WORK_DIR = "_work"
CONFIG_FILE = "config.json"
SETTINGS_FILE = "settings.json"  # under WORK_DIR: the build settings the guard compares (not the executor's)


def record_settings(output: str | Path, kind: str, cfg: Any, executor: Any) -> dict[str, Any]:
    """Refuse ``output`` if it holds a build with other settings; write ``config.json``; return its content.

    Only the build settings must match: resuming with another executor or more workers is fine.
    """
    output = Path(output)
    build = {"kind": kind, **dataclasses.asdict(cfg)}
    if not (build.get("decontam") or {}).get("against"):
        build.pop("decontam", None)  # no decontamination: the settings of builds made before the option
    resolved = {"build": build, "executor": dataclasses.asdict(executor)}
    guard = output / WORK_DIR / SETTINGS_FILE
    if (
        not guard.is_file()
    ):  # a folder built before the guard file existed: its config.json holds the settings
        old = stored_settings(output / CONFIG_FILE)
        if isinstance(old, dict) and "build" in old:
            write_json_atomic(guard, old["build"])
    check_settings(guard, resolved["build"], what="a build", flag="--output", error=CorpusError)
    write_json_atomic(output / CONFIG_FILE, resolved)
    return resolved


def cpu_seconds() -> float:
    """CPU seconds of this process and its waited-for children (for callers measuring a run themselves)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def finish_stats(
    output: Path, listing: dict, *, wall_s: float, source: str, cpu_s: float | None = None
) -> dict[str, Any]:
    """Collect the stage stats, add rates, write ``stats.json`` via the contract writer, return it.

    ``cpu_s`` in the result is the CPU time of every task of every stage (from the per-task stats, so a resumed
    build counts the work of all its runs); the ``cpu_s`` argument is only a fallback for stages without the
    task clock. ``wall_s`` and ``docs_per_s`` are this run's.
    """
    from corpus.buildstats import collect_stats

    report = _decontamination_report(Path(output))
    key = report["index"]["key"] if report else None
    stats = {"source": source, **listing, **collect_stats(Path(output) / WORK_DIR / "logs", key)}
    if report:
        stats["decontamination"] = report
    if not stats["cpu_s"] and cpu_s:
        stats["cpu_s"] = round(cpu_s, 3)
    stats["wall_s"] = round(wall_s, 3)
    stats["docs_per_s"] = round(stats["html_pages"] / wall_s, 2) if wall_s > 0 else None
    cpu = stats["cpu_s"]
    stats["docs_per_s_per_core"] = round(stats["html_pages"] / cpu, 2) if cpu > 0 else None
    write_stats(output, stats)
    return stats


def _decontamination_report(output: Path) -> dict[str, Any] | None:
    """``output/decontamination.json`` (written by the build's decontamination stages), if any."""
    import json

    path = output / "decontamination.json"  # = corpus.decontam.REPORT_JSON (kept import-light here)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def add_executor_args(p: argparse.ArgumentParser, *, tasks: bool = True) -> None:
    """The executor flags of ``build openwebtext|stories`` and ``decontaminate``: ``--executor --tasks
    --workers --quiet`` (``tasks=False``: a command whose task count follows from its input)."""
    p.add_argument("--executor", default="local", choices=["local", "slurm", "ray"])
    if tasks:
        p.add_argument("--tasks", type=int, default=1, help="datatrove tasks")
    p.add_argument("--workers", type=int, default=1, help="tasks run at once (local/ray)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_no_wait(p)


def add_no_wait(p: argparse.ArgumentParser) -> None:
    """``--no-wait``: with ``--executor slurm``, return once the chain is submitted."""
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="slurm: return after submitting; re-run the same command to wait and write stats.json",
    )


def submission_facts(stages: list[Any], facts: dict[str, Any]) -> dict[str, Any]:
    """What a ``--no-wait`` Slurm build returns instead of its stats."""
    return {"submitted_stages": [s.name for s in stages], **facts}


def print_result(stats: dict[str, Any], output: str) -> None:
    """Print a build's stats as JSON, or the one line a ``--no-wait`` submission gets."""
    import json

    if "submitted_stages" in stats:
        names = stats["submitted_stages"]
        print(
            f"submitted {len(names)} stages ({names[0]} .. {names[-1]}) as Slurm jobs named corpus-<stage>; "
            f"follow them with `squeue --me`; re-run the same command to wait for them and write "
            f"{output}/stats.json"
        )
        return
    stats.pop("stages", None)
    print(json.dumps(stats, indent=2))


def add_decontaminate_args(p: argparse.ArgumentParser) -> None:
    """``--decontaminate A,B,... [--mark-only]`` of every ``corpus build`` subcommand."""
    p.add_argument(
        "--decontaminate",
        metavar="GLUE_DIR,SQUAD_FILE,...",
        default=None,
        help="drop documents sharing a 13-gram with these evaluation sets (GLUE folder, SQuAD json/zip, "
        "RACE folder, WSC xml), comma-separated; override n with --decontam.ngram=N",
    )
    p.add_argument(
        "--mark-only", action="store_true", help="with --decontaminate: keep and mark documents, drop none"
    )


def decontam_config(args: argparse.Namespace) -> Any:
    """The ``DecontamConfig`` of ``--decontaminate/--mark-only`` (``--decontam.FIELD=V`` overrides apply later)."""
    from corpus.decontam.config import DecontamConfig, parse_against

    return DecontamConfig(against=parse_against(args.decontaminate), mark_only=args.mark_only)


def executor_config(args: argparse.Namespace, extra: list[str]):  # noqa: ANN201 - (ExecutorConfig, list[str])
    """The executor config from ``--executor/--workers`` plus ``--executor.FIELD=V``; the other overrides."""
    from corpus.executors import ExecutorConfig

    ex_extra = [e for e in extra if e.startswith("--executor.")]
    ex_cfg = apply_overrides(
        ExecutorConfig(kind=args.executor, workers=args.workers, wait=not getattr(args, "no_wait", False)),
        ex_extra,
        prefix="executor",
    )
    return ex_cfg, [e for e in extra if not e.startswith("--executor.")]
