"""The lock of an output folder in use: one coprod writes a folder at a time."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

from coprod.core.errors import InputError
from coprod.core.storage import LOCK_NAME


class FolderLock:
    """An exclusive ``fcntl.flock`` on ``<folder>/.coprod.lock`` holding the owner's pid, host and
    start time. The kernel drops the lock when the holder dies (also on SIGKILL), so a stale lock
    file never blocks a later run; a second live process is refused on one line naming the holder."""

    def __init__(self, folder: Path | str, option: str = "--out"):
        self.folder, self.option = Path(folder), option
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise InputError(f"{self.option} {self.folder}: in use by another coprod ({self.holder()}); "
                             "allowed: wait for it to finish, or choose another folder") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds"),
                  "command": " ".join(["coprod", *sys.argv[1:]])}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(holder) + "\n").encode())
        self._fd = fd
        return self

    def is_held(self) -> bool:
        """Whether a live process holds the lock (tested without writing anything)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    def refuse_if_held(self) -> None:
        if self.is_held():
            raise InputError(f"{self.option} {self.folder}: in use by another coprod ({self.holder()}); "
                             "allowed: wait for it to finish, or choose another folder")

    def holder(self) -> str:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return f"pid {data['pid']} on {data['host']} since {data['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "holder unknown"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays (unlinking would race)
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
