"""Training throughput of the NMT model: our batched trainer against a PyTorch-tutorial-style loop.

Both train the same ``course_lib.seq2seq.Seq2Seq`` (bidirectional GRU encoder, GRU decoder with
Bahdanau attention, same sizes, same Adam) on the real German-English pairs of part 6 (word
vocabularies, words seen at least twice), measured in the same run:

- tutorial-style (the classic PyTorch "NLP From Scratch: translation with a sequence to sequence
  network and attention" loop): one sentence pair at a time; the decoder is called once per
  target token (``decode_step``: attention, GRU cell, readout, output layer, log-softmax), the
  loss is the sum of the per-step NLLs, then backward and an optimiser step per sentence;
- ours (``course_lib.seq2seq``): batches of B pairs bucketed by length (``course_lib.batching``),
  the attention and GRU cell in a time loop, then one readout and one output projection for all
  steps of the batch, one masked cross-entropy, one optimiser step per batch.

Prints target tokens (incl. </s>) per second of each and the ratio. Timings on a shared machine
are noisy; the ratio is measured within one run. Takes about a minute.
Usage: python benchmarks/bench_seq2seq.py [--threads N] [--batch-sizes 64 128]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from course_lib.batching import bucket_batches, make_batch
from course_lib.config import set_seed
from course_lib.parallel_data import load_pairs, split_pairs
from course_lib.seq2seq import (
    Codec,
    Seq2Seq,
    seq2seq_loss,
    tokenize_pairs,
)

EMBED, HIDDEN = 128, 256
SECONDS = 12.0  # measuring time per variant


def _data(max_pairs: int = 6000):
    pairs = tokenize_pairs(split_pairs(load_pairs()).train[:max_pairs])
    src, tgt = [s for s, _ in pairs], [t for _, t in pairs]
    src_codec, tgt_codec = Codec(src, min_freq=2), Codec(tgt, min_freq=2)
    return ([src_codec.encode(s) for s in src], [tgt_codec.encode(t) for t in tgt],
            len(src_codec), len(tgt_codec))


def _model(n_src: int, n_tgt: int) -> tuple[Seq2Seq, torch.optim.Optimizer]:
    set_seed(0)
    model = Seq2Seq(n_src, n_tgt, EMBED, HIDDEN, "additive")
    return model, torch.optim.Adam(model.parameters(), 1e-3)


def tutorial_step(model: Seq2Seq, opt, src: list[int], tgt: list[int]) -> int:
    """One sentence, one decoder call per target token; returns the number of target tokens."""
    batch = make_batch([src], [tgt])
    opt.zero_grad()
    state = model.encode(batch.src, batch.src_len)
    loss = torch.zeros(())
    for t in range(batch.tgt_in.shape[1]):
        log_probs, state = model.decode_step(batch.tgt_in[:, t], state)  # (1, V)
        loss = loss - log_probs[0, batch.tgt_out[0, t]]
    loss.backward()
    opt.step()
    return batch.tgt_in.shape[1]


def batched_step(model: Seq2Seq, opt, batch) -> int:
    """One bucketed batch; returns the number of real target tokens."""
    opt.zero_grad()
    seq2seq_loss(model, batch).backward()
    opt.step()
    return int((batch.tgt_out != 0).sum())


def _tokens_per_second(steps) -> float:
    """Run the (callable) steps until SECONDS have passed; target tokens per second."""
    next(steps)()  # warm-up
    tokens, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        tokens += next(steps)()
    return tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    src, tgt, n_src, n_tgt = _data()
    print(f"{len(src)} DE-EN pairs, vocabularies {n_src} / {n_tgt}, E={EMBED}, H={HIDDEN}, "
          f"additive attention, {args.threads} thread(s)")
    model, opt = _model(n_src, n_tgt)
    order = np.random.default_rng(0).permutation(len(src))
    tutorial = _tokens_per_second(
        (lambda i=i: tutorial_step(model, opt, src[i], tgt[i])) for i in np.tile(order, 10))
    print(f"tutorial-style, one sentence at a time: {tutorial:8.0f} target tokens/s")
    for batch_size in args.batch_sizes:
        model, opt = _model(n_src, n_tgt)
        rng = np.random.default_rng(0)
        batches = bucket_batches(src, tgt, batch_size, rng) * 10
        ours = _tokens_per_second((lambda b=b, m=model, o=opt: batched_step(m, o, b))
                                  for b in batches)
        print(f"ours, bucketed batches of {batch_size:4d}:       {ours:8.0f} target tokens/s "
              f"= {ours / tutorial:5.1f}x")


if __name__ == "__main__":
    main()
