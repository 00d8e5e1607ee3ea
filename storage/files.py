"""Files and folders only their owner may read: the SQLite database (SQLite gives its -wal and
-shm files the database file's permissions), its lock file, and exports of payments.

They are created with these modes whatever the umask. Files that exist already keep theirs:
an operator may have chosen them (`make check` warns when others may read them).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700


def private_folder(path: Path) -> None:
    """Create `path` and any missing parent as folders only their owner may enter."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=OWNER_ONLY_FOLDER)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(folder, OWNER_ONLY_FOLDER)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only, unless it exists."""
    private_folder(path.parent)
    try:
        os.close(_create(path))
    except FileExistsError:
        return


def create_private_text(path: Path) -> TextIO:
    """Create `path`, which must not exist, owner-only, and open it for writing UTF-8 text
    with the line ends written as given (as the csv module wants)."""
    return os.fdopen(_create(path), "w", encoding="utf-8", newline="")


def _create(path: Path) -> int:
    # O_EXCL: never a file (or a link) that was there before, whose mode would be kept.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    os.fchmod(descriptor, OWNER_ONLY_FILE)  # os.open's mode passes through the umask
    return descriptor


def readable_by_others(path: Path) -> bool:
    """Whether users other than the owner (its group, or anyone) may read `path`."""
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
