"""Starting a helper process that runs one of this package's modules (the chart helper, the
Data Docs worker) with the same ``scorecard`` as the process that starts it.

``python -m scorecard.x`` puts the working directory first on the child's ``sys.path``, so a
build started from inside another checkout of the project would have its helpers import that
checkout's code: charts drawn by two versions of the code, or a worker that fails to unpickle
what the build hands it. The command here leaves the working directory off the child's path
(``-P``) and puts the directory holding this package first on ``PYTHONPATH`` (unless that is
site-packages, where the child finds it anyway).
"""
from __future__ import annotations

import importlib.util
import os
import site
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["module_command", "defer_import"]

#: the directory holding this ``scorecard`` package (a checkout's root, or site-packages)
_HOME = str(Path(__file__).resolve().parent.parent)


def _installed(home: str) -> bool:
    """Whether ``home`` is a site-packages directory: a child finds the package there anyway,
    and putting it on ``PYTHONPATH`` would put it before the standard library."""
    sites = [*site.getsitepackages(), site.getusersitepackages()]
    return any(Path(home) == Path(p).resolve() for p in sites if p)


def module_command(module: str, env: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run ``python -m module`` with this process's
    interpreter and this package: ``env`` (default: this process's) with this package's
    directory first on ``PYTHONPATH``, unless it is site-packages (an installed package)."""
    env = dict(os.environ if env is None else env)
    if not _installed(_HOME):
        rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != _HOME]
        env["PYTHONPATH"] = os.pathsep.join([_HOME, *rest])
    return [sys.executable, "-P", "-m", module], env


def defer_import(name: str) -> ModuleType:
    """Put ``name`` (a sub-module, such as ``scipy.stats``) in ``sys.modules`` and on its parent
    without running it: it runs the first time one of its attributes is used
    (:class:`importlib.util.LazyLoader`). A helper process calls this before importing a package
    that imports ``name`` at start-up but uses it only in functions the helper never calls, so
    the helper does not pay for it. Whatever does use it gets the real module, so this changes
    only when it is imported, never what is computed.

    ``from parent import child`` then finds the deferred module without using it; ``import
    parent.child`` (any form that asks the module whether it is initialised) runs it at once.
    A name already imported is returned as it is."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module
