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
