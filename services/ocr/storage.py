"""Where receipt images live: a directory under the data dir by default, behind one interface
(an object store fits the same four calls)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class ImageStore(Protocol):
    """Stores cleaned receipt images by key."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing nothing: keys are fresh)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The stored bytes (None when gone)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the image (no error when it is already gone)."""
        ...


class LocalImageStore:
    """Images as files under ``root``; writes are atomic (a temp file renamed into place)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"image key {key!r} leaves the store")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        """Read the file, if it is there."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Remove the file."""
        self._path(key).unlink(missing_ok=True)
