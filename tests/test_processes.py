"""Tests for scorecard.processes: helper processes run this package, wherever they start."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import scorecard
from scorecard.processes import module_command

HOME = str(Path(scorecard.__file__).resolve().parent.parent)


def test_the_package_directory_comes_first_on_the_path_once():
    command, env = module_command("scorecard.x", {"PYTHONPATH": os.pathsep.join(["/a", HOME, "/b"]),
                                                  "KEEP": "1"})
    assert command == [sys.executable, "-P", "-m", "scorecard.x"]
    assert env["PYTHONPATH"].split(os.pathsep) == [HOME, "/a", "/b"]
    assert env["KEEP"] == "1"
    _, env = module_command("scorecard.x", {})
    assert env["PYTHONPATH"] == HOME


def test_a_helper_started_inside_another_checkout_imports_this_package(tmp_path):
    other = tmp_path / "scorecard"
    other.mkdir()
    (other / "__init__.py").write_text('raise SystemExit("imported the other checkout")\n')
    probe = "import scorecard, sys; print(scorecard.__file__)"
    # the plain `python -m` a helper was started with imports the working directory's package
    plain = subprocess.run([sys.executable, "-m", "scorecard.processes"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert plain.returncode != 0 and "other checkout" in plain.stderr
    command, env = module_command("scorecard.processes")
    ran = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    seen = subprocess.run([sys.executable, "-P", "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert seen.stdout.strip() == scorecard.__file__


def test_a_helper_imports_neither_duckdb_nor_the_build():
    # the chart helper runs one sub-module: the package's exports are imported when first used
    probe = ("import sys, scorecard.report.chart_files; "
             "print(sorted(m for m in ('duckdb', 'pyarrow', 'scorecard.build', 'scorecard.load') if m in sys.modules))")
    command, env = module_command("scorecard.processes")
    ran = subprocess.run([sys.executable, "-P", "-c", probe], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_an_installed_package_is_not_put_before_the_standard_library(monkeypatch):
    import site

    from scorecard import processes

    monkeypatch.setattr(site, "getsitepackages", lambda: [processes._HOME])
    _, env = module_command("scorecard.x", {"PYTHONPATH": "/a"})
    assert env["PYTHONPATH"] == "/a"


def _package(tmp_path: Path) -> Path:
    """A package ``deferpkg`` whose sub-module ``heavy`` counts its runs in a file."""
    pkg = tmp_path / "deferpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "heavy.py").write_text(
        "from pathlib import Path\n"
        f"_runs = Path({str(tmp_path / 'runs')!r})\n"
        "_runs.write_text(str(int(_runs.read_text() or 0) + 1) if _runs.exists() else '1')\n"
        "VALUE = 42\n"
        "def twice(x):\n    return 2 * x\n")
    return tmp_path / "runs"


def test_a_deferred_module_runs_only_when_first_used(tmp_path, monkeypatch):
    from scorecard.processes import defer_import

    runs = _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("deferpkg", "deferpkg.heavy"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    deferred = defer_import("deferpkg.heavy")
    from deferpkg import heavy              # the form Great Expectations uses: still not run
    assert heavy is deferred and not runs.exists()
    assert heavy.twice(heavy.VALUE) == 84   # first use runs it, once
    assert runs.read_text() == "1"
    assert defer_import("deferpkg.heavy") is heavy and runs.read_text() == "1"


def test_deferring_a_module_that_does_not_exist_is_an_import_error():
    import pytest

    from scorecard.processes import defer_import

    with pytest.raises(ImportError, match="no_such_module_here"):
        defer_import("no_such_module_here")


def _echo_helper(tmp_path: Path) -> dict[str, str]:
    """A helper module ``echohelper``: its setup prints, and each job prints (neither must be
    taken for its status), then copies its hand-over file's text to ``<file>.out``; a job saying
    "fail" raises; one saying "sleep" marks ``<file>.started`` and sleeps a minute."""
    (tmp_path / "echohelper.py").write_text(
        "import time\n"
        "from pathlib import Path\n"
        "from scorecard.processes import serve\n"
        "def job(path):\n"
        "    text = path.read_text()\n"
        "    if text == 'sleep':\n"
        "        Path(str(path) + '.started').write_text('1')\n"
        "        time.sleep(60)\n"
        "    print('done', flush=True)\n"
        "    if text == 'fail':\n"
        "        raise ValueError('the job said fail')\n"
        "    Path(str(path) + '.out').write_text(text)\n"
        "serve(job, setup=lambda: print('setting up', flush=True))\n")
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


def _started(marker: Path) -> None:
    import time

    for _ in range(300):
        if marker.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"{marker} never appeared")


def test_a_helper_serves_jobs_one_at_a_time_and_reports_its_failure(tmp_path):
    from scorecard.processes import Helper, release

    env = _echo_helper(tmp_path)
    h = Helper("echohelper", env)
    for i in range(3):
        (tmp_path / f"job{i}").write_text(f"job {i}")
        h.send(tmp_path / f"job{i}")
        assert h.done()                                  # its print went to stderr, not the status
        assert (tmp_path / f"job{i}.out").read_text() == f"job {i}"
    (tmp_path / "bad").write_text("fail")
    h.send(tmp_path / "bad")
    assert not h.done()
    assert "the job said fail" in h.said() and h.poll() not in (None, 0)
    h.send(tmp_path / "job0")                           # a dead helper: no hang, no exception
    assert not h.done()
    ok = Helper("echohelper", env)
    release(ok)                                          # outside keep_helpers: stopped
    assert ok.proc.wait(timeout=10) is not None


def test_keep_helpers_keeps_one_idle_helper_per_module_until_the_block_ends(tmp_path):
    from scorecard.processes import helper, keep_helpers, release

    env = _echo_helper(tmp_path)
    with keep_helpers():
        first = helper("echohelper", env)
        release(first)
        again = helper("echohelper", env)
        other = helper("echohelper", env)                # the kept one is taken: a new one
        assert again is first and other is not first
        with keep_helpers():                             # nested: the outer block still keeps
            release(again)
            release(other)                               # one is kept per module: stopped
        assert other.proc.wait(timeout=10) is not None and first.poll() is None
        (tmp_path / "job").write_text("kept")
        kept = helper("echohelper", env)
        kept.send(tmp_path / "job")
        assert kept is first and kept.done()
        release(kept)
    assert first.proc.wait(timeout=10) is not None       # the block's end stops it


def test_a_build_and_a_helper_of_different_versions_stop_with_a_message_not_a_hang(tmp_path):
    """A notebook whose scorecard was upgraded under it starts helpers running the new code."""
    from scorecard import processes

    env = _echo_helper(tmp_path)
    (tmp_path / "job").write_text("x")
    # a helper sent a line of another protocol stops, saying why
    h = processes.Helper("echohelper", env)
    h.proc.stdin.write(b"scorecard-helper/0 " + str(tmp_path / "job").encode() + b"\n")
    h.proc.stdin.flush()
    assert not h.done()
    assert "different versions of scorecard" in h.said()
    # a helper answering in another protocol is stopped, and the build says why
    (tmp_path / "oldhelper.py").write_text("import sys\nfor line in sys.stdin:\n    print('rendered', flush=True)\n")
    old = processes.Helper("oldhelper", env)
    old.send(tmp_path / "job")
    assert not old.done()
    assert old.proc.wait(timeout=10) is not None
    assert "another version of scorecard" in old.said()


def test_a_helper_s_failure_quotes_only_what_it_said_during_that_job(tmp_path):
    from scorecard.processes import Helper

    h = Helper("echohelper", _echo_helper(tmp_path))
    (tmp_path / "job").write_text("x")
    h.send(tmp_path / "job")
    assert h.done()                                      # it printed "done" (to stderr) meanwhile
    (tmp_path / "slow").write_text("sleep")
    h.send(tmp_path / "slow")
    _started(tmp_path / "slow.started")
    h.proc.kill()                                        # killed during the next job
    assert not h.done()
    said = h.said()
    assert "done" not in said and "setting up" not in said
    assert said == "it was stopped by signal 9 (out of memory?)"


def test_a_helper_still_busy_is_never_kept(tmp_path):
    """A build interrupted after sending a job: the helper would answer the next build with it."""
    from scorecard import processes

    env = _echo_helper(tmp_path)
    (tmp_path / "slow").write_text("sleep")
    with processes.keep_helpers():
        h = processes.helper("echohelper", env)
        h.send(tmp_path / "slow")
        _started(tmp_path / "slow.started")
        processes.release(h)                             # busy: stopped, not kept
        assert h.proc.wait(timeout=10) is not None
        assert processes.helper("echohelper", env) is not h
