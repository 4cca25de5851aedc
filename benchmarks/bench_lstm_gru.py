"""Forward + backward time of course_lib.torch_lstm_gru against torch.nn.LSTM / nn.GRU on CPU.

Shapes: B = 32 sequences of T = 100 steps, D = H = 256, float32, one layer, one direction.
Three layers are timed per cell: torch's (default settings), torch's with oneDNN switched off
(``torch.backends.mkldnn.enabled = False``) and ours. Their passes alternate, so a busy
machine slows all alike; after a warm-up pass each, the best of REPEATS passes is kept (the
usual timeit convention: the minimum is the least disturbed by other processes), stopping
early (after at least MIN_REPEATS) once a comparison has run for BUDGET seconds.
Ratio = time / time of torch's default layer; the goal for ours is at most 1.5.

Timed with one thread and with torch's default thread count. With one thread every operation,
backward included, runs in the calling thread, so its CPU time (time.thread_time) is measured:
it does not count the time other processes hold the core. With several threads that clock
misses the worker threads, so wall time (time.perf_counter) is measured.

Why the oneDNN line: on CPU, nn.LSTM runs a fused oneDNN kernel, nn.GRU does not. Ours, like
nn.LSTM without oneDNN, calls torch.mm (MKL); where oneDNN's matrix products are much faster
than MKL's (e.g. on AMD CPUs), that alone puts a floor under our LSTM's ratio.

Run: ``python benchmarks/bench_lstm_gru.py`` (well under two minutes).
"""

from __future__ import annotations

import time

import torch
from torch import nn

from course_lib.config import set_seed
from course_lib.torch_lstm_gru import GRU, LSTM

B, T, D, H = 32, 100, 256, 256
REPEATS = 10
MIN_REPEATS = 3
BUDGET = 12.0  # seconds of wall time per comparison, warm-up excluded


def forward_backward_seconds(layer: nn.Module, x: torch.Tensor, clock, onednn: bool) -> float:
    """Seconds (on ``clock``) of one out = layer(x); out.sum().backward(), oneDNN on or off."""
    layer.zero_grad(set_to_none=True)
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = onednn
    try:
        start = clock()
        out, _ = layer(x)
        out.sum().backward()
        return clock() - start
    finally:
        torch.backends.mkldnn.enabled = previous


def best_times(runs: list[tuple[nn.Module, bool]], x: torch.Tensor, clock) -> list[float]:
    """Best alternating passes of every (layer, oneDNN on?), after a warm-up pass each."""
    for layer, onednn in runs:
        forward_backward_seconds(layer, x, clock, onednn)
    best = [float("inf")] * len(runs)
    start = time.perf_counter()
    for repeat in range(REPEATS):
        if repeat >= MIN_REPEATS and time.perf_counter() - start > BUDGET:
            break
        for k, (layer, onednn) in enumerate(runs):
            best[k] = min(best[k], forward_backward_seconds(layer, x, clock, onednn))
    return best


def main() -> None:
    set_seed(0)
    x = torch.randn(B, T, D, requires_grad=True)
    default_threads = torch.get_num_threads()
    print(f"forward + backward, B={B} T={T} D={D} H={H} float32, best of up to {REPEATS}")
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        clock, clock_name = (
            (time.thread_time, "CPU time") if threads == 1 else (time.perf_counter, "wall time")
        )
        for torch_cls, ours_cls in [(nn.LSTM, LSTM), (nn.GRU, GRU)]:
            reference = torch_cls(D, H, batch_first=True)
            runs = [(reference, True), (reference, False), (ours_cls.from_torch(reference), True)]
            t_ref, t_plain, t_ours = best_times(runs, x, clock)
            name = torch_cls.__name__
            print(f"threads={threads} ({clock_name})  {name:4s}  nn.{name}: {t_ref * 1e3:6.1f} ms"
                  f"  without oneDNN: {t_plain * 1e3:6.1f} ms ({t_plain / t_ref:.2f}x)"
                  f"  ours: {t_ours * 1e3:6.1f} ms  ratio: {t_ours / t_ref:.2f}x")
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
