"""Forward + backward time of course_lib.torch_lstm_gru against torch.nn.LSTM / nn.GRU on CPU.

Shapes: B = 32 sequences of T = 100 steps, D = H = 256, float32, one layer, one direction.
Passes of ours and torch's alternate (so a busy machine slows both alike); after a warm-up
pass each, the best of REPEATS passes is kept (the usual timeit convention: the minimum is the
least disturbed by other processes). Ratio = ours / torch; the goal is at most 1.5. Timed with
one thread (reproducible on a shared machine) and with torch's default thread count.

Run: ``python benchmarks/bench_lstm_gru.py`` (about a minute).
"""

from __future__ import annotations

import time

import torch
from torch import nn

from course_lib.config import set_seed
from course_lib.torch_lstm_gru import GRU, LSTM

B, T, D, H = 32, 100, 256, 256
REPEATS = 5


def forward_backward_seconds(layer: nn.Module, x: torch.Tensor) -> float:
    """Wall time in seconds of one out = layer(x); out.sum().backward()."""
    layer.zero_grad(set_to_none=True)
    start = time.perf_counter()
    out, _ = layer(x)
    out.sum().backward()
    return time.perf_counter() - start


def best_times(layers: list[nn.Module], x: torch.Tensor) -> list[float]:
    """Best of REPEATS alternating passes for every layer, after one warm-up pass each."""
    for layer in layers:
        forward_backward_seconds(layer, x)
    best = [float("inf")] * len(layers)
    for _ in range(REPEATS):
        for k, layer in enumerate(layers):
            best[k] = min(best[k], forward_backward_seconds(layer, x))
    return best


def main() -> None:
    set_seed(0)
    x = torch.randn(B, T, D, requires_grad=True)
    default_threads = torch.get_num_threads()
    print(f"forward + backward, B={B} T={T} D={D} H={H} float32, best of {REPEATS}")
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for torch_cls, ours_cls in [(nn.LSTM, LSTM), (nn.GRU, GRU)]:
            reference = torch_cls(D, H, batch_first=True)
            t_ref, t_ours = best_times([reference, ours_cls.from_torch(reference)], x)
            name = torch_cls.__name__
            print(f"threads={threads}  {name:4s}  nn.{name}: {t_ref * 1e3:6.1f} ms  "
                  f"ours: {t_ours * 1e3:6.1f} ms  ratio: {t_ours / t_ref:.2f}x")
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
