"""Background host batches: the next steps' blocks are read and packed on a thread while the model trains.

Batches depend only on (step, micro-step, rank), so building them ahead is exact: the training thread asks for
step ``s`` and gets exactly what it would have built itself, without waiting on numpy.

Usage: ``pf = Prefetcher(train_set, sampler, rank, accum, start=step); micro_batches = pf.get(step); pf.close()``
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy as np


class Prefetcher:
    """Builds ``[(block indices, ids), ...]`` per step (one pair per micro-step), in step order, ``depth`` ahead.

    ``ds`` is anything with ``batch(indices) -> ids`` (a ``BlockDataset`` or a format's training view); the
    block indices travel with the ids because static masks and NSP labels are looked up by block."""

    def __init__(self, ds: Any, sampler: Any, rank: int, accum: int, start: int, depth: int = 2) -> None:
        self.ds, self.sampler, self.rank, self.accum = ds, sampler, rank, accum
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, args=(start,), daemon=True)
        self.thread.start()

    def _work(self, step: int) -> None:
        try:
            while not self.stop.is_set():
                chunks = [self.sampler.chunk(step, k, self.rank) for k in range(self.accum)]
                batches = [(idx, self.ds.batch(idx)) for idx in chunks]
                while not self.stop.is_set():
                    try:
                        self.queue.put((step, batches), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                step += 1
        except Exception as e:  # surfaced in the training thread by get()
            self.queue.put((-1, e))

    def get(self, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The micro-batches of ``step`` (steps must be asked for in order)."""
        got, batches = self.queue.get()
        if got == -1:
            raise batches
        assert got == step, (got, step)
        return batches

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
