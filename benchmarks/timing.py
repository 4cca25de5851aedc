"""The timing and reporting convention shared by every benchmarks/bench_*.py script.

- Time: ``best_times`` runs every contender once as a warm-up, then alternates passes (so a busy
  machine slows all alike) and keeps each one's best (the timeit convention: the minimum is the
  least disturbed by other processes), stopping early once ``budget`` seconds have passed (after
  at least ``min_repeats``).
- Report: ``report`` prints one line per contender: its time and its ratio to a reference
  measured in the same run (never absolute seconds from another machine).
- Goal: ``check_goal`` prints whether a ratio meets the script's goal; the script exits 1 when a
  goal is missed (``sys.exit(main())``), so ``make bench`` stops there.

A script imports it as ``from timing import ...`` (Python puts the script's folder on sys.path).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_times(
    contenders: dict[str, Callable[[], object]],
    repeats: int = 7,
    min_repeats: int = 3,
    budget: float = 20.0,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best seconds (on ``clock``) of each contender, after one warm-up call each.

    Inputs:
    - contenders: name -> function of no arguments doing the work once.
    - repeats: the most alternating passes; min_repeats: the fewest, even over budget.
    - budget: seconds of wall time after which no new pass starts.
    - clock: time.perf_counter (wall time) or time.thread_time (CPU time of this thread).

    Returns:
    - seconds: name -> best time of one call.
    """
    for fn in contenders.values():
        fn()
    best = dict.fromkeys(contenders, float("inf"))
    start = time.perf_counter()
    for repeat in range(repeats):
        if repeat >= min_repeats and time.perf_counter() - start > budget:
            break
        for name, fn in contenders.items():
            begin = clock()
            fn()
            best[name] = min(best[name], clock() - begin)
    return best


def report(seconds: dict[str, float], reference: str, work: float | None = None,
           unit: str = "tokens") -> None:
    """Print each contender's time, its throughput (if ``work`` is given) and its ratio of time to
    the ``reference`` contender's (below 1 = faster than the reference)."""
    width = max(map(len, seconds))
    for name, s in seconds.items():
        rate = f"  {work / s:12,.0f} {unit}/s" if work else ""
        print(f"{name:{width}s}  {s * 1e3:10.2f} ms{rate}  time x{s / seconds[reference]:6.2f} "
              f"vs {reference}")


def check_goal(what: str, value: float, goal: float, higher_is_better: bool = True) -> bool:
    """Print ``what: value (goal >= / <= goal) met|MISSED`` and return whether it is met."""
    met = value >= goal if higher_is_better else value <= goal
    sign = ">=" if higher_is_better else "<="
    print(f"{what}: {value:.3g} (goal {sign} {goal:g}) {'met' if met else 'MISSED'}")
    return met
