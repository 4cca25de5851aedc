"""Speed of the course's RNNs against torch.nn.RNN, forward + backward on the same sizes.

Compared (float32 and float64 CPU, N=32 sequences, T=50 steps, D=H=128):
- course_lib.rnn (numpy): rnn_forward + rnn_backward, hand-written BPTT;
- course_lib.torch_rnn.RNN: torch ops in a python time loop, autograd backward;
- torch.nn.RNN: the fused library kernel.

Prints the best time of several alternating repeats and the ratio to torch.nn.RNN (the
convention of benchmarks/timing.py). Runs in well under a minute.
Usage: python benchmarks/bench_rnn.py
"""

from __future__ import annotations

import numpy as np
import torch
from timing import best_times, report

from course_lib.rnn import rnn_backward, rnn_forward
from course_lib.torch_rnn import RNN

N, T, D, H = 32, 50, 128, 128
REPEATS = 7

def _numpy_step(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = np.zeros((N, H), dtype=dtype)
    Wx = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype)
    b = np.zeros(H, dtype=dtype)
    dh = rng.standard_normal((N, T, H)).astype(dtype)

    def run():
        _, cache = rnn_forward(x, h0, Wx, Wh, b)
        rnn_backward(dh, cache)

    return run


def _torch_step(module, dtype):
    module = module.to(dtype)
    x = torch.randn(N, T, D, dtype=dtype, requires_grad=True)

    def run():
        module.zero_grad()
        out, _ = module(x)
        out.sum().backward()

    return run


def main() -> None:
    torch.manual_seed(0)
    print(f"N={N} T={T} D={D} H={H}, forward + backward, best of {REPEATS}, "
          f"torch threads={torch.get_num_threads()}")
    for np_dtype, dtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        ref = torch.nn.RNN(D, H, batch_first=True)
        times = best_times({
            "torch.nn.RNN": _torch_step(ref, dtype),
            "course_lib.torch_rnn.RNN": _torch_step(RNN.from_torch(ref), dtype),
            "course_lib.rnn (numpy)": _numpy_step(np_dtype),
        }, repeats=REPEATS)
        print(f"-- {np.dtype(np_dtype).name}")
        report(times, "torch.nn.RNN")


if __name__ == "__main__":
    main()
