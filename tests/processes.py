"""Killing a running command at a known moment: once it has written some whole result chunks, say."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def wait_until(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``ready()`` (or ``timeout`` seconds); fail if ``proc`` ended before that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    if proc.poll() is not None:
        stderr = proc.stderr.read() if proc.stderr else ""
        stderr = stderr.decode() if isinstance(stderr, bytes) else stderr
        raise AssertionError(f"the {what} ended before it could be killed: {stderr}")


def holds_chunks(chunks: Path, count: int) -> Callable[[], bool]:
    """Whether ``chunks`` holds ``count`` chunk files yet (a ``ready`` for the functions here)."""
    return lambda: chunks.is_dir() and len(list(chunks.glob("chunk-*.parquet"))) >= count


def wait_for_chunks(proc: subprocess.Popen, chunks: Path, count: int, timeout: float, what: str) -> None:
    """Wait until ``chunks`` holds ``count`` chunk files; fail if ``proc`` ended before that."""
    wait_until(proc, holds_chunks(chunks, count), timeout, what)


def sigkill_when(command: list[str], ready: Callable[[], bool], timeout: float, what: str,
                 cwd: Path | None = None) -> None:
    """Run ``command`` in its own session and SIGKILL the whole session (the command and its pool
    workers) once ``ready()``."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                            start_new_session=True)
    try:
        wait_until(proc, ready, timeout, what)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stderr.close()


def sigkill_after_chunks(command: list[str], chunks: Path, count: int, timeout: float, what: str,
                         cwd: Path | None = None) -> None:
    """``sigkill_when`` ``chunks`` holds ``count`` chunk files."""
    sigkill_when(command, holds_chunks(chunks, count), timeout, what, cwd)
