"""Keep Numba's on-disk kernel cache true to the rules the kernels inline.

Numba keys a cached kernel on the source file that defines it (its modification time and size)
and not on the functions it calls from other modules. A change to ``agents/rules.py`` or
``core/streams.py`` would therefore leave stale compiled rules in the cache, and the numba engine
would silently disagree with the agents. This stamps the cache with a hash of every source a
module's kernels inline and drops that module's cache files when the hash changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def drop_stale_kernels(dispatcher, module_name: str, sources: list[str]) -> None:
    """Delete ``module_name``'s cached kernels if the inlined ``sources`` changed since they were built.

    ``dispatcher`` is any cached kernel of the module (all share its cache folder). Best effort: a
    cache folder that cannot be read or written only means Numba compiles again.
    """
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source).read_bytes())
    stamp_text = digest.hexdigest()
    try:
        folder = Path(dispatcher._cache._cache_path)
        stamp = folder / f"{module_name}.inlined-sha256"
        if stamp.exists() and stamp.read_text() == stamp_text:
            return
        for cached in folder.glob(f"{module_name}.*.nb[ic]"):
            cached.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        stamp.write_text(stamp_text)
    except OSError:
        return
