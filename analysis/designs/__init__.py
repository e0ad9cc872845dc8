"""The sensitivity designs, one module each, registered in ``DESIGNS`` (see ``registry``).

Importing this package imports every design, so the registry is complete; the command line's
``--method`` choices are ``tuple(DESIGNS)``, in the order imported below. To add a design, add a
module here that calls ``register`` and import it below."""
# isort: skip_file
# (the import order is the registry's order, which --help and the messages show)

from coprod.analysis.designs import sobol, morris, fast, latin
from coprod.analysis.designs.registry import DESIGNS, Design, Plot, design, register

__all__ = ["DESIGNS", "Design", "Plot", "design", "register", "sobol", "morris", "fast", "latin"]
