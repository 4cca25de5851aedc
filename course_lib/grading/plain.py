"""Plain values: what a sandboxed worker may send back to the grader, and how they are compared.

A student's function may return anything, including objects whose ``__eq__`` lies. The worker
therefore turns every result into plain JSON (numbers, strings, lists and tagged dicts, never
pickle) and the grader compares two such plain values itself:

- types must agree (a list is not a tuple; a ``bool`` is not a number; ints and floats are numbers);
- arrays (numpy or torch) must have exactly the reference's shape (no broadcasting: (1, V) is not
  (V,)) and values within ``rtol``/``atol`` of it; NaN equals NaN;
- dicts compare as key -> value maps, whatever their order.
"""

from __future__ import annotations

import math

import numpy as np

MAX_NUMBERS = 2_000_000  # a result larger than this is refused (memory bombs through results)


class TooLarge(ValueError):
    """A result holds more numbers than MAX_NUMBERS."""


def encode(value, budget: list[int] | None = None):
    """The plain (JSON-ready) form of a Python value.

    Inputs:
    - value: None, bool, int, float, str, numpy scalar or array, torch tensor, or a list, tuple,
      dict (e.g. Counter) or set of those. Anything else becomes {"t": "other", "type": name}.
    - budget: internal; a one-element list counting the numbers still allowed.

    Returns:
    - nested dicts {"t": kind, ...} made of JSON types only.
    """
    budget = [MAX_NUMBERS] if budget is None else budget
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool | np.bool_):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, int | np.integer):
        return {"t": "num", "v": int(value)}
    if isinstance(value, float | np.floating):
        return {"t": "num", "v": float(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    array = _as_array(value)
    if array is not None:
        budget[0] -= array.size
        if budget[0] < 0:
            raise TooLarge(f"the result holds more than {MAX_NUMBERS} numbers")
        kind = "bool" if array.dtype == bool else "num"
        data = array.astype(bool if kind == "bool" else float).ravel().tolist()
        return {"t": "array", "kind": kind, "shape": list(array.shape), "v": data}
    if isinstance(value, dict):
        items = [[encode(k, budget), encode(v, budget)] for k, v in value.items()]
        return {"t": "dict", "v": items}
    if isinstance(value, set | frozenset):
        return {"t": "set", "v": sorted((encode(v, budget) for v in value), key=repr)}
    if isinstance(value, list | tuple):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise TooLarge(f"the result holds more than {MAX_NUMBERS} items")
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "v": [encode(v, budget) for v in value]}
    return {"t": "other", "type": type(value).__name__}


def _as_array(value) -> np.ndarray | None:
    """value as a numpy array if it is a numpy array or a torch tensor, else None."""
    if isinstance(value, np.ndarray):
        return value
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return None


def same(got, want, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two plain values (see encode) agree; want is the reference's."""
    if not isinstance(got, dict) or not isinstance(want, dict):
        return False
    kind = want.get("t")
    if got.get("t") != kind:
        return False
    if kind == "none":
        return True
    if kind in ("bool", "str"):
        return got.get("v") == want["v"] and type(got.get("v")) is type(want["v"])
    if kind == "num":
        return _close_number(got.get("v"), want["v"], rtol, atol)
    if kind == "array" and want["kind"] == "bool":
        return got.get("kind") == "bool" and got.get("shape") == want["shape"] and (
            got.get("v") == want["v"])
    if kind == "array":
        return (got.get("kind") == want["kind"] and got.get("shape") == want["shape"]
                and isinstance(got.get("v"), list) and len(got["v"]) == len(want["v"])
                and all(_close_number(g, w, rtol, atol)
                        for g, w in zip(got["v"], want["v"], strict=True)))
    if kind in ("list", "tuple", "set"):
        return (isinstance(got.get("v"), list) and len(got["v"]) == len(want["v"])
                and all(same(g, w, rtol, atol)
                        for g, w in zip(got["v"], want["v"], strict=True)))
    if kind == "dict":
        return _same_mapping(got.get("v"), want["v"], rtol, atol)
    if kind == "other":
        return got.get("type") == want["type"]
    return False


def _close_number(got, want, rtol: float, atol: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    if isinstance(want, bool):
        return got is want
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got):
        return got == want
    return abs(got - want) <= atol + rtol * abs(want)


def _same_mapping(got, want, rtol: float, atol: float) -> bool:
    """Two encoded dicts ([[key, value], ...]) map the same keys to the same values."""
    if not isinstance(got, list) or len(got) != len(want):
        return False
    unmatched = list(got)
    for key, value in want:
        match = next((i for i, pair in enumerate(unmatched)
                      if isinstance(pair, list) and len(pair) == 2 and pair[0] == key), None)
        if match is None or not same(unmatched[match][1], value, rtol, atol):
            return False
        unmatched.pop(match)
    return True
