"""The datatrove steps of decontamination: read a shard, filter (or mark) it, write it back in the corpus format.

- ``ShardReader``: task ``rank`` reads input shard ``rank`` (``corpus.formats.read_shard``), one task per shard.
- ``ContaminationFilter`` (a datatrove ``BaseFilter``, one concern): a document sharing at least one
  normalised n-gram with an evaluation example is dropped with reason ``contaminated:<task>`` (the task of its
  first matching n-gram), or with ``mark_only`` kept; either way ``contaminated_task``, ``contaminated_tasks``
  and ``contaminated_ngram`` go into its metadata (datatrove's own ``NGramsDecontFilter`` names). When its task
  is drained it writes what it found (docs hit and example ids hit, per evaluation task) to
  ``hits/<rank>.json`` for the report, as datatrove writes its stats.
- ``ShardWriter``: writes the task's surviving documents to ``output/<same shard name>`` with
  ``corpus.formats.write_shard`` (atomic), keeping every field of the input record plus the marks.

Usage: ``[ShardReader(shards), ContaminationFilter(index_path, hits_folder=h), ShardWriter(out, names)]``
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from common import write_json_atomic
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

from corpus.decontam.errors import DecontaminationError
from corpus.decontam.ngrams import NgramIndex, hash_ngrams, ngrams, normalise
from corpus.formats import read_shard, write_shard

HITS_NAME = "{rank:05d}.json"


class ShardReader(PipelineStep):
    """Task ``rank`` streams corpus shard ``shards[rank]`` as datatrove Documents (other fields -> metadata)."""

    type = "📖 - READER"
    name = "🗜 corpus shard"

    def __init__(self, shards: list[str | Path]) -> None:
        super().__init__()
        self.shards = [str(s) for s in shards]

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != len(self.shards):
            raise DecontaminationError(
                f"decontamination runs one task per shard: {world_size} != {len(self.shards)}"
            )
        for rec in read_shard(self.shards[rank]):
            meta = {k: v for k, v in rec.items() if k not in ("id", "text")}
            self.stat_update("documents")
            yield Document(text=rec["text"], id=rec["id"], metadata=meta)


class ContaminationFilter(BaseFilter):
    """Drop (or with ``mark_only`` keep and mark) documents sharing an n-gram with the evaluation index."""

    type = "🦠 - DECONT"
    name = "🧼 n-gram decontamination"

    def __init__(
        self,
        index_path: str | Path,
        *,
        mark_only: bool = False,
        hits_folder: str | Path | None = None,
        exclusion_writer: Any = None,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer)
        self.index_path = str(index_path)
        self.mark_only = mark_only
        self.hits_folder = str(hits_folder) if hits_folder else None
        self._index: NgramIndex | None = None
        self._reset()

    def _reset(self) -> None:
        self._docs_contaminated = 0
        self._docs_hit: dict[str, int] = defaultdict(int)
        self._examples_hit: dict[str, set[int]] = defaultdict(set)

    @property
    def index(self) -> NgramIndex:
        """The index, loaded once per task."""
        if self._index is None:
            self._index = NgramIndex.load(self.index_path)
        return self._index

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        """Keep a clean document; drop (or mark) a contaminated one with reason ``contaminated:<task>``."""
        found = self.match(doc.text)
        if found is None:
            return True
        task, ngram, tasks = found
        doc.metadata.update(contaminated_task=task, contaminated_ngram=ngram, contaminated_tasks=tasks)
        self.stat_update(*(f"docs_hit_{t}" for t in tasks))
        return True if self.mark_only else (False, f"contaminated:{task}")

    def match(self, text: str) -> tuple[str, str, list[str]] | None:
        """(task of the first matching n-gram, that n-gram, every task hit) or None; records example hits."""
        idx = self.index
        grams = ngrams(normalise(text), idx.n)
        if not grams or not len(idx):
            return None
        pos, ranges = idx.lookup(hash_ngrams(grams))
        if not pos.size:
            return None
        examples: dict[str, set[int]] = defaultdict(set)
        for lo, hi in ranges:
            for first, count in zip(idx.first[lo:hi], idx.count[lo:hi], strict=True):
                task = idx.task_of(int(first))
                start = int(first) - int(idx.task_start[idx.tasks.index(task)])
                examples[task].update(range(start, start + int(count)))
        first_task = idx.task_of(int(idx.first[ranges[0][0]]))
        self._docs_contaminated += 1
        for task, ids in examples.items():
            self._docs_hit[task] += 1
            self._examples_hit[task] |= ids
        return first_task, grams[int(pos[0])], sorted(examples)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """datatrove's filter loop, then this task's findings written to ``hits/<rank>.json``."""
        self._reset()  # one process may run several ranks (Slurm tasks_per_job): findings are per rank
        seen = 0

        def counted() -> DocumentsPipeline:
            nonlocal seen
            for doc in data or ():
                seen += 1
                yield doc

        yield from super().run(counted(), rank, world_size)
        if self.hits_folder:
            write_json_atomic(
                Path(self.hits_folder) / HITS_NAME.format(rank=rank),
                {
                    "rank": rank,
                    "documents": seen,
                    "mark_only": self.mark_only,
                    "documents_contaminated": self._docs_contaminated,
                    "docs_hit": dict(self._docs_hit),
                    "examples_hit": {t: sorted(ids) for t, ids in self._examples_hit.items()},
                },
            )


class ShardWriter(PipelineStep):
    """Write task ``rank``'s documents to ``output/names[rank]`` in the corpus shard format (a terminal step)."""

    type = "💽 - WRITER"
    name = "🗜 corpus shard (zstd jsonl)"

    def __init__(self, output_folder: str | Path, names: list[str]) -> None:
        super().__init__()
        self.output_folder = Path(output_folder)
        self.names = list(names)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        def records() -> Any:
            for doc in data or ():
                self.stat_update("documents_written")
                self.stat_update("bytes_out", value=len(doc.text.encode("utf-8")), unit="doc")
                yield {"id": str(doc.id), "text": doc.text, **doc.metadata}

        write_shard(self.output_folder / self.names[rank], records())
        yield from ()
