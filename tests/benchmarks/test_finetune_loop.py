"""The finetuning loop: length-grouped batches vs a slow reference, accumulation vs one large batch, mid-cell
resume vs an uninterrupted cell, and the per-step / per-epoch record."""

from __future__ import annotations

import random

import pytest
import torch
from benchmarks.batching import batch_order, collate, length_grouped_order, micro_batches, predict
from benchmarks.finetune import TrainSettings, train


def _reference_order(lengths, batch_size, seed, bucket_batches):
    """Slow, obvious version of the spec: permute, cut into buckets, sort each bucket by length (stable in
    the permuted order), cut into batches, then permute the batches; same generator draws."""
    g = torch.Generator().manual_seed(seed)
    perm = [int(x) for x in torch.randperm(len(lengths), generator=g)]
    batches = []
    size = batch_size * bucket_batches
    for b in range(0, len(perm), size):
        bucket = perm[b : b + size]
        ordered = []
        for length in sorted(set(lengths[i] for i in bucket), reverse=True):
            ordered += [i for i in bucket if lengths[i] == length]
        while ordered:
            batches.append(ordered[:batch_size])
            ordered = ordered[batch_size:]
    shuffle = [int(x) for x in torch.randperm(len(batches), generator=g)]
    return [batches[i] for i in shuffle]


@pytest.mark.parametrize("n,batch,bucket", [(1, 4, 3), (103, 8, 3), (500, 16, 50), (64, 5, 1)])
def test_length_grouped_order_matches_slow_reference(n, batch, bucket):
    lengths = [random.Random(i * 7 + n).randint(3, 60) for i in range(n)]
    fast = length_grouped_order(lengths, batch, torch.Generator().manual_seed(5), bucket)
    assert fast == _reference_order(lengths, batch, 5, bucket)
    flat = [i for b in fast for i in b]
    assert sorted(flat) == list(range(n))  # every example exactly once per epoch
    assert all(len(b) <= batch for b in fast)
    again = length_grouped_order(lengths, batch, torch.Generator().manual_seed(5), bucket)
    assert again == fast  # seeded
    if n > 50:
        other = length_grouped_order(lengths, batch, torch.Generator().manual_seed(6), bucket)
        assert other != fast


def test_length_grouping_pads_less_than_a_random_order():
    lengths = [random.Random(i).randint(3, 120) for i in range(2000)]
    feats = [{"input_ids": [5] * n} for n in lengths]

    def padded(order):
        return sum(len(b) * max(lengths[i] for i in b) for b in order)

    g = torch.Generator().manual_seed(0)
    grouped = padded(batch_order(feats, 16, g, group_by_length=True))
    plain = padded(batch_order(feats, 16, torch.Generator().manual_seed(0), group_by_length=False))
    assert grouped < 0.7 * plain and grouped >= sum(lengths)


def test_micro_batches_and_predict_keep_order():
    assert micro_batches(list(range(10)), 3) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert micro_batches([1, 2], 4) == [[1], [2]]
    feats = [{"input_ids": [7] * n, "attention_mask": [1] * n} for n in (5, 1, 9, 3, 2)]
    widths = predict(feats, 2, 0, lambda b: [int(m.sum()) for m in b["attention_mask"]])
    assert widths == [5, 1, 9, 3, 2]
    batch = collate(feats[:2], pad_id=0)
    assert batch["input_ids"].tolist() == [[7] * 5, [7, 0, 0, 0, 0]]


def _feats(n=40, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(4, 30)
        ids = [0] + [rng.randint(10, 500) for _ in range(k)] + [2]
        out.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": int(ids[1] % 2)})
    return out


def _model(tiny_hf, dropout=0.1):
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    return AutoModelForSequenceClassification.from_pretrained(
        tiny_hf, num_labels=2, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout
    )


def _evaluate(feats):
    def evaluate(model):
        batch = collate(feats, 1)
        out = model(**batch)
        return {
            "acc": float((out.logits.argmax(-1) == batch["labels"]).float().mean()),
            "dev_loss": float(out.loss),
        }

    return evaluate


def _settings(**kw):
    base = dict(lr=1e-3, batch_size=8, epochs=1, seed=3, warmup_ratio=0.1, log_every=2)
    return TrainSettings(**{**base, **kw})


def test_accumulation_equals_one_large_batch(tiny_hf):
    feats, dev = _feats(), _feats(8, seed=1)
    params = {}
    for accum in (1, 4):
        model = _model(tiny_hf, dropout=0.0)
        done = train(
            model, feats, _evaluate(dev), settings=_settings(grad_accum=accum), headline="acc", pad_id=1
        )
        params[accum] = (torch.cat([p.detach().flatten() for p in model.parameters()]), done.step_loss)
    (big, big_loss), (acc, acc_loss) = params[1], params[4]
    assert len(big_loss) == len(acc_loss) == 5
    assert acc_loss == pytest.approx(big_loss, rel=1e-5)
    start = torch.cat([p.detach().flatten() for p in _model(tiny_hf, dropout=0.0).parameters()])
    assert not torch.equal(big, start)  # it did train
    assert torch.allclose(big, acc, atol=2e-6, rtol=1e-4)


def test_clipping_changes_the_update_only_when_asked(tiny_hf):
    feats, dev = _feats(), _feats(8, seed=1)
    finals = []
    for clip in (None, 1e-3):
        model = _model(tiny_hf, dropout=0.0)
        train(model, feats, _evaluate(dev), settings=_settings(max_grad_norm=clip), headline="acc", pad_id=1)
        finals.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert not torch.allclose(finals[0], finals[1])


class _Stop(Exception):
    pass


def test_mid_cell_resume_equals_an_uninterrupted_cell(tiny_hf, tmp_path):
    feats, dev = _feats(), _feats(8, seed=1)
    s = _settings(epochs=3)
    whole_model = _model(tiny_hf)
    whole = train(whole_model, feats, _evaluate(dev), settings=s, headline="acc", pad_id=1)
    assert len(whole.history) == 3 and len(whole.step_loss) == 15

    calls = []
    base = _evaluate(dev)

    def dies_in_epoch_two(model):
        calls.append(1)
        if len(calls) == 2:
            raise _Stop  # killed after epoch 2's training, before its state was saved
        return base(model)

    state = tmp_path / "partial"
    with pytest.raises(_Stop):
        train(
            _model(tiny_hf), feats, dies_in_epoch_two, settings=s, headline="acc", pad_id=1, state_dir=state
        )
    assert (state / "checkpoints" / "step_00000001" / "model.safetensors").is_file()
    torch.manual_seed(1234)  # a new process: the RNG must come from the saved state, not from here
    resumed_model = _model(tiny_hf)
    resumed = train(resumed_model, feats, base, settings=s, headline="acc", pad_id=1, state_dir=state)
    assert resumed.history == whole.history
    assert resumed.step_loss == whole.step_loss
    for a, b in zip(whole_model.parameters(), resumed_model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_cell_state_refuses_pickles(tiny_hf, tmp_path):
    """The resume state loads with weights_only: a pickled object in train_state.pt is refused."""
    import hashlib
    import json

    from benchmarks.cellstate import Progress, load_state, save_state
    from benchmarks.finetune import make_optimizer
    from trainer import TrainerError

    model = _model(tiny_hf)
    opt, sched = make_optimizer(model, _settings(), 10)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    folder = save_state(tmp_path, Progress(epoch=1, best=0.5), model, opt, sched, scaler)
    progress = load_state(tmp_path, model, opt, sched, scaler)
    assert progress.epoch == 1 and progress.best == 0.5
    torch.save({"evil": _Stop()}, folder / "train_state.pt")  # a pickled object, checksum updated to match
    meta = json.loads((folder / "meta.json").read_text())
    meta["files"]["train_state.pt"] = hashlib.sha256((folder / "train_state.pt").read_bytes()).hexdigest()
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(TrainerError, match="not a plain-tensor file"):
        load_state(tmp_path, model, opt, sched, scaler)


def test_cell_record_and_tensorboard(tiny_hf, tmp_path):
    """A cell's record has every step's loss and each epoch's dev loss; its event files hold the same."""
    from benchmarks.finetune import cell_runner
    from benchmarks.sweep import Recipe
    from trainer.tensorboard import read_scalars

    feats, dev = _feats(), _feats(8, seed=1)
    recipe = Recipe(epochs=2, log_every=3)
    run_cell = cell_runner(
        lambda: _model(tiny_hf),
        feats,
        _evaluate(dev),
        recipe,
        select="acc",
        device="cpu",
        pad_id=1,
        desc="toy",
        tensorboard=tmp_path / "tb",
    )
    record = run_cell(16, 1e-4, 1)
    assert len(record["step_loss"]) == 2 * 3 and len(record["history"]) == 2
    assert all("dev_loss" in h and "train_loss" in h for h in record["history"])
    assert set(record["metrics"]) == {"acc"}
    scalars = read_scalars(tmp_path / "tb" / "toy" / "bs16_lr0.0001_seed1")
    assert [round(v, 5) for _, v in scalars["train/loss"]] == [round(v, 5) for v in record["step_loss"]]
    assert [s for s, _ in scalars["dev/dev_loss"]] == [1, 2]
    assert [round(v, 5) for _, v in scalars["dev/acc"]] == [round(h["acc"], 5) for h in record["history"]]


def test_sweep_resumes_an_interrupted_cell_and_skips_finished_ones(tiny_hf, tmp_path):
    """run_sweep: a cell killed in epoch 2 resumes from epoch 1's state, its record equals an uninterrupted
    sweep's, the state folder is removed once the record is written, and a finished cell is not re-run."""
    from benchmarks.finetune import cell_runner
    from benchmarks.sweep import Recipe, run_sweep

    feats, dev = _feats(), _feats(8, seed=1)
    recipe = Recipe(batch_sizes=(16,), lrs=(1e-4,), seeds=(1,), epochs=3, log_every=2)
    base = _evaluate(dev)
    calls: list[int] = []

    def flaky(model):
        calls.append(1)
        if len(calls) == 2:
            raise _Stop
        return base(model)

    def sweep(out, evaluate):
        run_cell = cell_runner(
            lambda: _model(tiny_hf), feats, evaluate, recipe, select="acc", device="cpu", pad_id=1, desc="toy"
        )
        return run_sweep(out, "toy", recipe, {"checkpoint": "x"}, run_cell)

    (whole,) = sweep(tmp_path / "a", base)
    with pytest.raises(_Stop):
        sweep(tmp_path / "b", flaky)
    (partial,) = (tmp_path / "b" / "cells" / "toy").glob("*/partial/bs16_lr0.0001_seed1")
    assert [p.name for p in (partial / "checkpoints").iterdir()] == ["step_00000001"]
    (resumed,) = sweep(tmp_path / "b", base)
    assert resumed == whole and len(calls) == 2  # the resumed run evaluated through `base`
    assert not partial.exists()
    (again,) = sweep(tmp_path / "b", lambda m: pytest.fail("a finished cell was re-run"))
    assert again == whole
