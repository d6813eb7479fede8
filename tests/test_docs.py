"""Tests for scorecard.validate.docs: the Data Docs worker, and Great Expectations and matplotlib
imported only where they are used."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest

from scorecard.errors import ScorecardError
from scorecard.validate.docs import DocsWorker, StoredDocs, pack, unpack
from scorecard.validate.engine import ExpectationResult, SuiteResult

HEAVY = ("great_expectations", "matplotlib")


def _imported_after(code: str, tmp_path) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy packages it left imported."""
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={**__import__("os").environ, "SCORECARD_KEY_FILE": str(tmp_path / "key")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_scorecard_imports_neither_gx_nor_matplotlib(tmp_path):
    assert _imported_after("import scorecard, scorecard.cli, scorecard.build, scorecard.validate\n",
                           tmp_path) == []


def test_validate_dfe_only_imports_neither_gx_nor_matplotlib(tmp_path):
    from scorecard import synth

    synth.generate(tmp_path / "raw", scale=0.05, years=1, seed=4, formats=("cin_census",))
    census = tmp_path / "raw" / "cin_census.xml"
    code = f"""
        from click.testing import CliRunner
        from scorecard.cli import main
        res = CliRunner().invoke(main, ["validate", {str(census)!r}, "--dfe-only", "--out", {str(tmp_path / 'o')!r}])
        assert res.exit_code in (0, 1), res.output
    """
    assert _imported_after(code, tmp_path) == []
    assert (tmp_path / "o" / "validation.csv").exists()
    # the check of the check: a full validation does import GX (in its Data Docs worker, not here)
    assert _imported_after("import great_expectations\n", tmp_path) == ["great_expectations"]


def _suite_result() -> SuiteResult:
    e = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"},
         "meta": {"check_id": "t.x_missing", "severity": "error", "message": "x is missing"}}
    result = {"element_count": 2, "unexpected_count": 1, "unexpected_percent": 50.0,
              "partial_unexpected_list": [None], "unexpected_index_column_names": ["id"],
              "partial_unexpected_counts": [{"value": None, "count": 1}],
              "partial_unexpected_index_list": [{"x": None, "id": "b"}], "unexpected_list": [None],
              "unexpected_index_list": [{"x": None, "id": "b"}],
              "unexpected_index_query": "df.filter(items=[1], axis=0)"}
    return SuiteResult("things", [ExpectationResult(e, False, result)])


def test_worker_renders_results_as_data_docs(tmp_path):
    worker = DocsWorker.start()
    worker.render(tmp_path / "docs", dt.datetime(2023, 4, 30, tzinfo=dt.timezone.utc), [(_suite_result(), ["id"])])
    worker.wait()
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "things" in index
    page = next((tmp_path / "docs" / "validations").rglob("*.html")).read_text(encoding="utf-8")
    assert "1 unexpected values found. 50% of 2 total rows" in page
    assert not list(tmp_path.glob("*.pickle"))       # the hand-over file is removed


def test_a_worker_never_given_results_is_an_error_not_a_hang(tmp_path):
    worker = DocsWorker.start()
    with pytest.raises(ScorecardError, match="never rendered"):
        worker.wait()
    worker.cancel()
    assert worker.proc.wait(timeout=10) is not None
    with pytest.raises(ScorecardError, match="never rendered"):   # and still so once cancelled
        worker.wait()


def test_a_failing_worker_is_reported(tmp_path):
    worker = DocsWorker.start()
    worker.render(tmp_path / "docs", dt.datetime(2023, 4, 30, tzinfo=dt.timezone.utc), [("not a suite", ["id"])])
    with pytest.raises(ScorecardError, match="rendering the Data Docs failed"):
        worker.wait()


def test_stored_docs_unpack_to_the_same_files(tmp_path):
    src = tmp_path / "docs"
    (src / "validations" / "x").mkdir(parents=True)
    (src / "index.html").write_text("<html>index</html>", encoding="utf-8")
    (src / "validations" / "x" / "page.html").write_bytes(b"\x00page\xff")
    archive = pack(src)
    assert pack(src) == archive                         # the same folder, the same bytes
    stored = StoredDocs(tmp_path / "out", archive)
    assert not (tmp_path / "out").exists()              # nothing until asked for
    stored.wait()
    got = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes()
           for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert got == {"index.html": b"<html>index</html>", "validations/x/page.html": b"\x00page\xff"}


def test_stored_docs_never_write_outside_their_folder(tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("../escaped.html", "x")
    with pytest.raises(ScorecardError, match="outside their folder"):
        unpack(buffer.getvalue(), tmp_path / "docs")
    assert not (tmp_path / "escaped.html").exists()


def _stable_files(folder) -> dict[str, bytes]:
    from scorecard.validate.report import _stabilise_docs

    _stabilise_docs(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_worker_imports_gx_without_what_the_data_docs_never_use(tmp_path):
    probe = ("import sys\nfrom scorecard.validate.docs import import_gx\nimport_gx()\n"
             "print('great_expectations' in sys.modules, 'scipy.stats._stats_py' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.split() == ["True", "False"]
    # the check of the check: Great Expectations imported the plain way runs scipy.stats (if a
    # GX release stops importing it, this fails: _DEFERRED is then to be looked at again)
    plain = subprocess.run([sys.executable, "-c", "import sys, great_expectations; "
                            "print('scipy.stats._stats_py' in sys.modules)"], capture_output=True, text=True)
    assert plain.stdout.strip() == "True"


def test_kept_workers_serve_the_next_build_with_the_same_data_docs(tmp_path):
    from scorecard.processes import keep_helpers

    when = dt.datetime(2023, 4, 30, tzinfo=dt.timezone.utc)
    fresh = DocsWorker.start()
    fresh.render(tmp_path / "fresh", when, [(_suite_result(), ["id"])])
    fresh.wait()
    fresh.cancel()
    assert fresh.proc.poll() is not None               # outside keep_helpers: stopped
    other = _suite_result()
    other.name = "others"
    with keep_helpers():
        first = DocsWorker.start()
        first.render(tmp_path / "first", when, [(other, ["id"])])
        first.wait()
        second = DocsWorker.start()
        assert second.proc is first.proc and second.proc.poll() is None   # the same process, GX imported
        second.render(tmp_path / "second", when, [(_suite_result(), ["id"])])
        second.wait()
        assert not list(tmp_path.glob("*.pickle"))
        third = DocsWorker.start()
        assert third.proc is first.proc
        third.cancel()                                 # not needed (Data Docs from the cache): kept
        third.cancel()                                 # twice: still kept once
        fourth, fifth = DocsWorker.start(), DocsWorker.start()
        assert fourth.proc is first.proc and fifth.proc is not first.proc
        fourth.cancel()
        fifth.cancel()                                 # one is kept per kind: this one is stopped
        assert fifth.proc.wait(timeout=10) is not None
    assert first.proc.poll() is not None                # the block's end stops it
    assert _stable_files(tmp_path / "second") == _stable_files(tmp_path / "fresh")
    assert "others" in (tmp_path / "first" / "index.html").read_text(encoding="utf-8")
    assert "others" not in (tmp_path / "second" / "index.html").read_text(encoding="utf-8")


def test_after_a_failed_worker_the_next_build_gets_a_working_one(tmp_path):
    from scorecard import processes

    with processes.keep_helpers():
        worker = DocsWorker.start()
        worker.render(tmp_path / "docs", dt.datetime(2023, 4, 30, tzinfo=dt.timezone.utc), [("not a suite", ["id"])])
        with pytest.raises(ScorecardError, match="rendering the Data Docs failed"):
            worker.wait()
        worker.cancel()
        assert "scorecard.validate.docs" not in processes._spares
        again = DocsWorker.start()
        assert again.proc is not worker.proc and again.proc.poll() is None
        again.render(tmp_path / "again", dt.datetime(2023, 4, 30, tzinfo=dt.timezone.utc), [(_suite_result(), ["id"])])
        again.wait()
    assert (tmp_path / "again" / "index.html").exists()

