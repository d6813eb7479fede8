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

import os
import site
import sys
from pathlib import Path

__all__ = ["module_command"]

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
