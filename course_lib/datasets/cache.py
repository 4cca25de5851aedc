"""The on-disk cache of processed corpora: files written atomically and kept with their SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from course_lib.config import data_dir


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


FILE_MODE = 0o644  # mkstemp creates 0o600 files; cached corpora are ordinary readable files


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it onto ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_lines(filename: str, build: Callable[[], list[str]]) -> list[str]:
    """Lines of ``data_dir() / filename``, building and writing them first if needed.

    The file is stored with its SHA-256 in ``filename + ".sha256"``. A missing file, a missing
    digest or a digest mismatch (a truncated or corrupted file) triggers ``build()`` and an atomic
    rewrite (temporary file + ``os.replace``); a mismatch also emits a warning.

    Inputs:
    - filename: a plain file name inside the data directory.
    - build: function of no arguments returning the lines (str without "\\n").

    Returns:
    - lines: list of str, as returned by ``build``.
    """
    path = data_dir() / filename
    digest_path = path.with_name(path.name + ".sha256")
    if path.exists() and digest_path.exists():
        data = path.read_bytes()
        if sha256_bytes(data) == digest_path.read_text().strip():
            return data.decode("utf-8").split("\n")[:-1]
        warnings.warn(f"{path} does not match its sha256: rebuilding it", stacklevel=2)
    lines = build()
    if any("\n" in line for line in lines):
        raise ValueError("build() must return lines without newline characters")
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    atomic_write(path, data)
    atomic_write(digest_path, (sha256_bytes(data) + "\n").encode("ascii"))
    return lines
