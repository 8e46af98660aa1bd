"""The whole chain on tiny real data, through the real commands, with every artifact checked against its contract."""

from __future__ import annotations

import json

import pytest
from benchmarks.e2e import E2EConfig, run
from benchmarks.results import read_result
from corpus.formats import read_documents, read_stats
from tokenizer.shards import read_manifest, read_shards, verify_shards


@pytest.fixture(scope="module")
def e2e(tmp_path_factory, sample_data):
    out = tmp_path_factory.mktemp("e2e")
    cfg = E2EConfig(train_steps=20, batch_size=8, seq_len=64)
    return run(out, cfg)


def test_corpus_contract(e2e):
    docs = list(read_documents(e2e["corpus"]))  # validates id/text/url/date/source on every line
    assert len(docs) > 50
    assert len({d["id"] for d in docs}) == len(docs)
    assert all("2016-09" <= d["date"][:7] <= "2019-02" for d in docs)
    stats = read_stats(e2e["corpus"])
    assert stats["kept"] == len(docs)


def test_tokenizer_contract(e2e):
    from transformers import RobertaTokenizerFast

    hf = RobertaTokenizerFast.from_pretrained(e2e["tokenizer"])
    assert [hf.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert hf.convert_tokens_to_ids("<mask>") == len(hf) - 1


def test_shards_contract(e2e):
    from tokenizer import Tokenizer

    verify_shards(e2e["shards"])
    manifest = read_manifest(e2e["shards"])
    assert manifest["totals"]["train"]["n_docs"] > 0 and manifest["totals"]["valid"]["n_docs"] > 0
    tok = Tokenizer.from_dir(e2e["tokenizer"])
    corpus_texts = {d["text"] for d in read_documents(e2e["corpus"])}
    first = next(read_shards(e2e["shards"], "train"))
    assert tok.decode(first.tolist()) in corpus_texts  # ids decode back to a corpus document exactly


def test_checkpoint_and_export_contract(e2e):
    import torch
    from transformers import RobertaForMaskedLM

    ckpts = sorted((e2e["checkpoints"] / "checkpoints").glob("step_*"))
    assert ckpts, "no native checkpoint written"
    meta = json.loads((ckpts[-1] / "meta.json").read_text())
    assert meta["format"] == "roberta-trainer-checkpoint"
    assert (e2e["checkpoints"] / "config.json").is_file()
    model = RobertaForMaskedLM.from_pretrained(e2e["hf-export"]).eval()
    with torch.no_grad():
        logits = model(torch.tensor([[0, 5, 6, 2]])).logits
    assert logits.shape[-1] == model.config.vocab_size and torch.isfinite(logits).all()


def test_results_contract(e2e):
    files = sorted(e2e["results"].rglob("*.json"))
    results = [
        read_result(f) for f in files if json.loads(f.read_text()).get("format") == "roberta-bench-result"
    ]
    assert results and results[0].task == "sst2"
    assert 0.0 <= results[0].median <= 1.0


def test_pictures_written(e2e):
    for key in ("loss-curves", "score-chart"):
        assert e2e[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", key
