"""Forward + backward time of course_lib.attention.scaled_dot_product_attention against
torch.nn.functional.scaled_dot_product_attention on CPU.

Shapes (B, T, d): a batch of B sequences of T positions, one head of size d, self-attention
(query = key = value), float32, with a key padding mask (the last quarter of every other row is
padding), as a classifier or an encoder uses it. Ours materialises the (B, T, T) weights and
returns them; PyTorch's may pick a fused kernel that never stores them, so a ratio above 1 is
the price of looking at the weights.

The two functions alternate, one thread, CPU time (time.thread_time: not counting the time other
processes hold the core); after a warm-up pass each, the best of REPEATS passes is kept (the
timeit convention), stopping early (after at least MIN_REPEATS) once a size has run for BUDGET
seconds. Ratio = ours / PyTorch's.

Run: ``python benchmarks/bench_attention.py`` (under a minute).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from course_lib.attention import lengths_to_mask, scaled_dot_product_attention
from course_lib.config import set_seed

SIZES = [(32, 32, 64), (32, 128, 64), (16, 256, 128), (8, 512, 64)]  # (B, T, d)
REPEATS = 20
MIN_REPEATS = 3
BUDGET = 8.0  # seconds of wall time per size, warm-up excluded


def ours(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return scaled_dot_product_attention(x, x, x, mask)[0]


def theirs(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return F.scaled_dot_product_attention(x, x, x, attn_mask=mask)


def forward_backward_seconds(fn, x: torch.Tensor, mask: torch.Tensor) -> float:
    """CPU seconds of one out = fn(x, mask); out.sum().backward()."""
    x.grad = None
    start = time.thread_time()
    fn(x, mask).sum().backward()
    return time.thread_time() - start


def best_times(x: torch.Tensor, mask: torch.Tensor) -> tuple[float, float]:
    for fn in (ours, theirs):
        forward_backward_seconds(fn, x, mask)
    best = [float("inf"), float("inf")]
    start = time.perf_counter()
    for repeat in range(REPEATS):
        if repeat >= MIN_REPEATS and time.perf_counter() - start > BUDGET:
            break
        for k, fn in enumerate((ours, theirs)):
            best[k] = min(best[k], forward_backward_seconds(fn, x, mask))
    return best[0], best[1]


def main() -> None:
    set_seed(0)
    torch.set_num_threads(1)
    print(f"forward + backward, self-attention with a key padding mask, float32, one thread, "
          f"best of up to {REPEATS}")
    print(f"{'B':>4} {'T':>5} {'d':>5} {'ours ms':>9} {'torch ms':>9} {'ratio':>6}")
    for B, T, d in SIZES:
        x = torch.randn(B, T, d, requires_grad=True)
        lengths = torch.where(torch.arange(B) % 2 == 0, T, T - T // 4)
        mask = lengths_to_mask(lengths, T)[:, None, :]  # (B, 1, T): every query, real keys
        out_ours, out_theirs = ours(x, mask), theirs(x, mask)
        assert (out_ours - out_theirs).abs().max() < 1e-5, "the two disagree"
        t_ours, t_theirs = best_times(x, mask)
        print(f"{B:>4} {T:>5} {d:>5} {1e3 * t_ours:>9.2f} {1e3 * t_theirs:>9.2f} "
              f"{t_ours / t_theirs:>6.2f}")


if __name__ == "__main__":
    main()
