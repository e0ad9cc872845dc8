"""Compile cold numba kernels in parallel, one process per core, from a recorded list of signatures.

A cold cache costs ~20-25 s of compiling in one process (``warmup.warm_kernels``). Kernels are
independent units of compilation, so ``compile_in_parallel`` splits the cold ones over
``min(cores, kernels)`` processes: the main process compiles one share itself while subprocesses
(``python -m coprod.model.parallel_compile --worker``) compile the others, each calling
``dispatcher.compile(signature)``, which writes Numba's on-disk cache. The warm-up that follows
then loads them. Which signatures a run compiles is recorded once in ``kernel_signatures.json``
(shipped with the package), with each kernel's compile seconds to balance the shares; warmup.py
records and checks it:

    python -m coprod.model.warmup --record     # after changing a kernel's arguments or adding one

Everything here is best effort: a kernel missing from the record, a signature that no longer
parses or compiles, a worker that dies, all leave that kernel cold, and the warm-up compiles it in
the main process as before. ``tests/test_parallel_compile.py`` catches a stale record.

Signatures are stored as JSON trees of a few numba types (scalars by name, arrays, tuples,
literals) and rebuilt by ``decode_type`` from a fixed table: no ``eval`` of file text.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Imports inside functions (noqa: PLC0415) are deliberate: this module is imported by the warm-up,
# which every `coprod` command that may simulate reaches, and numba (~0.5 s) or the model's modules
# (which import this one's callers) are loaded only when a kernel is actually compiled or listed.
RECORD = Path(__file__).with_name("kernel_signatures.json")
# Set to 1 to compile serially (the warm-up alone), or to a number of processes.
PROCESSES_ENV = "COPROD_COMPILE_PROCESSES"
# Below this many recorded seconds of cold compiling, starting processes costs more than it saves.
PARALLEL_FROM_SECONDS = 3.0
_SCALARS = ("boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float32", "float64", "complex64", "complex128")


def compiled_modules() -> list:
    """The modules whose cached kernels a numba run calls."""
    from coprod.agents import ngo, professional  # noqa: PLC0415
    from coprod.core import streams  # noqa: PLC0415
    from coprod.model import engine_numba, innovation, municipality, network, outcomes, tally  # noqa: PLC0415

    return [engine_numba, tally, network, streams, municipality, innovation, outcomes, professional, ngo]


def cached_kernels() -> dict:
    """Every cached kernel of ``compiled_modules()`` by ``module.name`` (the module's last part)."""
    from numba.core.caching import FunctionCache  # noqa: PLC0415
    from numba.core.registry import CPUDispatcher  # noqa: PLC0415

    kernels = {}
    for module in compiled_modules():
        for name, value in vars(module).items():
            if not isinstance(value, CPUDispatcher) or not isinstance(getattr(value, "_cache", None), FunctionCache):
                continue
            if value.py_func.__module__ != module.__name__:  # imported from another module: listed there
                continue
            kernels[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = value
    return kernels


# --- signatures as JSON ------------------------------------------------------------------------

def encode_type(numba_type) -> str | list:
    """A JSON tree for ``numba_type``; ValueError for a type this module cannot rebuild."""
    from numba.core import types  # noqa: PLC0415

    if isinstance(numba_type, types.Literal):
        value = numba_type.literal_value
        if isinstance(value, (bool, int)):
            return ["literal", value]
    elif isinstance(numba_type, types.Array):
        if numba_type.aligned and (_scalar(numba_type.dtype) or isinstance(numba_type.dtype, types.Record)):
            return ["array", _scalar(numba_type.dtype) or _encode_record(numba_type.dtype), numba_type.ndim,
                    numba_type.layout, not numba_type.mutable]
    elif isinstance(numba_type, types.UniTuple):
        return ["unituple", encode_type(numba_type.dtype), numba_type.count]
    elif isinstance(numba_type, types.Tuple):
        return ["tuple", [encode_type(item) for item in numba_type.types]]
    elif isinstance(numba_type, types.NoneType):
        return "none"
    elif _scalar(numba_type):
        return _scalar(numba_type)
    raise ValueError(f"no JSON form for the numba type {numba_type!r}: extend parallel_compile.encode_type")


def _encode_record(record) -> list:
    """A record type (the citizens' records, agents/state.py) as ["record", fields, size, aligned],
    each field [name, scalar, offset]."""
    fields = []
    for name, field_type in record.members:
        if not _scalar(field_type):
            raise ValueError(f"no JSON form for the record field {name}: {field_type!r}")
        fields.append([name, _scalar(field_type), record.offset(name)])
    return ["record", fields, record.size, record.aligned]


def _decode_record(args: list):
    """The record type of ``_encode_record``'s tree (``args``: fields, size, aligned), rebuilt from a
    NumPy dtype of those fields."""
    import numba  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    fields, size, aligned = args
    if not (isinstance(fields, list) and isinstance(size, int) and isinstance(aligned, bool)
            and all(isinstance(f, list) and len(f) == 3 and isinstance(f[0], str) and f[1] in _SCALARS
                    and isinstance(f[2], int) for f in fields)):
        raise ValueError(f"not a recorded record type: {args!r}")
    formats = ["bool" if f[1] == "boolean" else f[1] for f in fields]
    dtype = np.dtype({"names": [f[0] for f in fields], "formats": formats, "offsets": [f[2] for f in fields],
                      "itemsize": size, "aligned": aligned})
    return numba.from_dtype(dtype)


def _scalar(numba_type) -> str | None:
    """The name of a scalar numba type in ``_SCALARS`` (numba prints its boolean as 'bool'), else None."""
    from numba.core import types  # noqa: PLC0415

    name = "boolean" if numba_type == types.boolean else str(numba_type)
    return name if name in _SCALARS and getattr(types, name) == numba_type else None


def decode_type(tree):
    """The numba type a JSON tree of ``encode_type`` stands for; ValueError for anything else."""
    from numba.core import types  # noqa: PLC0415

    if isinstance(tree, str):
        if tree == "none":
            return types.none
        if tree in _SCALARS:
            return getattr(types, tree)
    elif isinstance(tree, list) and tree:
        kind, args = tree[0], tree[1:]
        if kind == "literal" and len(args) == 1 and isinstance(args[0], (bool, int)):
            return types.literal(args[0])
        if (kind == "array" and len(args) == 4 and isinstance(args[1], int)
                and not isinstance(args[1], bool) and 0 <= args[1] <= 32 and args[2] in ("C", "F", "A")
                and isinstance(args[3], bool)):
            if args[0] in _SCALARS:
                return types.Array(getattr(types, args[0]), args[1], args[2], readonly=args[3])
            if isinstance(args[0], list) and len(args[0]) == 4 and args[0][0] == "record":
                return types.Array(_decode_record(args[0][1:]), args[1], args[2], readonly=args[3])
        if kind == "unituple" and len(args) == 2 and isinstance(args[1], int) and 0 <= args[1] <= 1024:
            return types.UniTuple(decode_type(args[0]), args[1])
        if kind == "tuple" and len(args) == 1 and isinstance(args[0], list):
            return types.Tuple(tuple(decode_type(item) for item in args[0]))
    raise ValueError(f"not a recorded numba type: {tree!r}")


def decode_signature(trees: list) -> tuple:
    if not isinstance(trees, list):
        raise ValueError(f"not a recorded signature: {trees!r}")
    return tuple(decode_type(tree) for tree in trees)


# --- the record --------------------------------------------------------------------------------

def load_record(path: Path | None = None) -> dict:
    """``{"kernels": {name: {"seconds": s, "signatures": [[tree, ...], ...]}}, "worker_start_seconds": s}``;
    empty kernels if the file is missing or unreadable (everything then compiles serially)."""
    try:
        record = json.loads(Path(path or RECORD).read_text())
        if not isinstance(record.get("kernels"), dict):
            raise ValueError("no kernels")
        return record
    except (OSError, ValueError, AttributeError):
        return {"kernels": {}, "worker_start_seconds": 2.0}


def readable(record: dict) -> str:
    """The record as JSON with one line per signature (short diffs when a kernel changes)."""
    lines = ["{", f' "about": {json.dumps(record["about"])},',
             f' "worker_start_seconds": {json.dumps(record["worker_start_seconds"])},', ' "kernels": {']
    names = list(record["kernels"])
    for i, name in enumerate(names):
        entry = record["kernels"][name]
        signatures = ",\n".join(f"   {json.dumps(signature)}" for signature in entry["signatures"])
        lines.append(f'  {json.dumps(name)}: {{"seconds": {json.dumps(entry["seconds"])}, '
                     f'"signatures": [\n{signatures}\n  ]}}'
                     + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}", ""]
    text = "\n".join(lines)
    assert json.loads(text) == record
    return text


# --- compiling ---------------------------------------------------------------------------------

def compile_kernels(names: list[str], record: dict) -> tuple[dict[str, float], dict[str, str]]:
    """Compile (into the cache) each kernel's recorded signatures; (seconds, failures) by name."""
    kernels = cached_kernels()
    seconds, failed = {}, {}
    for name in names:
        start = time.perf_counter()
        try:
            dispatcher = kernels[name]
            for trees in record["kernels"][name]["signatures"]:
                dispatcher.compile(decode_signature(trees))
        except Exception as err:  # noqa: BLE001 - any failure leaves the kernel to the warm-up
            failed[name] = f"{type(err).__name__}: {str(err)[:300]}"
        seconds[name] = time.perf_counter() - start
    return seconds, failed


def process_count(jobs: int) -> int:
    """Processes to compile ``jobs`` kernels with: ``COPROD_COMPILE_PROCESSES`` or the usable cores."""
    try:
        wanted = int(os.environ.get(PROCESSES_ENV, "0"))
    except ValueError:
        wanted = 0
    if wanted <= 0:
        try:
            wanted = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            wanted = os.cpu_count() or 1
    return max(1, min(wanted, jobs))


def shares(names: list[str], record: dict, processes: int) -> list[list[str]]:
    """Split ``names`` over ``processes`` by recorded seconds (longest first, to the least loaded);
    share 0 is the main process's, which starts no interpreter, so it starts unloaded."""
    start = float(record.get("worker_start_seconds", 2.0))
    loads = [0.0] + [start] * (processes - 1)
    split: list[list[str]] = [[] for _ in range(processes)]
    cost = {name: float(record["kernels"][name].get("seconds", 1.0)) for name in names}
    for name in sorted(names, key=lambda name: -cost[name]):
        least = loads.index(min(loads))
        split[least].append(name)
        loads[least] += cost[name]
    return [split[0]] + [share for share in split[1:] if share]  # a worker with nothing to do is not started


def plan(cold: list[str], record: dict | None = None, processes: int | None = None) -> tuple[list[list[str]], dict]:
    """The shares to compile the recorded ones of ``cold`` kernels in, over ``processes`` (None:
    ``process_count``); one share: serially, nothing to start."""
    record = load_record() if record is None else record
    known = [name for name in cold if isinstance(record["kernels"].get(name), dict)]
    total = sum(float(record["kernels"][name].get("seconds", 1.0)) for name in known)
    processes = process_count(len(known)) if processes is None else max(1, min(processes, len(known)))
    if known:  # more processes than the longest kernel divides the total into only cost memory
        longest = max(float(record["kernels"][name].get("seconds", 1.0)) for name in known)
        processes = min(processes, max(1, math.ceil(total / max(longest, 0.1))))
    if processes < 2 or total < PARALLEL_FROM_SECONDS:
        return [known], record
    return shares(known, record, processes), record


def compile_in_parallel(split: list[list[str]], record: dict, record_path: Path | None = None) -> dict[str, str]:
    """Compile share 0 here and each other share in a worker process; never raises. Returns the
    failures by kernel name (those kernels are left to the warm-up)."""
    import numba  # noqa: PLC0415

    env = dict(os.environ, **{PROCESSES_ENV: "1"})
    env["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR or env.get("NUMBA_CACHE_DIR", "")  # set in code, too
    if not env["NUMBA_CACHE_DIR"]:
        del env["NUMBA_CACHE_DIR"]
    # Workers read the record this process read (RECORD, unless told otherwise).
    command = [sys.executable, "-m", __name__, "--worker", "--record-file", str(record_path or RECORD)]
    workers, failed = [], {}
    for names in split[1:]:
        try:
            # Subprocesses, not a multiprocessing pool: nothing to pickle, no re-import of the
            # caller's __main__ (a console script, pytest, a notebook), and a crash is an exit code.
            # The names go on the command line: a worker must not wait for this process to write.
            # Its warnings go to a file: a full stderr pipe would stall it while this process compiles.
            errors = tempfile.TemporaryFile()
            worker = subprocess.Popen([*command, "--kernels", ",".join(names)], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
            workers.append((worker, names, errors))
        except OSError as err:
            failed.update({name: f"no worker: {err}" for name in names})
    _, here = compile_kernels(split[0], record)
    failed.update(here)
    timeout = 60.0 + 10.0 * sum(float(entry.get("seconds", 1.0)) for entry in record["kernels"].values())
    for worker, names, errors in workers:
        try:
            out, _ = worker.communicate(timeout=timeout)
            result = json.loads(out.splitlines()[-1])
            failed.update(result["failed"])
        except (subprocess.TimeoutExpired, ValueError, IndexError, KeyError, TypeError, OSError) as error:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
            errors.seek(0)
            said = errors.read()[-300:].decode(errors="replace")
            failed.update({name: f"worker failed: {type(error).__name__}: {said}" for name in names})
        finally:
            errors.close()
    return failed


def _worker(argv: list[str]) -> int:
    path = Path(argv[argv.index("--record-file") + 1]) if "--record-file" in argv else None
    names = argv[argv.index("--kernels") + 1].split(",")
    seconds, failed = compile_kernels(names, load_record(path))
    print(json.dumps({"seconds": seconds, "failed": failed}), flush=True)
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(_worker(sys.argv))
    print("usage: python -m coprod.model.warmup --record | --check (this module's own entry is for workers)",
          file=sys.stderr)
    sys.exit(2)
