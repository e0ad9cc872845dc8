"""Commands in processes of their own: killing one at a known moment (once it has written some whole
result chunks, say), and what a fresh interpreter imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
        wait_for_group_to_die(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stderr.close()


def sigkill_after_chunks(command: list[str], chunks: Path, count: int, timeout: float, what: str,
                         cwd: Path | None = None) -> None:
    """``sigkill_when`` ``chunks`` holds ``count`` chunk files."""
    sigkill_when(command, holds_chunks(chunks, count), timeout, what, cwd)


def group_members_alive(group: int) -> list[int]:
    """Processes of process group ``group`` that have not yet exited (zombies have: their files are closed)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            alive.append(int(stat.parent.name))
    return alive


def wait_for_group_to_die(group: int, timeout: float = 30.0) -> None:
    """SIGKILL is delivered at once but a busy machine takes a moment to end every process of the
    group; a child still holding the output folder's lock would make the resume below see the folder
    in use (exit 2), which a user resuming after the kill would not."""
    deadline = time.monotonic() + timeout
    while group_members_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)


def printed_by_fresh_python(code: str) -> list[str]:
    """What ``code`` prints, split into words, run in a fresh interpreter: its ``sys.modules`` holds
    only what the code imported. Fails with the interpreter's stderr if the code fails."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def loaded_by_command(argv: list[str], modules) -> tuple[int, list[str]]:
    """``coprod *argv`` run in a fresh interpreter: its exit code, and which of ``modules`` it imported."""
    code = ("import sys; from coprod.experiments.cli import main\n"
            f"code = main({list(argv)!r})\n"
            f"print(code, *sorted(name for name in {tuple(modules)!r} if name in sys.modules))")
    printed = printed_by_fresh_python(code)
    return int(printed[0]), printed[1:]
