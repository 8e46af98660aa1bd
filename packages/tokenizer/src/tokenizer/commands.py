"""Implementations of the ``tok`` sub-commands (argument parsing lives in ``tokenizer.cli``).

Each ``cmd_*`` takes the parsed arguments, prints a short human summary and returns the exit status.

Usage: ``tok inspect shards/`` (via ``tokenizer.cli.main``)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tokenizer.bpe import Tokenizer, TokenizerError
from tokenizer.shards import open_shards, read_manifest, verify_shards


def cmd_train(args: argparse.Namespace) -> int:
    from tokenizer.train_bpe import TrainConfig, train_bpe

    cfg = TrainConfig(
        inputs=tuple(args.input),
        output=args.output,
        vocab_size=args.vocab_size,
        kind=args.kind,
        max_bytes=args.max_bytes,
        min_frequency=args.min_frequency,
        allow_smaller_vocab=args.allow_smaller_vocab,
    )
    report = train_bpe(cfg)
    if report["vocab_size"] < cfg.vocab_size:
        print(
            f"warning: asked for {cfg.vocab_size} ids, the corpus yields only {report['vocab_size']} "
            "(written anyway: --allow-smaller-vocab)",
            file=sys.stderr,
        )
    print(
        f"trained {report['kind']} vocab_size={report['vocab_size']} on {report['bytes'] / 1e6:.1f} MB "
        f"({report['docs']} docs) in {report['seconds']:.1f}s, peak memory {report['peak_rss_mb']:.0f} MB "
        f"-> {args.output}"
    )
    return 0


def cmd_roberta(args: argparse.Namespace) -> int:
    from common import sample_data_dir

    from tokenizer.gpt2 import build_roberta_dir

    src = args.src
    if src is None:
        root = sample_data_dir()
        if root is None:
            raise TokenizerError("no --src given and no sample data found (set ROBERTA_SAMPLE_DATA)")
        src = root / "bpe_gpt2_roberta"
    tok = build_roberta_dir(src, args.output)
    print(f"wrote RoBERTa tokenizer ({tok.vocab_size} ids, <mask>={tok.mask_id}) to {args.output}")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    from tokenizer.encode.job import EncodeConfig, EncodeError, run_encode

    cfg = EncodeConfig(
        tokenizer=args.tokenizer,
        inputs=tuple(args.input),
        output=args.output,
        workers=args.workers,
        valid_fraction=args.valid_fraction,
        unit_bytes=max(1, int(args.unit_mb * 1e6)),
        seed=args.seed,
    )
    if args.executor == "local":
        if args.extra:
            raise EncodeError(f"{args.extra[0]} needs --executor slurm or ray")
        stats = run_encode(cfg, progress=not args.quiet)
    else:
        from common import apply_overrides
        from corpus.executors import ExecutorConfig

        from tokenizer.encode.cluster import run_encode_on

        ex_cfg = apply_overrides(ExecutorConfig(kind=args.executor), args.extra, prefix="executor")
        stats = run_encode_on(cfg, ex_cfg, tasks=args.tasks, progress=not args.quiet)
    print(
        f"encoded {stats['docs']} docs, {stats['tokens']} tokens from {stats['bytes'] / 1e6:.1f} MB "
        f"in {stats['units']} units -> {args.output} ({stats['mb_per_s_this_run']:.1f} MB/s this run)"
    )
    return 0


def _inspect_tokenizer(args: argparse.Namespace, manifest: dict) -> Tokenizer | None:
    path = args.tokenizer or (manifest.get("config") or {}).get("tokenizer")
    if not path or not Path(path).is_dir():
        return None
    tok = Tokenizer.from_dir(path)
    if manifest.get("tokenizer_sha256") not in (None, tok.sha256):
        raise TokenizerError(f"tokenizer {path} is not the one these shards were encoded with")
    return tok


def cmd_inspect(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.shards)
    if args.verify:
        verify_shards(args.shards)
        print("checksums: all files match the manifest")
    print(
        f"{args.shards}: {manifest['format']} v{manifest['version']}, dtype {manifest['dtype']}, "
        f"vocab_size {manifest['vocab_size']}, specials {manifest.get('specials')}"
    )
    for split, t in manifest["totals"].items():
        print(
            f"  {split:5s}: {len(manifest['splits'][split])} shards, {t['n_docs']} docs, "
            f"{t['n_sents']} sentences, {t['n_tokens']} tokens"
        )
    tok = _inspect_tokenizer(args, manifest)
    shards = open_shards(args.shards, "train")
    if tok is not None and shards and len(shards[0].docs) > 1:
        doc = shards[0].document(0)
        print(f"sample (train doc 0, {len(doc)} tokens): {tok.decode(doc)[: args.chars]!r}")
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    tok = Tokenizer.from_dir(args.tokenizer)
    if args.shards:
        shards = open_shards(args.shards, args.split)
        n = sum(len(s.docs) - 1 for s in shards)
        if not 0 <= args.doc < n:
            raise TokenizerError(f"--doc {args.doc} out of range: {args.split} has {n} documents")
        for s in shards:
            if args.doc < len(s.docs) - 1:
                ids = s.document(args.doc)
                break
            args.doc -= len(s.docs) - 1
    else:
        ids = args.ids or [int(x) for x in sys.stdin.read().split()]
    bad = [i for i in ids if not 0 <= int(i) < tok.vocab_size]
    if bad:
        raise TokenizerError(f"id {bad[0]} out of range for vocab_size {tok.vocab_size}")
    sys.stdout.write(tok.decode(ids))
    sys.stdout.write("\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from tokenizer.bench import BenchConfig, format_report, run_bench

    cfg = BenchConfig(
        tokenizer=args.tokenizer,
        inputs=tuple(args.input) if args.input else None,
        max_bytes=args.max_bytes,
        train_bytes=args.train_bytes,
        workers=args.workers,
        rounds=args.rounds,
        train_vocab=args.train_vocab,
    )
    report = run_bench(cfg)
    print(format_report(report))
    if args.output:
        from common import write_json_atomic

        from tokenizer.bench import plot_report

        write_json_atomic(args.output, report)
        png = plot_report(report, Path(args.output).with_suffix(".png"))
        print(f"figures: {args.output}, {png}")
    else:
        print(json.dumps(report, indent=1))
    return 0
