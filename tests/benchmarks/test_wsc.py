"""WSC273 zero-shot candidate scoring: parsing, substitution, and ranking on hand-made items."""

from __future__ import annotations

import pytest
import torch
from benchmarks.errors import BenchError
from benchmarks.tasks.wsc import WscItem, candidate_score, load_wsc, predict, run_wsc, substitute

XML = """<?xml version="1.0" encoding="ISO-8859-1"?>
<collection>
<schema><text><txt1>The cat chased the dog because</txt1><pron> it </pron><txt2> was hungry. </txt2></text>
<answers><answer>The cat </answer><answer>the dog</answer></answers><correctAnswer> A. </correctAnswer></schema>
<schema><text><txt1>Ann thanked Mary for</txt1><pron> her </pron><txt2>help.</txt2></text>
<answers><answer>Ann</answer><answer>Mary</answer></answers><correctAnswer>B</correctAnswer></schema>
</collection>
"""


def test_load_and_substitute(tmp_path, sample_data):
    (tmp_path / "WSCollection.xml").write_text(XML, encoding="iso-8859-1")
    a, b = load_wsc(tmp_path, limit=2)
    assert a == WscItem("The cat chased the dog because", "it", "was hungry.", ("The cat", "the dog"), 0)
    assert b.label == 1 and b.after == "help."
    text, start, end = substitute(a, "The cat")
    assert text == "The cat chased the dog because the cat was hungry." and text[start:end] == "the cat"
    possessive = WscItem("Tom lost", "his", "keys.", ("Tom", "Bob"), 0)
    text, start, end = substitute(possessive, "Bob")
    assert text == "Tom lost Bob's keys." and text[start:end] == "Bob's"
    first = WscItem("", "He", "left.", ("The man", "Bob"), 0)
    assert substitute(first, "The man")[0] == "The man left."
    with pytest.raises(BenchError, match="expected at least 273"):
        load_wsc(tmp_path)
    real = load_wsc(sample_data / "wsc")
    assert len(real) == 273 and real[0].candidates == ("The city councilmen", "the demonstrators")
    assert [it.label for it in real[:4]] == [0, 1, 0, 1]


@pytest.fixture(scope="module")
def mlm(tiny_hf):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    return AutoModelForMaskedLM.from_pretrained(tiny_hf).eval(), AutoTokenizer.from_pretrained(tiny_hf)


def test_score_is_mean_log_prob_of_the_candidate_tokens(mlm):
    model, tok = mlm
    item = WscItem("The cat chased the dog because", "it", "was hungry.", ("The cat", "the big dog"), 1)
    text, start, end = substitute(item, "the big dog")
    ids = tok(text)["input_ids"]
    # slow reference: find the candidate's tokens by decoding, mask them, average log-softmax by hand
    want = tok(" the big dog", add_special_tokens=False)["input_ids"]
    pos = next(i for i in range(len(ids)) if ids[i : i + len(want)] == want and i > 5)
    masked = list(ids)
    for k in range(len(want)):
        masked[pos + k] = tok.mask_token_id
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([masked])).logits[0]
    ref = sum(float(torch.log_softmax(logits[pos + k], -1)[want[k]]) for k in range(len(want))) / len(want)
    assert candidate_score(model, tok, text, (start, end)) == pytest.approx(ref, abs=1e-5)


def test_ranking_follows_the_model(mlm):
    """A hand-set output bias makes the masked LM prefer one word: the ranking must follow it both ways."""
    model, tok = mlm
    item = WscItem("The cat chased the dog because", "it", "was hungry.", ("The cat", "the dog"), 0)
    cat, dog = (tok(w, add_special_tokens=False)["input_ids"][0] for w in (" cat", " dog"))
    bias = model.lm_head.bias
    saved = bias.detach().clone()
    try:
        for boosted, expected in ((dog, 1), (cat, 0)):
            with torch.no_grad():
                bias.copy_(saved)
                bias[boosted] += 30.0
            choice, scores = predict(model, tok, item)
            assert choice == expected and scores[expected] > scores[1 - expected]
    finally:
        with torch.no_grad():
            bias.copy_(saved)


def test_run_wsc_writes_a_result(tiny_hf, sample_data, tmp_path):
    from benchmarks.results import read_result

    r = run_wsc(tiny_hf, sample_data / "wsc", tmp_path, device="cpu")
    back = read_result(tmp_path / "wsc273.json")
    assert back.task == "wsc273" and back.config["n"] == 273 and back.per_seed == r.per_seed
    assert 0.0 <= back.median <= 1.0
