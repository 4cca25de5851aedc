"""Forward + backward time of course_lib.torch_lstm_gru against torch.nn.LSTM / nn.GRU on CPU.

Shapes: B = 32 sequences of T = 100 steps, D = H = 256, float32, one layer, one direction.
Three layers are timed per cell: torch's (default settings), torch's with oneDNN switched off
(``torch.backends.mkldnn.enabled = False``) and ours, with the convention of
benchmarks/timing.py (alternating passes after a warm-up, best of REPEATS, at least MIN_REPEATS,
no new pass after BUDGET seconds).
Ratio = time / time of torch's default layer; the goal for ours is at most 1.5 with one thread
(exit status 1 if missed).

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

import sys
import time

import torch
from timing import best_times, check_goal, report
from torch import nn

from course_lib.config import set_seed
from course_lib.torch_lstm_gru import GRU, LSTM

B, T, D, H = 32, 100, 256, 256
REPEATS = 10
MIN_REPEATS = 3
BUDGET = 12.0  # seconds of wall time per comparison, warm-up excluded
GOAL_RATIO = 1.5


def forward_backward(layer: nn.Module, x: torch.Tensor, onednn: bool):
    """A function doing out = layer(x); out.sum().backward() once, with oneDNN on or off."""

    def run() -> None:
        layer.zero_grad(set_to_none=True)
        previous = torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = onednn
        try:
            out, _ = layer(x)
            out.sum().backward()
        finally:
            torch.backends.mkldnn.enabled = previous

    return run


def main() -> int:
    set_seed(0)
    x = torch.randn(B, T, D, requires_grad=True)
    default_threads = torch.get_num_threads()
    ok = True
    print(f"forward + backward, B={B} T={T} D={D} H={H} float32, best of up to {REPEATS}")
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        clock, clock_name = (
            (time.thread_time, "CPU time") if threads == 1 else (time.perf_counter, "wall time")
        )
        for torch_cls, ours_cls in [(nn.LSTM, LSTM), (nn.GRU, GRU)]:
            reference = torch_cls(D, H, batch_first=True)
            name = torch_cls.__name__
            times = best_times({
                f"nn.{name}": forward_backward(reference, x, True),
                f"nn.{name} without oneDNN": forward_backward(reference, x, False),
                f"course_lib {name}": forward_backward(ours_cls.from_torch(reference), x, True),
            }, REPEATS, MIN_REPEATS, BUDGET, clock)
            print(f"-- threads={threads} ({clock_name}) {name}")
            report(times, f"nn.{name}")
            if threads == 1:  # the goal is judged on CPU time, which other processes do not inflate
                ok &= check_goal(f"our {name} time over nn.{name}'s",
                                 times[f"course_lib {name}"] / times[f"nn.{name}"], GOAL_RATIO,
                                 higher_is_better=False)
    torch.set_num_threads(default_threads)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
