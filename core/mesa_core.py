"""Import the part of Mesa a model uses (``Model``, ``Agent``, ``DataCollector``), not the rest.

Mesa 3.3's package ``__init__`` imports every sub-package: ``mesa.experimental`` (scipy.spatial),
``mesa.space`` (networkx), ``mesa.discrete_space``, ``mesa.batchrunner`` (multiprocessing, tqdm);
``mesa.datacollection`` imports pandas, and ``mesa.model`` names its logger by walking the import
stack through ``inspect``, whose cost grows with every module loaded before it. A warm
``coprod run`` uses none of those libraries and spent most of its import time on them.

Python executes a package's ``__init__`` before any of its submodules, so Mesa offers no narrower
import path. ``load_mesa_core`` builds the ``mesa`` package from its own import spec *without*
executing its ``__init__`` (``importlib.util.module_from_spec``), imports ``mesa.agent``,
``mesa.model`` and ``mesa.datacollection`` into it, and executes the real ``__init__`` the first
time any other name is read from it (a PEP 562 module ``__getattr__``): ``mesa.space``,
``mesa.batch_run`` or ``mesa.__version__`` still work later in the same process. pandas is
imported by ``mesa.datacollection`` when it is first used (``get_*_dataframe``), not before.

Call it before anything imports mesa (``coprod run`` does, first thing); once mesa is imported
it does nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from coprod.core.lean_imports import complete_on_first_use


class _OnFirstUse:
    """Stands for a module until an attribute is read from it: then imports it (once) and forwards."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


def load_mesa_core() -> bool:
    """Import Mesa's model, agent and data collector without the rest of the package (see the
    module's docstring); True if it did, False if mesa was already imported (nothing changes)."""
    if "mesa" in sys.modules:
        return False
    spec = importlib.util.find_spec("mesa")
    if spec is None or spec.loader is None:
        return False  # not installed: the model's own ``import mesa`` says so
    package = importlib.util.module_from_spec(spec)
    sys.modules["mesa"] = package
    try:
        agent = importlib.import_module("mesa.agent")
        model = importlib.import_module("mesa.model")
        datacollection = _import_without_pandas("mesa.datacollection")
    except BaseException:
        for name in [name for name in sys.modules if name == "mesa" or name.startswith("mesa.")]:
            del sys.modules[name]
        raise
    package.Agent, package.Model, package.DataCollector = agent.Agent, model.Model, datacollection.DataCollector
    package.__getattr__ = complete_on_first_use(package, spec)
    return True


def _import_without_pandas(name: str) -> types.ModuleType:
    """Import ``name`` (``mesa.datacollection``, which imports pandas at its top if it can) while
    pandas reads as absent, then give it a ``pd`` that imports pandas when first used. If pandas
    is imported already, ``name`` is imported as usual."""
    if "pandas" in sys.modules:
        return importlib.import_module(name)
    sys.modules["pandas"] = None  # ``import pandas`` raises ImportError, which Mesa tolerates
    try:
        module = importlib.import_module(name)
    finally:
        del sys.modules["pandas"]
    module.pd = _OnFirstUse("pandas")
    return module
