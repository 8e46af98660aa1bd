"""Loaders for the evaluation texts found locally, each turned into indexable ``Unit``s of one task.

What a path passed to ``--against`` may be:
- a GLUE folder (``download_glue_data.py`` layout): every ``<TASK>/dev*.tsv`` / ``test*.tsv``
  (``dev.tsv``, ``dev_matched.tsv``, ``test_mismatched.tsv``...) and ``diagnostic/diagnostic.tsv``; tasks are
  ``mrpc-dev``, ``mnli-dev-matched``, ``ax-test``. Uploader variants (``*_cleaned.tsv``, ``test_final.tsv``),
  id lists and ``original/`` copies are skipped: they repeat the same examples. One GLUE TSV file works too.
- a SQuAD JSON (or a ``.zip`` holding one): task ``squad-v1.1-dev``; an example is a question; its paragraph
  is one unit standing for all the paragraph's questions.
- a RACE folder (``dev|test/high|middle/*.txt``, the official JSON-per-file layout): tasks ``race-dev``,
  ``race-test``; an example is a question; its article stands for all the article's questions.
- the WSC XML (``WSCollection.xml``): task ``wsc273`` (the first 273 schemas), ``wsc285`` for the rest.
Bad input raises ``EvalSetError`` naming the file (and line or element).

Usage: ``for es in load_eval_sets([Path("glue"), Path("squad/dev-v1.1.json.zip")]): print(es.task, es.n_examples)``
"""

from __future__ import annotations

import csv
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.decontam.errors import EvalSetError
from corpus.decontam.ngrams import Unit

GLUE_FILE = re.compile(r"^(dev|test)(_matched|_mismatched)?\.tsv$")
GLUE_TEXT_COLUMNS = ("sentence", "sentence1", "sentence2", "question", "question1", "question2")
GLUE_TEXT_COLUMNS += ("#1 String", "#2 String", "premise", "hypothesis")
GLUE_ALIASES = {"diagnostic": "ax"}
RACE_SPLITS, RACE_LEVELS, RACE_LETTERS = ("dev", "test"), ("high", "middle"), "ABCD"
WSC273 = 273


@dataclass
class EvalSet:
    """One task's examples as units, and the files they came from (their checksums key the index)."""

    task: str
    n_examples: int
    units: list[Unit] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def load_eval_sets(paths: Iterable[str | Path]) -> list[EvalSet]:
    """Every evaluation set found under ``paths`` (folders or files), one per task, in a stable order.

    Usage: ``sets = load_eval_sets(["../shared/data/glue", "../shared/data/wsc/WSCollection.xml"])``
    """
    found: list[EvalSet] = []
    for raw in paths:
        found.extend(_load_path(Path(raw)))
    names = [s.task for s in found]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EvalSetError(f"evaluation task(s) given twice: {', '.join(dupes)}")
    if not found:
        raise EvalSetError("no evaluation files given")
    return found


def eval_files(paths: Iterable[str | Path]) -> list[Path]:
    """The evaluation files ``load_eval_sets(paths)`` would read, without parsing them (for the cache key)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and _is_race(p):
            out += [f for s, lv in _race_dirs(p) for f in sorted((p / s / lv).glob("*.txt"))]
        elif p.is_dir():
            out += _glue_files(p)
        elif p.is_file():
            out.append(p)
        else:
            raise EvalSetError(f"evaluation path not found: {p}")
    return out


def _load_path(p: Path) -> list[EvalSet]:
    if p.is_dir():
        return load_race(p) if _is_race(p) else [load_glue_tsv(f) for f in _glue_files(p)]
    if not p.is_file():
        raise EvalSetError(f"evaluation path not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".tsv":
        return [load_glue_tsv(p)]
    if suffix in (".json", ".zip"):
        return [load_squad(p)]
    if suffix == ".xml":
        return load_wsc(p)
    raise EvalSetError(
        f"{p}: unknown evaluation file type (expected a GLUE folder or .tsv, SQuAD .json/.zip, .xml)"
    )


# GLUE ---------------------------------------------------------------------------------------------------------


def _glue_files(root: Path) -> list[Path]:
    files = sorted(f for f in root.glob("*/*.tsv") if GLUE_FILE.match(f.name) or f.name == "diagnostic.tsv")
    if not files:
        raise EvalSetError(f"{root}: no GLUE dev/test TSVs (<TASK>/dev.tsv, <TASK>/test.tsv) found")
    return files


def glue_task_name(path: Path) -> str:
    """``MRPC/dev.tsv`` -> ``mrpc-dev``; ``MNLI/dev_matched.tsv`` -> ``mnli-dev-matched``."""
    folder = path.parent.name.lower().replace("-", "")
    split = "test" if path.name == "diagnostic.tsv" else path.stem.replace("_", "-")
    return f"{GLUE_ALIASES.get(folder, folder)}-{split}"


def load_glue_tsv(path: Path) -> EvalSet:
    """One GLUE TSV: each row is an example; its text columns (``sentence1``, ``#1 String``...) are indexed.

    A row whose field count differs from the header's raises ``EvalSetError`` with its line number.
    """
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as f:  # MRPC starts with a BOM
        rows = [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    if not rows:
        raise EvalSetError(f"{path}: empty GLUE TSV")
    header = [c.strip() for c in rows[0]]
    text_idx = [i for i, c in enumerate(header) if c in GLUE_TEXT_COLUMNS]
    start = 1
    if not text_idx:
        if path.parent.name != "CoLA":
            raise EvalSetError(
                f"{path}: no text column in the header (expected one of {', '.join(GLUE_TEXT_COLUMNS)})"
            )
        text_idx, start = [3], 0  # CoLA train/dev: no header; source, label, original label, sentence
    width = len(rows[0]) if start == 1 else 4
    es = EvalSet(task=glue_task_name(path), n_examples=0, files=[path])
    for lineno, row in enumerate(rows[start:], start + 1):
        if not row:
            continue
        if len(row) != width:
            raise EvalSetError(f"{path}:{lineno}: expected {width} tab-separated fields, got {len(row)}")
        es.units.append(Unit(tuple(row[i] for i in text_idx), es.n_examples))
        es.n_examples += 1
    return es


# SQuAD --------------------------------------------------------------------------------------------------------


def _read_json_or_zip(path: Path) -> Any:
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                members = [m for m in z.namelist() if m.endswith(".json")]
                if len(members) != 1:
                    raise EvalSetError(f"{path}: expected one .json inside the zip, found {len(members)}")
                return json.loads(z.read(members[0]))
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, zipfile.BadZipFile) as e:
        raise EvalSetError(f"{path}: not a SQuAD JSON file ({type(e).__name__}: {e})") from None


def _need(obj: Any, key: str, kind: type, where: str, path: Path) -> Any:
    if not isinstance(obj, dict) or not isinstance(obj.get(key), kind):
        raise EvalSetError(f"{path}: not a SQuAD file: {where} lacks {key!r} ({kind.__name__})")
    return obj[key]


def load_squad(path: Path) -> EvalSet:
    """A SQuAD v1.1/v2.0 JSON (or zip): examples are questions; contexts, questions and answers are indexed."""
    data = _read_json_or_zip(path)
    split = next((s for s in ("dev", "train", "test") if s in path.name.lower()), "eval")
    version = str(data.get("version", "")).lstrip("v") if isinstance(data, dict) else ""
    es = EvalSet(
        task=f"squad-v{version}-{split}" if version else f"squad-{split}", n_examples=0, files=[path]
    )
    for i, article in enumerate(_need(data, "data", list, "the top level", path)):
        for j, para in enumerate(_need(article, "paragraphs", list, f"data[{i}]", path)):
            where = f"data[{i}].paragraphs[{j}]"
            context = _need(para, "context", str, where, path)
            qas = _need(para, "qas", list, where, path)
            if qas:
                es.units.append(Unit((context,), es.n_examples, len(qas)))
            for k, qa in enumerate(qas):
                question = _need(qa, "question", str, f"{where}.qas[{k}]", path)
                answers = _need(qa, "answers", list, f"{where}.qas[{k}]", path)
                texts = [a.get("text", "") for a in answers if isinstance(a, dict)]
                es.units.append(Unit((question, *texts), es.n_examples))
                es.n_examples += 1
    return es


# RACE ---------------------------------------------------------------------------------------------------------


def _race_dirs(root: Path) -> list[tuple[str, str]]:
    return [(s, lv) for s in RACE_SPLITS for lv in RACE_LEVELS if (root / s / lv).is_dir()]


def _is_race(root: Path) -> bool:
    return bool(_race_dirs(root))


def load_race(root: Path) -> list[EvalSet]:
    """RACE dev/test (``root/<split>/<level>/*.txt``, one JSON article each): ``race-dev``, ``race-test``."""
    sets = []
    for split in RACE_SPLITS:
        files = [f for s, lv in _race_dirs(root) if s == split for f in sorted((root / s / lv).glob("*.txt"))]
        if files:
            es = EvalSet(task=f"race-{split}", n_examples=0, files=files)
            for f in files:
                _add_race_file(es, f)
            sets.append(es)
    return sets


def _add_race_file(es: EvalSet, path: Path) -> None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        article, questions = doc["article"], doc["questions"]
        options, answers = doc["options"], doc["answers"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise EvalSetError(f"{path}: not a RACE file ({type(e).__name__}: {e})") from None
    if not (len(questions) == len(options) == len(answers)):
        raise EvalSetError(
            f"{path}: {len(questions)} questions, {len(options)} option lists, {len(answers)} answers"
        )
    for k, ans in enumerate(answers):
        if not isinstance(ans, str) or ans not in RACE_LETTERS:
            raise EvalSetError(f"{path}: question {k + 1} has answer {ans!r} (expected one of A, B, C, D)")
    es.units.append(Unit((article,), es.n_examples, len(questions)))
    for q, opts in zip(questions, options, strict=True):
        es.units.append(Unit((q, *opts), es.n_examples))
        es.n_examples += 1


# WSC ----------------------------------------------------------------------------------------------------------


def load_wsc(path: Path) -> list[EvalSet]:
    """The WSC XML: each schema's sentence (``txt1 pron txt2``) and answers; ``wsc273`` then ``wsc285``."""
    try:
        schemas = ET.parse(path).getroot().findall("schema")
    except ET.ParseError as e:
        raise EvalSetError(f"{path}: not a WSC XML file ({e})") from None
    if not schemas:
        raise EvalSetError(f"{path}: no <schema> elements (not the WSC collection XML)")
    sets = [EvalSet(task="wsc273", n_examples=0, files=[path])]
    if len(schemas) > WSC273:
        sets.append(EvalSet(task="wsc285", n_examples=0, files=[path]))
    for i, schema in enumerate(schemas):
        es = sets[0 if i < WSC273 else 1]
        parts = [schema.findtext(f"text/{t}") for t in ("txt1", "pron", "txt2")]
        if any(p is None for p in parts):
            raise EvalSetError(f"{path}: schema {i + 1} lacks text/txt1, text/pron or text/txt2")
        letter = (schema.findtext("correctAnswer") or "").strip().rstrip(".")
        if letter not in ("A", "B"):
            raise EvalSetError(f"{path}: schema {i + 1} has correct answer {letter!r} (expected A or B)")
        answers = [a.text or "" for a in schema.findall("answers/answer")]
        es.units.append(Unit((" ".join(p.strip() for p in parts), *answers), es.n_examples))
        es.n_examples += 1
    return sets
