"""Great Expectations Data Docs from the DuckDB engine's results, rendered in another process.

Importing GX takes seconds and rendering the pages takes more; neither needs the build's
process. :class:`DocsWorker` starts ``python -m scorecard.validate.docs`` (or takes one an
earlier build kept), which imports GX at once (while the build loads and validates) and then
waits for the results on its stdin; it
turns each suite's results into GX's own ``ExpectationSuiteValidationResult`` and lets GX's
site builder render them, while the build computes metrics and draws charts on the other
core. :meth:`DocsWorker.wait` is called only when the Data Docs are copied to the outputs.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import warnings
import weakref
from pathlib import Path

from ..errors import ScorecardError
from ..processes import Helper, helper, release, serve

__all__ = ["DocsWorker", "PendingDocs", "StoredDocs", "pack", "unpack", "render", "import_gx"]

#: imported by Great Expectations when it starts, used only by expectations the Data Docs never
#: evaluate (the KS-test and KL-divergence ones): the worker defers them
#: (:func:`scorecard.processes.defer_import`), about a third of its import time
_DEFERRED = ("scipy.stats",)


class DocsWorker:
    """A build's use of a process rendering the Data Docs (:class:`scorecard.processes.Helper`):
    started early, given the build's results once.

    Inside :func:`scorecard.processes.keep_helpers` (the demo's builds, one after another), the
    process, once it has rendered a build's Data Docs or was not needed, serves the next build's
    :meth:`start`, so Great Expectations is imported once for all of them. Its pages are the
    same as a new process's once GX's render times and random ids are fixed, as every build
    fixes them (tested)."""

    def __init__(self, helper: Helper):
        self.helper = helper
        self._sent = False
        self._done = False
        self._released = False
        self._files: list[Path] = []
        weakref.finalize(self, _remove, self._files)

    @property
    def proc(self):
        """The worker's process (:class:`subprocess.Popen`)."""
        return self.helper.proc

    @classmethod
    def start(cls) -> "DocsWorker":
        """Start the worker (it imports GX and waits for :meth:`render`), or take the one
        :func:`~scorecard.processes.keep_helpers` kept."""
        # a fixed hash seed: GX's renderer lists some values through sets, whose order would
        # otherwise differ from process to process (and the Data Docs from run to run)
        return cls(helper("scorecard.validate.docs", {**os.environ, "PYTHONHASHSEED": "0"}))

    def render(self, docs_dir: Path, run_time: dt.datetime, results: list) -> None:
        """Hand the worker the suites' results (``runner.DuckDBRunner.results``); it renders
        them into ``docs_dir`` while the caller goes on."""
        # the results go through a file: the worker reads its stdin only once GX is imported
        path = Path(docs_dir).with_suffix(".results.pickle")
        with path.open("wb") as f:
            pickle.dump((str(docs_dir), run_time, results), f, protocol=pickle.HIGHEST_PROTOCOL)
        self._files.append(path)
        self.helper.send(path)
        self._sent = True

    def wait(self) -> None:
        """Wait until the Data Docs are written; a failed worker is an error (with its message)."""
        if self._done:
            return
        if not self._sent:
            raise ScorecardError("the Data Docs were never rendered (no results were handed over)")
        rendered = self.helper.done()
        self._done = True
        _remove(self._files)
        if not rendered:
            raise ScorecardError("rendering the Data Docs failed: " + self.helper.said())
        self._released = True
        release(self.helper)

    def cancel(self) -> None:
        """The build no longer needs the worker (it failed, or the Data Docs came from the
        cache): stopped if it is rendering, else released (kept for the next build inside
        :func:`~scorecard.processes.keep_helpers`)."""
        if self._released:
            return
        self._released = True
        if self.helper.busy:         # rendering something nobody will read: release() stops it
            self._done = True
            _remove(self._files)
        release(self.helper)


def _remove(files: list[Path]) -> None:
    for f in files:
        f.unlink(missing_ok=True)
    files.clear()


class PendingDocs:
    """Data Docs not rendered yet: rendered (by a worker) only if someone asks for them."""

    def __init__(self, docs_dir: Path, run_time: dt.datetime, results: list):
        self.args = (docs_dir, run_time, results)
        self._done = False

    def wait(self) -> None:
        if not self._done:
            worker = DocsWorker.start()
            worker.render(*self.args)
            worker.wait()
            self._done = True


class StoredDocs:
    """Data Docs an earlier build rendered from the same results (``pack``): unpacked into
    ``docs_dir`` when asked for, not rendered again."""

    def __init__(self, docs_dir: Path, archive: bytes):
        self.docs_dir, self.archive = Path(docs_dir), archive
        self._done = False

    def wait(self) -> None:
        if not self._done:
            unpack(self.archive, self.docs_dir)
            self._done = True


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def pack(folder: Path) -> bytes:
    """The files under ``folder`` as one zip (sorted, fixed times: the same folder, the same bytes)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f.relative_to(folder).as_posix(), date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, f.read_bytes())
    return buffer.getvalue()


def unpack(archive: bytes, folder: Path) -> None:
    """Write the files of ``pack``'s ``archive`` under ``folder``."""
    import io
    import zipfile

    folder = Path(folder)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        for name in z.namelist():
            target = folder / name
            if folder.resolve() not in target.resolve().parents:
                raise ScorecardError(f"stored Data Docs name a file outside their folder: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))


def render(docs_dir: Path, run_time: dt.datetime, results: list) -> None:
    """Render ``results`` (``[(engine.SuiteResult, index_columns), ...]``) as GX Data Docs in
    ``docs_dir``, as a GX checkpoint with ``UpdateDataDocsAction`` would."""
    import great_expectations as gx
    from great_expectations.core import (ExpectationSuite, ExpectationSuiteValidationResult,
                                         ExpectationValidationResult)
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(site_name="scorecard", site_config={
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
    })
    run_id = RunIdentifier(run_name="scorecard", run_time=run_time)
    identifiers = []
    for suite_result, _ in results:
        name = suite_result.name
        batch_id = f"scorecard-{name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.suites.add(ExpectationSuite(name=name, meta=suite_result.meta,
                                                expectations=[r.expectation for r in suite_result.results]))
        evrs = [ExpectationValidationResult(
            success=r.success, result=r.result,
            expectation_config=ExpectationConfiguration(
                type=r.expectation["type"], kwargs={"batch_id": batch_id, **r.expectation["kwargs"]},
                meta=r.expectation.get("meta")),
            exception_info={"raised_exception": False, "exception_traceback": None,
                            "exception_message": None}) for r in suite_result.results]
        passed = sum(r.success for r in evrs)
        statistics = {"evaluated_expectations": len(evrs), "successful_expectations": passed,
                      "unsuccessful_expectations": len(evrs) - passed,
                      "success_percent": passed / len(evrs) * 100 if evrs else None}
        meta = {"great_expectations_version": gx.__version__,
                "batch_spec": {"batch_data": "DuckDB"},
                "active_batch_definition": {"datasource_name": "scorecard", "data_connector_name": "fluent",
                                            "data_asset_name": name, "batch_identifiers": {}},
                "run_id": run_id, "validation_time": run_time, "batch_parameters": None,
                "engine": "scorecard DuckDB evaluator"}
        svr = ExpectationSuiteValidationResult(success=passed == len(evrs), results=evrs, suite_name=name,
                                               statistics=statistics, meta=meta, batch_id=batch_id)
        vrid = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                                          run_id=run_id, batch_identifier=batch_id)
        context.validation_results_store.set(vrid, svr)
        identifiers += [vrid, ExpectationSuiteIdentifier(name=name)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.build_data_docs(site_names=["scorecard"], resource_identifiers=identifiers)


def import_gx() -> None:
    """Import Great Expectations without what it imports and the Data Docs never use."""
    from ..processes import defer_import

    for name in _DEFERRED:
        try:
            defer_import(name)
        except ImportError:
            pass  # not installed: GX says so itself if it needs it
    import great_expectations  # noqa: F401


def _render_handed(path: Path) -> None:
    with open(path, "rb") as f:
        docs_dir, run_time, results = pickle.load(f)
    render(Path(docs_dir), run_time, results)


def main() -> None:
    """The worker: import GX (the slow part, done before the results arrive), then render each
    hand-over file named on stdin (:func:`scorecard.processes.serve`)."""
    serve(_render_handed, setup=import_gx)


if __name__ == "__main__":
    main()
