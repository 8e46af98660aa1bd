"""``FORMATS`` is complete as soon as ``trainer`` is imported: a fresh interpreter opens every input format
(and static masking over each) on a tiny shard folder without importing the training loop, as a benchmark
sizing a SENTENCE-PAIR batch does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from format_fixtures import random_docs
from tokenizer import write_manifest, write_token_shard

FRESH = textwrap.dedent(
    """
    import sys
    import numpy as np
    import torch
    from trainer import FORMATS, BlockDataset, InputFormat, full_sentences_lengths, matched_batch_size
    from trainer.formats import StaticMasking
    from trainer.masking import Masker, mask_seed

    folder, seq_len = sys.argv[1], 64
    assert sorted(FORMATS) == ["doc-sentences", "full-sentences", "segment-pair", "sentence-pair"], FORMATS
    for name in FORMATS:
        ds = BlockDataset.open(folder, "train", seq_len=seq_len, fmt=name)
        assert isinstance(ds.fmt, InputFormat) and ds.fmt.name == name and len(ds) > 0
        masker = Masker(vocab_size=1000, mask_id=999, special_ids=(0, 1, 2, 3, 999))
        for fmt in (ds.fmt, StaticMasking(ds.fmt, dupes=2, seed=1)):
            view = fmt.train_view(ds)
            sampler = fmt.sampler(view, seed=0, batch_size=8, micro_batch=4, accum=2, world=1)
            idx = sampler.chunk(0, 0, 0)
            ids = torch.from_numpy(view.batch(idx))
            assert ids.shape == (len(idx), seq_len)
            inputs, labels = fmt.mask(view, masker, ids, idx, mask_seed(0, 0, 0))
            assert inputs.shape == labels.shape == ids.shape
            y = fmt.nsp_targets(view, idx)
            assert (y is not None) == fmt.nsp == name.endswith("-pair"), name
        assert len(fmt.block_lengths(ds)) == len(ds)
    pairs = BlockDataset.open(folder, "train", seq_len=seq_len, fmt="sentence-pair")
    full_mean = float(full_sentences_lengths(pairs.shards, seq_len).mean())
    assert matched_batch_size(pairs, full_mean, 8, multiple=4) > 8
    assert "trainer.loop" not in sys.modules, "opening formats must not need the training loop"
    print("ok")
    """
)


def test_every_format_opens_in_a_fresh_interpreter(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    docs = [
        [10 + rng.integers(0, 900, size=n) for n in doc]
        for doc in random_docs(rng, n_docs=60, max_sents=8, max_len=20)
    ]
    entries = [
        write_token_shard(tmp_path, f"train-{i:05d}", docs[i * 30 : (i + 1) * 30], 1000) for i in range(2)
    ]
    write_manifest(tmp_path, vocab_size=1000, splits={"train": entries, "valid": []})
    proc = subprocess.run(
        [sys.executable, "-c", FRESH, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
