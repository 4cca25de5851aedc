"""Downloads of optional bigger corpora into the cache, accepted only with a pinned SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from course_lib.config import data_dir, is_offline
from course_lib.datasets.cache import FILE_MODE, sha256_file


class DownloadError(OSError):
    """A file could not be downloaded (offline mode or network failure); says how to get it."""


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its URL (http, https or file), pinned SHA-256 and local file name."""

    url: str
    sha256: str
    filename: str

    def __post_init__(self):
        if not re.fullmatch(r"(https?|file)://\S+", str(self.url)):
            raise ValueError(f"url must start with http://, https:// or file://, got {self.url!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", str(self.sha256)):
            raise ValueError(f"sha256 must be 64 lower-case hex digits, got {self.sha256!r}")
        name = str(self.filename)
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise ValueError(f"filename must be a plain file name, got {self.filename!r}")


def _manual_instructions(remote: RemoteFile, target: Path) -> str:
    return (
        f"Get it by hand: download {remote.url}, check that its sha256 is {remote.sha256}, "
        f"and put it at {target}"
    )


def _download(remote: RemoteFile, target: Path, timeout: float) -> None:
    """Stream ``remote.url`` into a temporary file next to ``target``, verify, then rename."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(remote.url, timeout=timeout) as inp:
            while block := inp.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != remote.sha256:
            raise ValueError(
                f"checksum mismatch for {remote.url}: expected sha256 {remote.sha256}, "
                f"got {digest.hexdigest()}"
            )
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as err:  # urllib.error.URLError and HTTPError are OSErrors
        raise DownloadError(
            f"could not download {remote.url} ({err}). {_manual_instructions(remote, target)}"
        ) from err
    finally:
        Path(tmp).unlink(missing_ok=True)


def fetch(remote: RemoteFile, cache_dir: Path | None = None, timeout: float = 60.0) -> Path:
    """Path of ``remote`` in the cache, downloading it first if it is missing or corrupted.

    A cached file whose SHA-256 differs from ``remote.sha256`` is deleted and downloaded again.
    ``file://`` URLs are plain local copies and work in offline mode too.

    Inputs:
    - remote: the RemoteFile (url, pinned sha256, filename).
    - cache_dir: directory to keep the file in; None means ``data_dir() / "downloads"``.
    - timeout: seconds to wait for the server.

    Returns:
    - path: ``cache_dir / remote.filename``, a file with the pinned SHA-256.

    Raises:
    - DownloadError (an OSError) in offline mode (``COURSE_OFFLINE=1``) or on a network error;
      the message gives the URL, the sha256 and the exact path to put the file at.
    - ValueError if the downloaded bytes do not have the pinned SHA-256 (nothing is kept).
    """
    if not isinstance(remote, RemoteFile):
        raise TypeError(f"remote must be a RemoteFile, got {type(remote).__name__}")
    folder = Path(cache_dir) if cache_dir is not None else data_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / remote.filename
    if target.exists():
        if sha256_file(target) == remote.sha256:
            return target
        warnings.warn(f"{target} does not match its pinned sha256: downloading it again",
                      stacklevel=2)
        target.unlink()
    if is_offline() and not remote.url.startswith("file://"):
        raise DownloadError(
            f"offline mode (COURSE_OFFLINE is set): not downloading {remote.url}. "
            + _manual_instructions(remote, target)
        )
    _download(remote, target, timeout)
    return target
