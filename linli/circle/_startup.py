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
still works.

``scipy.sparse.csgraph``'s ``__init__`` imports its Laplacian, which imports
``scipy.sparse.linalg`` and ``scipy.linalg`` (~65 ms) for a routine the engine never calls.
:data:`PARTIAL` names, per package, the submodules and routines the engine does use: the
package's module object is created as the import system would create it, those submodules are
imported into it and their routines set on it, and the package's own ``__init__`` runs into
that same object when any other name is first asked of it (a module ``__getattr__``,
PEP 562) -- so ``from scipy.sparse.csgraph import laplacian`` still works, a little later.

Only the command-line entry points call :func:`defer_unused_modules`; a library import of
:mod:`linli.circle` changes nothing in the process.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

__all__ = ["DEFERRED", "PARTIAL", "defer_unused_modules"]

DEFERRED = (
    "numpy.f2py",
    "numpy.testing",
    "numpy.random",
    "numpy.polynomial",
    "numpy.ctypeslib",
)

PARTIAL: dict[str, dict[str, tuple[str, ...]]] = {
    "scipy.sparse.csgraph": {
        "_shortest_path": ("dijkstra",),
        "_traversal": ("connected_components",),
    },
}


def defer_unused_modules(names: tuple[str, ...] = DEFERRED) -> None:
    """Make each module in *names* lazy: executed on its first attribute access, not before;
    then import the packages of :data:`PARTIAL` with only the routines named there."""
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
    for package, routines in PARTIAL.items():
        _import_partially(package, routines)


def _import_partially(name: str, routines: dict[str, tuple[str, ...]]) -> None:
    """Package *name* with the given submodules' routines; its ``__init__`` runs on demand."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)  # __path__ and __spec__ set, not executed

    def complete(attr: str) -> Any:
        # First use of a name not provided: run __init__ now, as the import would have.
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attr)

    module.__dict__["__getattr__"] = complete
    sys.modules[name] = module
    try:
        for submodule, names in routines.items():
            sub = importlib.import_module(f"{name}.{submodule}")
            for routine in names:
                setattr(module, routine, getattr(sub, routine))
    except Exception:
        # Whatever went wrong, leave the package to the ordinary import.
        del sys.modules[name]
        return
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, module)
