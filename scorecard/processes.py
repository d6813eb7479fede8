"""Helper processes that run one of this package's modules (the chart helper, the Data Docs
worker) with the same ``scorecard`` as the process that starts them, and serve one job at a
time; consecutive builds inside :func:`keep_helpers` share them.

``python -m scorecard.x`` puts the working directory first on the child's ``sys.path``, so a
build started from inside another checkout of the project would have its helpers import that
checkout's code: charts drawn by two versions of the code, or a worker that fails to unpickle
what the build hands it. The command here leaves the working directory off the child's path
(``-P``) and puts the directory holding this package first on ``PYTHONPATH`` (unless that is
site-packages, where the child finds it anyway).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import site
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

__all__ = ["module_command", "defer_import", "Helper", "helper", "release", "keep_helpers", "serve"]

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
    A name already imported is returned as it is. For a process with one thread, as the helpers
    are: on Python 3.11, threads using a deferred module for the first time at once can find it
    half run (CPython added a lock in later versions)."""
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


#: the first word of every line between a :class:`Helper` and :func:`serve`: a build and a
#: helper from different versions of this code (the package upgraded under a running notebook)
#: then stop with a message instead of waiting for an answer that never comes
PROTOCOL = b"scorecard-helper/1"
#: what a helper writes on its status line when a job is done
_DONE = PROTOCOL + b" done"


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


class Helper:
    """A process running ``python -m module`` (:func:`serve` on its side) that does one job at a
    time: :meth:`send` names the job's hand-over file on a line of its stdin, :meth:`done` waits
    for the job's end on the helper's status line (its stdout). Its stderr goes to a temporary
    file, so a failed helper's last words can be reported (:meth:`said`), and a helper that
    prints a lot cannot block on a full pipe."""

    def __init__(self, module: str, env: dict[str, str] | None = None):
        self.module = module
        self._stderr = tempfile.TemporaryFile()
        command, env = module_command(module, env)
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env)
        self._finalizer = weakref.finalize(self, _kill, self.proc)
        self._odd: str | None = None
        self._said_from = 0
        #: whether a job was sent and its end not yet read (:func:`release` never keeps such a helper)
        self.busy = False

    def poll(self) -> int | None:
        """The helper's exit status, or None while it runs."""
        return self.proc.poll()

    def send(self, path: Path) -> None:
        """Start a job: ``path`` names its hand-over file."""
        # what the helper writes on stderr from here on is this job's (:meth:`said`)
        self._said_from = os.fstat(self._stderr.fileno()).st_size
        self.busy = True
        try:
            self.proc.stdin.write(PROTOCOL + b" " + str(path).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the helper died: done() says so

    def done(self) -> bool:
        """Wait for the job sent last; False when the helper stopped instead, or answered in
        another protocol (it is then stopped; :meth:`said` says why)."""
        try:
            line = self.proc.stdout.readline().strip()
        except ValueError:           # stopped already (kill() closes its pipes)
            return False
        if line == _DONE:
            self.busy = False
            return True
        if line:
            self._odd = line[:80].decode("utf-8", "replace")
            self.kill()
        return False

    def said(self) -> str:
        """Once :meth:`done` is False: why, with the last lines the helper wrote on stderr."""
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:    # stdout closed but still running
            self.kill()
            code = self.proc.returncode
        self._stderr.seek(self._said_from)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        # the last words, without a traceback's lines that only point at a column (^^^^)
        tail = [line for line in lines if line.strip(" ^~")][-5:]
        if self._odd is not None:
            tail.insert(0, f"it answered {self._odd!r}, not {_DONE.decode()!r} (another version of "
                           "scorecard? start a new Python session)")
        if tail:
            return " / ".join(tail)
        if code is not None and code < 0:
            return f"it was stopped by signal {-code} (out of memory?)"
        return f"it stopped with exit status {code}"

    def kill(self) -> None:
        """Stop the helper now."""
        self._finalizer()


#: how many :func:`keep_helpers` blocks are open, and the idle helper kept for each module
_keeping = 0
_spares: dict[str, Helper] = {}
_lock = threading.Lock()


def helper(module: str, env: dict[str, str] | None = None) -> Helper:
    """An idle helper running ``module``: the one :func:`keep_helpers` kept (started with the
    environment of its first user: ``env`` is not applied to it again), or a new one."""
    with _lock:
        spare = _spares.pop(module, None)
    if spare is not None:
        if spare.poll() is None:
            return spare
        spare.kill()
    return Helper(module, env)


def release(h: Helper) -> None:
    """A helper its user no longer needs: kept for the next user inside :func:`keep_helpers`
    if it is idle, else stopped (one still busy with a job would answer the next user with this
    job's end). Releasing a kept helper again changes nothing."""
    with _lock:
        if _spares.get(h.module) is h:
            return
        if _keeping and not h.busy and h.module not in _spares and h.poll() is None:
            _spares[h.module] = h
            return
    h.kill()


@contextlib.contextmanager
def keep_helpers() -> Iterator[None]:
    """Builds run inside this block share their helper processes (the Data Docs worker, the
    chart helper): each build hands them on to the next when done, so each imports Great
    Expectations or matplotlib once for all; they are stopped when the block ends."""
    global _keeping
    with _lock:
        _keeping += 1
    try:
        yield
    finally:
        with _lock:
            _keeping -= 1
            ended = [] if _keeping else list(_spares.values())
            if not _keeping:
                _spares.clear()
        for h in ended:
            h.kill()


def serve(job: Callable[[Path], None], setup: Callable[[], None] | None = None) -> None:
    """The helper's side of :class:`Helper`: run ``setup`` (a slow import, done before the
    first job arrives), then ``job`` on each hand-over file named on stdin (after
    :data:`PROTOCOL`), saying so on the status line, until stdin ends. Anything else written to
    stdout, from ``setup`` on, goes to stderr, so it cannot be taken for the status. A job that
    raises ends the helper (its traceback on stderr): the caller's :meth:`Helper.done` sees it
    stop."""
    status = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    if setup is not None:
        setup()
    for line in sys.stdin.buffer:
        word, _, path = line.strip().partition(b" ")
        if not word:
            continue
        if word != PROTOCOL:
            sys.exit(f"this helper speaks {PROTOCOL.decode()}, and was sent {word[:80]!r}: the build "
                     "and its helper are different versions of scorecard (start a new Python session)")
        job(Path(path.decode("utf-8")))
        status.write(_DONE + b"\n")
