"""Small helpers that the homework notebooks' visible tests share (their set-up cells import them).

The visible asserts in a homework help students debug; they decide no score (the grader checks
every exercise again outside the student's notebook, see ``course_lib.grading``). Keeping these
helpers here, tested, replaces the set-up code each homework used to paste.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager

import numpy as np


def raises(error, func: Callable, *args, **kwargs) -> bool:
    """True if func(*args, **kwargs) raises `error` (an exception class or a tuple of them).

    Any other exception, or none, gives False.
    """
    try:
        func(*args, **kwargs)
    except error:
        return True
    except Exception:
        return False
    return False


@contextmanager
def replacing(namespace: MutableMapping, **functions) -> Iterator[None]:
    """Within the block, names of `namespace` (e.g. a notebook's ``globals()``) refer to other
    objects, e.g. a stand-in for a function the student wrote in another exercise; the original
    names are restored (or removed) afterwards."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in functions}
    namespace.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def max_error(got, want) -> str:
    """A short message: the shapes if they differ, else the largest absolute difference."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    return f"largest difference {np.max(np.abs(got - want)):.2e}"


def same_shape_and_close(got, want, **tolerances) -> bool:
    """np.allclose without broadcasting: the shapes must be equal first."""
    return np.shape(got) == np.shape(want) and np.allclose(got, want, **tolerances)
