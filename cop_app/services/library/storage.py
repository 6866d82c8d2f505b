"""Where attachment bytes live, behind a small interface: `put` returns a generated key,
`open` reads it back, `delete` forgets it. `LocalStore` keeps files in a folder; when several
hosts serve the app, an S3-compatible store with the same three methods replaces it."""

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

# Keys are generated here, never taken from a file name: 32 hex characters, nothing else.
_KEY = re.compile(r"[0-9a-f]{32}")


class Store(Protocol):
    """What the library needs from a file store."""

    def put(self, data: bytes) -> str:
        """Keep `data`; return its new key."""
        ...

    def open(self, key: str) -> bytes:
        """The bytes kept under `key` (KeyError when there are none)."""
        ...

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when it is unknown)."""
        ...


class LocalStore:
    """Files under one folder, named by their generated keys (two levels of fan-out)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise KeyError(key)
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        """Write to a temporary name, then rename: a reader never sees half a file."""
        key = secrets.token_hex(16)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, path)
        return key

    def open(self, key: str) -> bytes:
        """The file's bytes."""
        path = self._path(key)
        if not path.is_file():
            raise KeyError(key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        self._path(key).unlink(missing_ok=True)


def data_dir() -> Path:
    """The app's data folder (rxconfig's DATA_DIR, moved by COP_DATA_DIR)."""
    from rxconfig import DATA_DIR

    return Path(DATA_DIR)


_store: Store | None = None


def store() -> Store:
    """The configured store: DATA_DIR/uploads unless `use` set another."""
    global _store
    if _store is None:
        _store = LocalStore(data_dir() / "uploads")
    return _store


def use(replacement: Store | None) -> None:
    """Serve attachments from another store (an object store; tests' temporary folders)."""
    global _store
    _store = replacement
