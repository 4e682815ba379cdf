"""Start-up of the command line: numpy modules that importing scipy loads and nothing here uses.

``scipy.sparse`` imports scipy's vendored ``array_api_compat``, which copies every public name
of numpy into its own namespace (``clone_module("numpy")``): it asks numpy for each name in
``dir(numpy)``, and numpy imports its lazily loaded submodules on that first request. Those in
:data:`DEFERRED` are unused by ``analyze``: ``numpy.f2py`` (the Fortran wrapper generator) and
``numpy.testing`` (which also imports ``importlib.metadata``) alone are about 0.1 s of the
CLI's 0.4 s start-up, the other three 20 ms (``python -X importtime``, scipy 1.18, numpy 2.5).

:func:`defer_unused_modules` registers them as :class:`importlib.util.LazyLoader` modules
before scipy is imported: the names exist, and a module is executed only when one of its
attributes is first used, so a command that does use one (``generate`` draws random numbers)
still works. Only the command-line entry points call it; a library import of
:mod:`linli.circle` changes nothing in the process.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

__all__ = ["DEFERRED", "defer_unused_modules"]

DEFERRED = (
    "numpy.f2py",
    "numpy.testing",
    "numpy.random",
    "numpy.polynomial",
    "numpy.ctypeslib",
)


def defer_unused_modules(names: tuple[str, ...] = DEFERRED) -> None:
    """Make each module in *names* lazy: executed on its first attribute access, not before."""
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        # The parent's attribute too: numpy's __getattr__ would otherwise import the module
        # again through the import system, which finds the lazy one half-initialised.
        parent, _, child = name.rpartition(".")
        setattr(importlib.import_module(parent), child, module)
