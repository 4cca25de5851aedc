"""The long German->English training run of part 6 (``make nmt-long``), cached for notebook 06.

Lecture 06 trains its models for about a minute each, so that the whole notebook runs in five
minutes. This run trains the same kind of model (bidirectional GRU encoder, GRU decoder with
Bahdanau attention) longer, and twice: on joint BPE subwords and on whole words with <unk>, so
the two vocabularies are compared on one budget. Each run:

- uses the lecture's data: ``parallel_data.split_pairs(load_pairs(), seed=0)``, every training
  pair, 1,000 validation pairs; the test pairs are never looked at here;
- trains with Adam, gradient clipping, dropout, validation BLEU (greedy) after every epoch,
  the learning rate halved after every epoch without a better validation BLEU, and the weights of
  the best epoch kept (course_lib.training.train);
- stops when its time budget is used up, or when validation BLEU has not improved for
  ``PATIENCE`` epochs;
- saves the model, its codecs and what happened (minutes, epochs, validation BLEU per epoch) to
  ``checkpoint_path(vocab)`` in the course's data cache, where notebook 06 finds it.

Usage: python -m course_lib.tools.train_nmt [--vocab bpe word] [--minutes 12]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from course_lib.batching import training_batches
from course_lib.config import data_dir, get_device, set_seed
from course_lib.parallel_data import load_pairs, split_pairs
from course_lib.seq2seq import (
    Seq2Seq,
    bleu,
    build_codecs,
    save_translator,
    seq2seq_loss,
    tokenize_pairs,
)
from course_lib.training import train

VOCABS = {"bpe": {"merges": 4000, "min_freq": 1},  # the lecture's joint BPE
          "word": {"merges": None, "min_freq": 2}}  # words seen once become <unk>
MODEL = {"embed_dim": 128, "hidden_size": 256, "attention": "additive", "dropout": 0.3,
         "readout": "linear"}
TRAINING = {"batch_size": 64, "lr": 3e-3, "lr_decay": 0.5, "clip_norm": 1.0}
PATIENCE = 5
N_VALID = 1000


def checkpoint_path(vocab: str) -> Path:
    """Where the long run of this vocabulary ("bpe" or "word") is saved."""
    if vocab not in VOCABS:
        raise ValueError(f"vocab must be one of {sorted(VOCABS)}, got {vocab!r}")
    return data_dir() / "nmt" / f"long_run_{vocab}.pt"


def run(vocab: str, minutes: float, max_pairs: int | None = None, n_valid: int = N_VALID,
        path: Path | None = None, progress: bool = True) -> Path:
    """Train one model for about ``minutes`` (the epoch running when they are up is finished)
    and save it; returns the checkpoint's path.

    max_pairs and n_valid shrink the data (the test of this tool uses them); path overrides
    ``checkpoint_path(vocab)``.
    """
    if not isinstance(minutes, int | float) or not minutes > 0:
        raise ValueError(f"minutes must be a positive number, got {minutes!r}")
    default_path = checkpoint_path(vocab)  # also checks vocab
    path = Path(path) if path is not None else default_path
    parts = split_pairs(load_pairs(), seed=0)
    train_pairs = tokenize_pairs(parts.train)[:max_pairs]
    valid_pairs = tokenize_pairs(parts.valid)[:n_valid]
    src_codec, tgt_codec = build_codecs(train_pairs, **VOCABS[vocab])
    src_ids = [src_codec.encode(s) for s, _ in train_pairs]
    tgt_ids = [tgt_codec.encode(t) for _, t in train_pairs]
    set_seed(0)
    model = Seq2Seq(len(src_codec), len(tgt_codec), **MODEL)
    start = time.perf_counter()
    history = train(model, training_batches(src_ids, tgt_ids, TRAINING["batch_size"]),
                    seq2seq_loss, valid_fn=lambda m: bleu(m, src_codec, tgt_codec, valid_pairs),
                    epochs=10_000, lr=TRAINING["lr"], lr_decay=TRAINING["lr_decay"],
                    clip_norm=TRAINING["clip_norm"], patience=PATIENCE, maximize=True,
                    max_seconds=60 * minutes, device=get_device(), progress=progress)
    info = {"vocab": vocab, "minutes": (time.perf_counter() - start) / 60,
            "epochs": len(history.epoch_loss), "best_epoch": history.best_epoch,
            "valid_bleu": history.valid, "epoch_loss": history.epoch_loss,
            "train_pairs": len(train_pairs), "threads": torch.get_num_threads(),
            **TRAINING}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_translator(path, model.cpu(), src_codec, tgt_codec, info)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab", nargs="+", default=["bpe", "word"], choices=sorted(VOCABS))
    parser.add_argument("--minutes", type=float, default=12.0,
                        help="training budget per vocabulary (validation included)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (one is fastest for this small recurrent model unless "
                             "the machine's cores are all idle)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    for vocab in args.vocab:
        path = run(vocab, args.minutes)
        print(f"{vocab}: saved {path}")


if __name__ == "__main__":
    main()
