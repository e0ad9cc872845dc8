"""One long command's output folder, from the first check to the last file: ``Session``.

``sweep``, ``claims``, ``compare``, ``patterns`` and ``calibrate`` each compute something long and
put it in a folder. What they do around that computation is the same, and it is written here once:

* check ``--out`` (and the ``<out>.partial`` working folder) before anything is written;
* refuse a folder that holds other work, or a stopped one without ``--resume``;
* on ``--resume``, refuse other settings (the plan the stopped manifest records) before a kernel
  compiles or a worker starts, and again under the lock;
* lock the working folder (``FolderLock``) while the command writes it, write the manifest there
  and remove what a killed writer left;
* turn Ctrl-C into one line naming the command that resumes, exit 130, and a failed run, a lost
  executor or a full disk into one line, exit 1 (``CommandStopped``, which ``cli.main`` prints);
* once the result is in place, remove the working folder.

Three layouts, one per kind of command:

* ``STAGED`` (claims, calibrate): the work goes to ``<out>.partial/``; the result ``<out>/``
  appears whole at the end (``storage.atomic_directory``) and the working folder goes.
* ``IN_PLACE`` (sweep): the folder itself holds the manifest and the chunks and is resumed in
  place; its own plan check compares the stored samples too (``sweep._refuse_other_settings``).
* ``RESERVED`` (compare, patterns): nothing to resume; the folder is reserved (created and
  locked) while the runs go, the result is put there whole, and a stop leaves nothing behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from coprod.core.errors import CommandStopped, InputError
from coprod.core.locks import FolderLock
from coprod.core.storage import LOCK_NAME, read_json, write_json
from coprod.experiments.checks import check_out
from coprod.experiments.runner import ExecutorLost, Interrupted, RunFailed, StorageFailed

STAGED, IN_PLACE, RESERVED = "staged", "in place", "reserved"
MANIFEST = "manifest.json"
# What stops a long command after it saved what it could (the runner's, and Ctrl-C inside a library).
FAULTS = (RunFailed, ExecutorLost, StorageFailed)


class Session:
    """The output folder of one long command, from start to end (see the module docstring).

    ``unit`` names what a stop keeps ("runs", "pairs", "generations"), and ``counted`` whether the
    runner's count of finished tasks counts them (not so for generations); ``plan_fields`` the
    manifest fields a ``--resume`` must find unchanged (``STAGED``); ``holds`` says what a working
    folder without a manifest already holds (work that a fresh start would lose), if anything."""

    def __init__(self, command: str, out: Path | str, *, layout: str, resume: bool = False, quiet: bool = False,
                 argv: Sequence[str] | None = None, explicit_out: bool = True, unit: str = "runs",
                 counted: bool = True, plan_fields: Sequence[str] = (),
                 holds: Callable[[Path], str | None] | None = None):
        self.command, self.out, self.layout = command, Path(out), layout
        self.resume, self.quiet, self.unit, self.counted = resume, quiet, unit, counted
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.explicit_out, self.plan_fields, self.holds = explicit_out, tuple(plan_fields), holds
        # (an --out without a name, e.g. "", is refused by ``check_folders`` before the folder is used)
        staged = layout == STAGED and self.out.name
        self.folder = self.out.with_name(self.out.name + ".partial") if staged else self.out
        self.given_out: str | None = None  # --out as typed (``Path("")`` would read as ".")

    @classmethod
    def for_command(cls, command: str, args: argparse.Namespace, out: Path, **kw) -> Session:
        """The session of ``coprod <command>`` as parsed into ``args`` (``cli.main`` puts the
        words it parsed in ``args.argv``, so the resume command repeats them)."""
        session = cls(command, out, resume=bool(getattr(args, "resume", False)),
                      quiet=bool(getattr(args, "quiet", False)), argv=getattr(args, "argv", None),
                      explicit_out=getattr(args, "out", None) is not None, **kw)
        session.given_out = getattr(args, "out", None)
        return session

    # --- before anything is written -------------------------------------------------------------

    def check_folders(self) -> None:
        """``--out`` can hold the result, and (``STAGED``) its working folder can be made."""
        check_out(self.given_out if self.given_out is not None else self.out, may_exist=self.resume)
        if self.layout == STAGED:
            check_out(self.folder, "--out", may_exist=True)

    def is_complete(self) -> bool:
        """``--resume`` on a staged result that is already whole (a kill came after the report)."""
        return self.layout == STAGED and self.resume and (self.out / MANIFEST).is_file()

    def finish_complete(self, what: str) -> int:
        """Remove what a kill after the report left (the working folder, half-written report
        folders) and say the result is complete."""
        if self.folder.exists():
            with FolderLock(self.folder):
                shutil.rmtree(self.folder)
        self.remove_report_leftovers()
        if not self.quiet:
            print(f"the {what} in {self.out} is complete; report in {self.out / 'report.html'}")
        return 0

    def refuse_occupied(self, what: str) -> None:
        """A staged result goes to a new or empty ``--out``; a stopped one continues only with ``--resume``."""
        if self.out.exists() and any(self.out.iterdir()):
            raise InputError(f"--out {self.out}: exists and is not empty; allowed: a new or empty directory")
        if self.folder.exists() and not self.resume:
            raise InputError(f"--out {self.out}: an interrupted {what} is in {self.folder}; allowed: the same "
                             f"command with --resume to continue it, or remove {self.folder}")

    def resumed(self, manifest: dict) -> dict:
        """The manifest to write: ``manifest`` itself for a fresh start, else the stopped one's
        history with this session added; refused (``InputError``) unless the plans match. Reads
        only, so it may run before the folder is locked (and runs again under the lock)."""
        if not self.resume:
            return manifest
        old = stopped_plan(self.folder, manifest, self.plan_fields, self.command,
                           self.holds(self.folder) if self.holds else None)
        if old is None:
            return manifest
        return {**manifest, "created_utc": old.get("created_utc", manifest["created_utc"]),
                "resumed_utc": old.get("resumed_utc", []) + [manifest["created_utc"]],
                "command": old.get("command", manifest["command"])}

    # --- while it runs -------------------------------------------------------------------------

    @contextlib.contextmanager
    def working(self, manifest: dict) -> Iterator[dict]:
        """``STAGED``: create and lock ``<out>.partial``, check the plan again under the lock, clean
        what a killed writer left, write the manifest; yield it. Stops become ``CommandStopped``;
        when the block ends normally (the result is in place) the working folder goes."""
        with self.stops():
            self.folder.mkdir(parents=True, exist_ok=True)
            with FolderLock(self.folder):
                manifest = self.resumed(manifest)  # again under the lock: the folder is ours now
                self.remove_report_leftovers()
                for leftover in self.folder.glob(f".{MANIFEST}.*.tmp"):
                    leftover.unlink(missing_ok=True)
                write_json(self.folder / MANIFEST, manifest)
                yield manifest
                shutil.rmtree(self.folder)

    @contextlib.contextmanager
    def locked(self) -> Iterator[Path]:
        """``IN_PLACE``: create and lock the folder; a file that cannot be written there (a full
        disk) is the runner's ``StorageFailed``, one line."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageFailed(f"cannot create {self.folder}: {err.strerror or err}") from None
        with FolderLock(self.folder):
            try:
                yield self.folder
            except OSError as err:
                raise StorageFailed(f"cannot write in {self.folder}: {err.strerror or err}") from None

    @contextlib.contextmanager
    def reserved(self) -> Iterator[Path]:
        """``RESERVED``: the folder is created and locked while the runs go (a second coprod aiming
        here is refused now, not after its runs); a stop leaves nothing behind."""
        with self.stops(), reserved_folder(self.out):
            yield self.out

    @contextlib.contextmanager
    def stops(self) -> Iterator[None]:
        """Ctrl-C (the runner's ``Interrupted``, or a ``KeyboardInterrupt`` from a library) and the
        runner's faults as one ``CommandStopped`` line: what is kept, and how to resume."""
        try:
            yield
        except (Interrupted, KeyboardInterrupt) as stop:
            raise CommandStopped(f"coprod {self.command}: interrupted; {self._kept(stop)}{self._resume_clause()}",
                                 130) from None
        except FAULTS as err:
            raise CommandStopped(f"coprod {self.command}: stopped: {err}; {self._kept()}{self._resume_clause()}",
                                 1) from None

    @contextlib.contextmanager
    def writing_report(self) -> Iterator[None]:
        """A report that cannot be written (a full disk) keeps the finished work and says so."""
        try:
            yield
        except OSError as err:
            raise CommandStopped(f"coprod {self.command}: cannot write the report in {self.out.parent}: "
                                 f"{err.strerror or err}; {self._kept()}; free space and "
                                 f"{self._resume_clause().lstrip('; ')}", 1) from None

    def remove_report_leftovers(self) -> None:
        """Half-written result folders (``.tmp-<name>-*``) a killed command left beside ``out``.
        Called while holding the working folder's lock, so no live command is writing them."""
        if self.out.parent.is_dir():
            for leftover in self.out.parent.glob(f".tmp-{self.out.name}-*"):
                shutil.rmtree(leftover, ignore_errors=True)

    # --- messages ------------------------------------------------------------------------------

    def resume_command(self) -> str:
        """The command that continues this work: the same words, with ``--out`` and ``--resume`` last."""
        words = ["coprod", *(word for word in self.argv if word != "--resume")]
        if not self.explicit_out:
            words += ["--out", str(self.out)]
        return shlex.join(words + ["--resume"])

    def _kept(self, stop: BaseException | None = None) -> str:
        if self.layout == RESERVED:
            return "nothing was written"
        if isinstance(stop, Interrupted) and self.counted:
            return f"{stop.done} of {stop.total} {self.unit} kept in {self.folder}"
        return f"finished {self.unit} are kept in {self.folder}"

    def _resume_clause(self) -> str:
        return "" if self.layout == RESERVED else f"; resume with: {self.resume_command()}"


def stopped_plan(partial: Path, manifest: dict, plan_fields: Sequence[str], command: str,
                 holds: str | None) -> dict | None:
    """The manifest a stopped ``coprod <command>`` left in ``partial``, refused (``InputError``)
    unless every field of its plan matches ``manifest``; None when it was stopped before writing
    one. ``holds`` names what the folder already holds (work that would be lost), if anything."""
    path = partial / MANIFEST
    if not path.is_file():
        if holds:
            raise InputError(f"--resume: {partial} holds {holds} but no {MANIFEST}; allowed: the --out of a "
                             f"`coprod {command}` that was stopped")
        return None
    old = read_json(path, f"remove {partial} and start `coprod {command}` afresh")  # checksum checked
    if not isinstance(old, dict):
        raise InputError(f"--resume: {path}: not a coprod manifest; allowed: the --out of a `coprod {command}` "
                         "that was stopped")
    for key in plan_fields:
        if old.get(key) != json.loads(json.dumps(manifest[key])):
            raise InputError(f"--resume: {partial} was started with {key} = {old.get(key)!r}, not "
                             f"{manifest[key]!r}; allowed: the settings it was started with")
    return old


@contextlib.contextmanager
def reserved_folder(folder: Path | str, option: str = "--out") -> Iterator[Path]:
    """Create ``folder`` (new or empty) and lock it while the caller computes a result that
    ``storage.atomic_directory`` then puts there whole: a second coprod aiming at the same folder
    is refused at once instead of finding it taken after its whole simulation. If the caller ends
    without a result, the reservation is undone (nothing left behind)."""
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder, option)
    try:
        lock.acquire()
    except BaseException:
        _undo_reservation(folder, created, ours=False)
        raise
    try:
        yield folder
    finally:
        lock.release()
        _undo_reservation(folder, created, ours=True)


def _undo_reservation(folder: Path, created: bool, ours: bool) -> None:
    """Remove the lock file (ours) and the folder (if we created it) when they are all there is."""
    with contextlib.suppress(OSError):
        names = [p.name for p in folder.iterdir()]
        if ours and names == [LOCK_NAME]:
            (folder / LOCK_NAME).unlink()
            names = []
        if created and not names:
            folder.rmdir()
