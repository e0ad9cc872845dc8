"""Where a result came from: the versions of coprod and of the libraries that shape its numbers, and
the git checkout it ran from (its commit, and whether it had uncommitted changes).

Every command's manifest records them. This module imports nothing of the model, so a command whose
own process never runs it (a battery or a sweep on a pool) records them without importing the
model (mesa, numba and the kernels: about a second of its start-up).
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

DEPENDENCIES = ("mesa", "numpy", "numba", "scipy", "pandas", "pyarrow", "SALib", "matplotlib")


def versions() -> dict[str, str]:
    """Versions of coprod, Python and the libraries that shape the numbers."""
    found = {"coprod": _version("coprod"), "python": platform.python_version()}
    found.update({name: _version(name) for name in DEPENDENCIES})
    return found


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


class GitAnswer:
    """One question to git about the checkout coprod runs from, asked when made and answered when
    read (``text``): the git process runs beside whatever this process does in between."""

    def __init__(self, *words: str):
        here = Path(__file__).resolve().parent
        self._answer: list[str | None] = []
        try:
            self._process = subprocess.Popen(["git", "-C", str(here), *words], stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, text=True)
        except OSError:  # no git
            self._answer.append(None)

    def text(self) -> str | None:
        """git's output, stripped; None when git failed, is missing or took over 5 s."""
        if not self._answer:
            try:
                out, _ = self._process.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self.close()
            else:
                self._answer.append(out.strip() if self._process.returncode == 0 else None)
        return self._answer[0]

    def close(self) -> None:
        """End git if its answer was never read (the run stopped before its manifest)."""
        if not self._answer:
            self._process.kill()
            self._process.communicate()
            self._answer.append(None)


# What git is asked: the checkout's commit, and its uncommitted changes. The status runs without the
# index refresh's lock, so a run stopped (or killed) while git runs leaves no index.lock behind.
COMMIT_QUESTION = ("rev-parse", "HEAD")
STATUS_QUESTION = ("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")


def _dirty(status: str | None) -> bool | None:
    """Whether git's status answer lists changes; None when there is no answer."""
    return None if status is None else bool(status)


class Checkout:
    """``git_commit`` and ``git_dirty`` asked together, in the background: ``coprod run`` asks
    before it loads its model and reads the answers for the manifest (two git processes, tens of
    milliseconds on a busy machine, no longer on its way)."""

    def __init__(self):
        self._commit = GitAnswer(*COMMIT_QUESTION)
        self._status = GitAnswer(*STATUS_QUESTION)

    def commit(self) -> str | None:
        return self._commit.text()

    def dirty(self) -> bool | None:
        return _dirty(self._status.text())

    def close(self) -> None:
        self._commit.close()
        self._status.close()


def git_commit() -> str | None:
    """The commit of the checkout coprod runs from, when it runs from one."""
    return GitAnswer(*COMMIT_QUESTION).text()


def git_dirty() -> bool | None:
    """Whether the checkout has uncommitted changes (then ``git_commit`` alone cannot repeat a
    result); None when coprod does not run from a checkout."""
    return _dirty(GitAnswer(*STATUS_QUESTION).text())
