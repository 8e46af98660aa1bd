"""Query questions for Stories: the Winograd schemas (WSC273 by default) or any text file of questions.

Trinh & Le (2018) built STORIES from CommonCrawl documents that overlap most with the questions of the
commonsense-reasoning tasks they targeted. A WSC question is its full sentence: ``txt1 + pron + txt2``.

Usage: ``questions = load_queries(path)`` (``.xml`` = Winograd collection, else one question per line)
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from corpus.errors import CorpusError

WSC273 = 273  # the first 273 schemas of WSCollection.xml form the WSC273 benchmark


class QueryError(CorpusError):
    """The queries file is missing, unparsable or holds no question."""


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_wsc(path: str | os.PathLike[str], limit: int | None = WSC273) -> list[str]:
    """The sentences of the first ``limit`` schemas of a Winograd ``WSCollection.xml`` (all if ``None``)."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise QueryError(f"cannot read Winograd collection {path}: {e}") from None
    out = []
    for schema in root.iter("schema"):
        text = schema.find("text")
        if text is None:
            continue
        parts = [(text.findtext(tag) or "") for tag in ("txt1", "pron", "txt2")]
        out.append(_norm(" ".join(parts)))
    return out[:limit] if limit is not None else out


def load_queries(path: str | os.PathLike[str]) -> list[str]:
    """Questions from ``path``: a Winograd XML collection (WSC273) or a text file, one question a line."""
    path = Path(path)
    if not path.is_file():
        raise QueryError(f"queries file not found: {path}")
    if path.suffix.lower() == ".xml":
        questions = load_wsc(path)
    else:
        questions = [_norm(ln) for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        questions = [q for q in questions if q]
    if not questions:
        raise QueryError(f"no questions in {path}")
    return questions
