"""``tok encode``: shards round-trip to the input documents, workers do not change the output, a killed run
resumes without loss or duplication, corrupt/truncated shards and user mistakes give one clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tokenizer import ShardError, Tokenizer, open_shards, read_manifest, read_shards, verify_shards
from tokenizer.cli import main
from tokenizer.encode.job import EncodeConfig, EncodeError, run_encode
from tokenizer.encode.sentences import split_sentences
from tokenizer.encode.units import is_valid_doc
from tokenizer.inputs import iter_documents


def _encode(roberta_dir: Path, inputs: list[Path], out: Path, **kw) -> dict:
    cfg = EncodeConfig(tokenizer=str(roberta_dir), inputs=tuple(map(str, inputs)), output=str(out), **kw)
    return run_encode(cfg, progress=False)


@pytest.fixture(scope="module")
def small_inputs(sample_data: Path) -> list[Path]:
    return [sample_data / "english_text" / "inaugural.zip", sample_data / "english_text" / "webtext.zip"]


@pytest.fixture(scope="module")
def encoded(roberta_dir: Path, small_inputs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    _encode(roberta_dir, small_inputs, out, workers=1, valid_fraction=0.2, unit_bytes=300_000)
    return out


def test_roundtrip_docs_sentences_and_split(encoded: Path, small_docs, roberta: Tokenizer):
    verify_shards(encoded)
    manifest = read_manifest(encoded)
    assert manifest["dtype"] == "uint16" and manifest["vocab_size"] == 50265
    assert manifest["specials"] == {"bos": 0, "pad": 1, "eos": 2, "unk": 3, "mask": 50264}
    assert manifest["tokenizer_sha256"] == roberta.sha256
    want = {"train": [], "valid": []}
    for key, text in small_docs:
        want["valid" if is_valid_doc(key, 0.2) else "train"].append(text)
    assert want["train"] and want["valid"]
    for split, texts in want.items():
        assert [roberta.decode(ids) for ids in read_shards(encoded, split)] == texts
        got_sents = []
        for shard in open_shards(encoded, split, verify=True):
            assert set(shard.docs.tolist()) <= set(shard.sents.tolist())
            bounds = shard.sents.tolist()
            got_sents += [roberta.decode(shard.tokens[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
        assert got_sents == [s for t in texts for s in split_sentences(t)]
    assert len(manifest["splits"]["train"]) > 3  # several units


def test_workers_give_identical_shards(roberta_dir: Path, small_inputs, encoded: Path, tmp_path: Path):
    _encode(roberta_dir, small_inputs, tmp_path, workers=2, valid_fraction=0.2, unit_bytes=300_000)
    assert read_manifest(tmp_path)["splits"] == read_manifest(encoded)["splits"]


def test_rerun_is_idempotent_and_other_job_is_refused(roberta_dir: Path, small_inputs, encoded: Path):
    before = read_manifest(encoded)["splits"]
    stats = _encode(roberta_dir, small_inputs, encoded, workers=1, valid_fraction=0.2, unit_bytes=300_000)
    assert read_manifest(encoded)["splits"] == before and stats["docs"] > 0
    with pytest.raises(EncodeError, match="another job"):
        _encode(roberta_dir, small_inputs, encoded, workers=1, valid_fraction=0.3, unit_bytes=300_000)


def test_killed_run_resumes_without_loss_or_duplication(roberta_dir: Path, sample_data: Path, tmp_path: Path):
    inputs = [sample_data / "english_text" / n for n in ("inaugural.zip", "state_union.zip", "webtext.zip")]
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "tokenizer.cli",
        "encode",
        "--tokenizer",
        str(roberta_dir),
        "--input",
        *map(str, inputs),
        "--output",
        str(out),
        "--workers",
        "1",
        "--unit-mb",
        "0.05",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list((out / ".progress").glob("unit-*.json"))) < 5 and proc.poll() is None:
        assert time.monotonic() < deadline, "encode made no progress"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "manifest.json").exists()
    done_before = len(list((out / ".progress").glob("unit-*.json")))
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    manifest = read_manifest(out)
    assert manifest["encode"]["units"] > done_before
    verify_shards(out)
    tok = Tokenizer.from_dir(roberta_dir)
    want = {"train": [], "valid": []}
    for key, text in iter_documents(inputs):
        want["valid" if is_valid_doc(key, 0.01) else "train"].append(text)
    for split, texts in want.items():
        assert [tok.decode(ids) for ids in read_shards(out, split)] == texts
    clean = tmp_path / "clean"
    _encode(roberta_dir, inputs, clean, workers=1, valid_fraction=0.01, unit_bytes=50_000)
    assert read_manifest(clean)["splits"] == manifest["splits"]


def test_encode_with_classic_hf_folder(classic_dir: Path, small_inputs, encoded: Path, tmp_path: Path):
    """``tok encode --tokenizer`` a folder of only vocab.json + merges.txt writes the same shards."""
    out = tmp_path / "classic"
    argv = [
        "encode",
        "--tokenizer",
        str(classic_dir),
        "--input",
        *map(str, small_inputs),
        "--output",
        str(out),
    ]
    assert main([*argv, "--workers", "1", "--valid-fraction", "0.2", "--unit-mb", "0.3", "--quiet"]) == 0
    manifest, reference = read_manifest(out), read_manifest(encoded)
    assert manifest["splits"] == reference["splits"]
    assert manifest["tokenizer_sha256"] == reference["tokenizer_sha256"]


def _corrupt_copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file():
            (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_corrupt_and_truncated_shards_are_detected(encoded: Path, tmp_path: Path, capsys):
    flipped = _corrupt_copy(encoded, tmp_path / "flipped")
    target = flipped / "train-00000.tokens.npy"
    data = bytearray(target.read_bytes())
    data[-3] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ShardError, match="checksum mismatch"):
        verify_shards(flipped)
    assert main(["inspect", str(flipped), "--verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: checksum mismatch") and err.count("\n") == 1

    cut = _corrupt_copy(encoded, tmp_path / "cut")
    target = cut / "train-00001.sents.npy"
    target.write_bytes(target.read_bytes()[:-16])
    with pytest.raises(ShardError, match="truncated"):
        open_shards(cut, "train")
    with pytest.raises(ShardError, match="checksum mismatch"):
        verify_shards(cut)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["encode", "--tokenizer", "/nonexistent", "--input", "x", "--output", "o"], "no vocab.json"),
        (
            ["encode", "--tokenizer", "{tok}", "--input", "/nonexistent/*.zst", "--output", "{tmp}"],
            "no input files",
        ),
        (
            ["encode", "--tokenizer", "{tok}", "--input", "x", "--output", "o", "--valid-fraction", "1.5"],
            "valid-fraction",
        ),
        (["inspect", "{tmp}"], "not a token-shard folder"),
        (["decode", "--tokenizer", "{tok}", "99999999"], "out of range"),
        (["train", "--input", "/nonexistent", "--output", "{tmp}"], "no input files"),
        (["train", "--input", "x", "--output", "{tmp}", "--vocab-size", "10"], "vocab-size"),
    ],
)
def test_user_mistakes_print_one_error_line(argv, message, roberta_dir: Path, tmp_path: Path, capsys):
    argv = [a.format(tok=roberta_dir, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["encode", "--tokenizer", "t", "--input", "x", "--output", "o", "--workers", "many"],
        ["train", "--input", "x", "--output", "o", "--no-such-flag"],
        ["inspect"],
        ["decode", "--tokenizer", "t", "--split", "test"],
        ["frobnicate"],
    ],
)
def test_bad_flags_print_one_error_line_not_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "usage:" not in err


def test_console_script_bad_flag_value(tmp_path: Path):
    out = subprocess.run(["tok", "bench", "--rounds", "two"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1 and "--rounds" in out.stderr


def test_console_script_help_and_inspect(encoded: Path, roberta_dir: Path, capsys):
    out = subprocess.run(["tok", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "tok encode" in out.stdout
    assert main(["inspect", str(encoded)]) == 0
    shown = capsys.readouterr().out
    assert "train:" in shown and "sample (train doc 0" in shown
    first = next(read_shards(encoded, "train"))
    assert main(["decode", "--tokenizer", str(roberta_dir), *map(str, first[:5].tolist())]) == 0
    assert capsys.readouterr().out == Tokenizer.from_dir(roberta_dir).decode(first[:5]) + "\n"
    assert np.asarray(first).dtype == np.uint16
