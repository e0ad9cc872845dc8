"""The README's dask recipe keeps every port on the loopback interface: the scheduler's, the
nannies' and the workers' own ports and their HTTP servers. The recipe is read from the README,
so the text and this test cannot drift apart; only its ports are replaced by free ones."""

from __future__ import annotations

import re
import shlex
import socket
import time
from pathlib import Path

import psutil
import pytest
from test_sweep_dask import dask_command, start, stop

pytest.importorskip("distributed", reason="dask.distributed is not importable; the --scheduler path needs it")

README = Path(__file__).resolve().parents[1] / "README.md"


def recipe() -> dict[str, list[str]]:
    """The README's `dask scheduler` and `dask worker` lines, as argument lists (comments dropped)."""
    lines = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^dask (scheduler|worker) (.*)$", line.strip())
        if match:
            lines[match.group(1)] = shlex.split(match.group(2).split("#")[0])
    assert set(lines) == {"scheduler", "worker"}, "the README's dask recipe is missing"
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(root: psutil.Process) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every listening TCP socket of ``root`` and its descendants."""
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.Error:
            continue
        found += [(process.pid, c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]
    return found


def test_the_readme_recipe_listens_on_loopback_only(tmp_path):
    from distributed import Client

    steps = recipe()
    port, http = free_port(), free_port()
    scheduler = [a.replace("8786", str(port)).replace("127.0.0.1:8787", f"127.0.0.1:{http}")
                 for a in steps["scheduler"]]
    worker = [a.replace("8786", str(port)) for a in steps["worker"]] + ["--local-directory", str(tmp_path / "w")]
    assert "--no-dashboard" in scheduler  # the case the issue found open on 0.0.0.0:8787
    procs = []
    try:
        procs.append(start(dask_command("scheduler") + scheduler, tmp_path, tmp_path / "scheduler.log"))
        procs.append(start(dask_command("worker") + worker, tmp_path, tmp_path / "worker.log"))
        with Client(f"tcp://127.0.0.1:{port}", timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
            assert client.submit(sum, [1, 2]).result() == 3
        time.sleep(1)  # every server of the started workers is up once they registered
        sockets = [s for proc in procs for s in listening(psutil.Process(proc.pid))]
        assert (port in {p for _, _, p in sockets}) and (http in {p for _, _, p in sockets}), sockets
        # scheduler, its HTTP server, and per worker: nanny, worker, worker HTTP (the nanny's own
        # HTTP server is optional across dask versions)
        assert len(sockets) >= 2 + 2 * 2, sockets
        assert [s for s in sockets if s[1] != "127.0.0.1"] == [], "listening beyond the loopback interface"
    finally:
        for proc in reversed(procs):
            stop(proc)
