"""GLUE data: the nine tasks' layouts, read from GLUE's original TSV folder or from the Hugging Face Hub.

The TSV layout is the one ``download_glue_data.py`` writes (``CoLA/train.tsv``, ``MNLI/dev_matched.tsv``...).
Labels are mapped to the Hub dataset's ids (``nyu-mll/glue``) so both sources give identical examples.

Usage: ``data = load_glue("rte", Path("glue"))`` -> ``data.train[0]`` is ``Example(text_a, text_b, label)``
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import BenchError

HUB = "hub"
HUB_DATASET = "nyu-mll/glue"


@dataclass(frozen=True)
class Example:
    """One sentence (pair) with its label: a class id, or a float score for STS-B."""

    text_a: str
    text_b: str | None
    label: float


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """Where a task's text and label live in its TSV and on the Hub."""

    name: str
    folder: str
    num_labels: int  # 1 means regression (STS-B)
    text_cols: tuple[str, ...]  # TSV column names (or indices for CoLA, which has no header)
    label_col: str
    hub_cols: tuple[str, ...]
    label_map: dict[str, int] | None = None  # TSV label strings -> Hub ids
    dev_files: tuple[tuple[str, str], ...] = (("dev", "dev.tsv"),)
    hub_dev: tuple[tuple[str, str], ...] = (("dev", "validation"),)
    header: bool = True
    skip_malformed: bool = False  # the released files hold a few rows with missing fields: skip, don't fail


NLI2 = {"entailment": 0, "not_entailment": 1}
TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in [
        TaskSpec(
            name="cola",
            folder="CoLA",
            num_labels=2,
            text_cols=("3",),
            label_col="1",
            hub_cols=("sentence",),
            header=False,
        ),
        TaskSpec(
            name="sst2",
            folder="SST-2",
            num_labels=2,
            text_cols=("sentence",),
            label_col="label",
            hub_cols=("sentence",),
        ),
        TaskSpec(
            name="mrpc",
            folder="MRPC",
            num_labels=2,
            text_cols=("#1 String", "#2 String"),
            label_col="Quality",
            hub_cols=("sentence1", "sentence2"),
        ),
        TaskSpec(
            name="stsb",
            folder="STS-B",
            num_labels=1,
            text_cols=("sentence1", "sentence2"),
            label_col="score",
            hub_cols=("sentence1", "sentence2"),
        ),
        TaskSpec(
            name="qqp",
            folder="QQP",
            num_labels=2,
            text_cols=("question1", "question2"),
            label_col="is_duplicate",
            hub_cols=("question1", "question2"),
            skip_malformed=True,
        ),
        TaskSpec(
            name="mnli",
            folder="MNLI",
            num_labels=3,
            text_cols=("sentence1", "sentence2"),
            label_col="gold_label",
            hub_cols=("premise", "hypothesis"),
            label_map={"entailment": 0, "neutral": 1, "contradiction": 2},
            dev_files=(("m", "dev_matched.tsv"), ("mm", "dev_mismatched.tsv")),
            hub_dev=(("m", "validation_matched"), ("mm", "validation_mismatched")),
            skip_malformed=True,
        ),
        TaskSpec(
            name="qnli",
            folder="QNLI",
            num_labels=2,
            text_cols=("question", "sentence"),
            label_col="label",
            hub_cols=("question", "sentence"),
            label_map=NLI2,
        ),
        TaskSpec(
            name="rte",
            folder="RTE",
            num_labels=2,
            text_cols=("sentence1", "sentence2"),
            label_col="label",
            hub_cols=("sentence1", "sentence2"),
            label_map=NLI2,
        ),
        TaskSpec(
            name="wnli",
            folder="WNLI",
            num_labels=2,
            text_cols=("sentence1", "sentence2"),
            label_col="label",
            hub_cols=("sentence1", "sentence2"),
        ),
    ]
}


@dataclass(frozen=True, kw_only=True)
class GlueData:
    """A task's train examples and its dev split(s) (MNLI has ``m`` and ``mm``)."""

    task: str
    train: list[Example]
    dev: dict[str, list[Example]]
    source: str


class MissingData(BenchError):
    """A task's files are not in the data folder (the ``all`` run skips such tasks)."""


def parse_tasks(arg: str) -> list[str]:
    """``all`` or a comma list of task names -> task names in the paper's table order."""
    if arg.strip() == "all":
        return list(TASKS)
    names = [t.strip().lower().replace("-", "") for t in arg.split(",") if t.strip()]
    unknown = [t for t in names if t not in TASKS]
    if unknown or not names:
        raise BenchError(f"unknown GLUE task(s) {unknown or arg!r}; choose from all,{','.join(TASKS)}")
    return names


def _label(spec: TaskSpec, raw: str) -> float:
    """The label of one row (Hub ids); ``ValueError`` for a label the task does not have."""
    if spec.num_labels == 1:
        value = float(raw)
        if value != value or not 0.0 <= value <= 5.0:  # NaN, or outside STS-B's 0-5 scale
            raise ValueError(raw)
        return value
    if spec.label_map is not None:
        if raw not in spec.label_map:
            raise ValueError(raw)
        return float(spec.label_map[raw])
    if raw not in [str(i) for i in range(spec.num_labels)]:
        raise ValueError(raw)
    return float(int(raw))


def read_tsv(spec: TaskSpec, path: Path) -> list[Example]:
    """Read one GLUE TSV. A row with the wrong column count or a label the task does not have is one
    ``BenchError`` naming file and line, except in the tasks whose released files hold a few such rows
    (``spec.skip_malformed``: QQP, MNLI), where they are skipped with one warning line. Rows without a
    label (MNLI's ``-``: no annotator consensus) are skipped."""
    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # MRPC starts with a BOM
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    except UnicodeDecodeError as e:
        raise BenchError(f"{path}: not UTF-8 text: {e}") from None
    first = 1
    if spec.header:
        if not rows:
            raise BenchError(f"{path}: empty file, expected a header row")
        header, rows, first = rows[0], rows[1:], 2
        cols = {name: i for i, name in enumerate(header)}
        width = len(header)
        absent = [c for c in (*spec.text_cols, spec.label_col) if c not in cols]
        if absent:
            raise BenchError(f"{path}: header has no column {', '.join(map(repr, absent))}")
    else:
        cols, width = {str(i): i for i in range(4)}, 4
    idx = [cols[c] for c in spec.text_cols] + [cols[spec.label_col]]
    out, skipped = [], 0
    for line, row in enumerate(rows, start=first):
        try:
            if len(row) != width:
                raise BenchError(f"{path}:{line}: {len(row)} tab-separated columns, expected {width}")
            raw = row[idx[-1]]
            if not raw.strip() or raw == "-":
                continue
            try:
                label = _label(spec, raw)
            except ValueError:
                raise BenchError(f"{path}:{line}: label {raw!r} is not a {spec.name} label") from None
        except BenchError:
            if not spec.skip_malformed:
                raise
            skipped += 1
            continue
        texts = [row[i] for i in idx[:-1]]
        out.append(Example(texts[0], texts[1] if len(texts) > 1 else None, label))
    if skipped:
        print(f"warning: {path}: skipped {skipped} malformed row(s)", file=sys.stderr)
    return out


def mrpc_canonical_train(folder: Path) -> list[Example] | None:
    """MRPC train as ``download_glue_data.py`` builds it: the MSR train file minus the pairs in ``dev_ids.tsv``.

    Some copies of ``MRPC/train.tsv`` lack a pair (3,667 rows, not 3,668); rebuilding gives the canonical set.
    None when the source files are not there.
    """
    src, ids = folder / "msr_paraphrase_train.txt", folder / "dev_ids.tsv"
    if not (src.is_file() and ids.is_file()):
        return None
    dev = {
        tuple(line.split("\t")[:2])
        for line in ids.read_text(encoding="utf-8-sig").split("\n")
        if line.strip()
    }
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [Example(r[3], r[4], float(int(r[0]))) for r in rows if len(r) == 5 and (r[1], r[2]) not in dev]


def load_glue_dir(task: str, root: Path) -> GlueData:
    """Read a task from a GLUE TSV folder; ``MissingData`` names the first file that is absent."""
    spec = TASKS[task]
    files = [("train", "train.tsv"), *spec.dev_files]
    for _, name in files:
        path = root / spec.folder / name
        if not path.is_file():
            raise MissingData(f"{task}: no data: {path} is missing")
    train = mrpc_canonical_train(root / spec.folder) if task == "mrpc" else None
    train = train or read_tsv(spec, root / spec.folder / "train.tsv")
    dev = {key: read_tsv(spec, root / spec.folder / name) for key, name in spec.dev_files}
    if not train or not all(dev.values()):
        raise MissingData(f"{task}: no data: no labelled rows in {root / spec.folder}")
    return GlueData(task=task, train=train, dev=dev, source=str(root))


def hub_error(name: str, e: Exception) -> BenchError:
    """One line saying why a Hub dataset could not be loaded (offline mode with a cache miss, or no network)."""
    offline = any(os.environ.get(v, "") not in ("", "0") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    why = "offline mode (HF_HUB_OFFLINE) and not in the local cache" if offline else "hub not reachable"
    first = str(e).splitlines()[0] if str(e) else ""
    return BenchError(f"cannot load {name} from the Hugging Face Hub ({why}): {type(e).__name__}: {first}")


def glue_from_hub(task: str, ds: Any) -> GlueData:
    """Convert a ``nyu-mll/glue`` DatasetDict (columns as on the Hub, integer labels) to ``GlueData``."""
    spec = TASKS[task]

    def convert(split: str) -> list[Example]:
        rows = ds[split]
        cols = [rows[c] for c in spec.hub_cols]
        texts_b = cols[1] if len(cols) > 1 else [None] * len(rows)
        return [Example(a, b, float(y)) for a, b, y in zip(cols[0], texts_b, rows["label"], strict=True)]

    return GlueData(
        task=task,
        train=convert("train"),
        dev={k: convert(s) for k, s in spec.hub_dev},
        source=f"hub:{HUB_DATASET}",
    )


def load_glue_hub(task: str) -> GlueData:
    """Load a task from the Hub dataset ``nyu-mll/glue`` through ``datasets`` (cached; honours HF_HUB_OFFLINE)."""
    try:
        import datasets

        datasets.logging.set_verbosity_error()
        ds = datasets.load_dataset(HUB_DATASET, task)
    except Exception as e:  # network, offline cache miss, auth: one line for the user
        raise hub_error(f"{HUB_DATASET}/{task}", e) from None
    return glue_from_hub(task, ds)


def load_glue(task: str, data: str | Path) -> GlueData:
    """Load ``task`` from a TSV folder, or from the Hub when ``data == "hub"``."""
    if str(data) == HUB:
        return load_glue_hub(task)
    root = Path(data)
    if not root.is_dir():
        raise BenchError(f"GLUE data folder {root} does not exist")
    return load_glue_dir(task, root)
