"""Import the few submodules of a library package a command uses, without the package's ``__init__``.

Python executes a package's ``__init__`` before any of its submodules, and some packages' ``__init__``
imports far more than one command needs. A warm ``coprod run`` reached SciPy twice, for little:

- numba checks, when it loads its first kernel, that BLAS is there by importing
  ``scipy.linalg.cython_blas``; ``scipy.linalg``'s ``__init__`` imports all of linear algebra and
  SciPy's array-API layer (``numpy.testing``, ``unittest``, ``numpy.f2py``, docstring parsing);
- the resource draw calls ``scipy.special.betaincinv``, one ufunc of ``scipy.special._ufuncs``;
  ``scipy.special``'s ``__init__`` imports the same array-API layer and every special function.

Together about a fifth of the run's imports. ``package_without_init`` builds the package module
from its own import spec *without* executing its ``__init__`` (``importlib.util.module_from_spec``)
and registers it, so its submodules import alone; the real ``__init__`` runs into the same module
the first time any name it lacks is read (a PEP 562 module ``__getattr__``), so anything imported
later in the same process still finds the whole package. ``core.mesa_core`` does the same for Mesa.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

# The SciPy parts a run uses: each package's submodules imported alone, and the names the run's
# code imports from the package, with the submodule that defines them (the same objects the
# complete package exports: tests/test_run_startup.py checks).
SCIPY_PARTS = {
    "scipy.linalg": (("cython_blas",), {}),
    "scipy.special": (("_ufuncs",), {"betaincinv": "_ufuncs"}),
}


def package_without_init(name: str) -> types.ModuleType | None:
    """The package ``name`` made from its import spec without running its ``__init__``, registered in
    ``sys.modules`` and on its parent package; its ``__init__`` runs on the first name it lacks.
    None when it is imported already or not installed (nothing changes)."""
    if name in sys.modules:
        return None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return None
    package = importlib.util.module_from_spec(spec)
    package.__getattr__ = complete_on_first_use(package, spec)
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
    return package


def complete_on_first_use(package: types.ModuleType, spec):
    """A package's ``__getattr__``: runs its real ``__init__`` into it, once, on the first name it
    lacks, and answers from the completed package."""
    done = []

    def rest(name: str):
        if done or (name.startswith("__") and name not in ("__version__", "__all__")):
            raise AttributeError(f"module {spec.name!r} has no attribute {name!r}")
        done.append(True)
        spec.loader.exec_module(package)
        return getattr(package, name)

    return rest


def forget(name: str) -> None:
    """Remove ``name`` and its submodules from ``sys.modules`` (a lean import that failed half-way)."""
    for loaded in [loaded for loaded in sys.modules if loaded == name or loaded.startswith(name + ".")]:
        del sys.modules[loaded]
    parent, _, child = name.rpartition(".")
    if parent in sys.modules and child in vars(sys.modules[parent]):
        delattr(sys.modules[parent], child)


def load_scipy_parts() -> bool:
    """Import the SciPy parts a run uses (``SCIPY_PARTS``) without the rest of their packages; True
    if it did, False if SciPy was already imported or is missing (nothing changes)."""
    if any(name in sys.modules for name in SCIPY_PARTS) or importlib.util.find_spec("scipy") is None:
        return False
    importlib.import_module("scipy")  # the top package's ``__init__`` is small and imports lazily
    for name, (submodules, names) in SCIPY_PARTS.items():
        package = package_without_init(name)
        if package is None:
            continue
        try:
            for submodule in submodules:
                importlib.import_module(f"{name}.{submodule}")
        except ImportError:
            forget(name)  # the usual import then raises, or works, when the run needs it
            continue
        for attribute, submodule in names.items():
            setattr(package, attribute, getattr(getattr(package, submodule), attribute))
    return True


# numba's configuration imports PyYAML only to read this file in the working directory, if there is one.
NUMBA_CONFIG_FILE = ".numba_config.yaml"


def load_numba_without_yaml() -> bool:
    """Import numba while PyYAML reads as not installed, when the working directory holds no
    ``NUMBA_CONFIG_FILE`` (numba then has nothing to read with it; its ``import yaml`` is about a
    hundredth of a warm run). True if it did; False if numba was imported already, PyYAML is,
    or the file is there (then nothing changes). PyYAML stays importable for anything later."""
    if "numba" in sys.modules or "yaml" in sys.modules or os.path.exists(NUMBA_CONFIG_FILE):
        return False
    sys.modules["yaml"] = None  # ``import yaml`` raises ImportError, which numba's config tolerates
    try:
        importlib.import_module("numba")
    finally:
        del sys.modules["yaml"]
    return True
