"""The chart cache: a hit writes the bytes drawing would; a change in the figures, the chart
code or the libraries draws again; old entries are forgotten; the validation cache ignores it."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scorecard import db as dbmod
from scorecard.report import chart_cache, charts


def _specs() -> list[charts.ChartSpec]:
    this = charts.Series("Barnsley 2022-23", (10.0, 12.5, None, 7.0), (False, False, True, False))
    last = charts.Series("Barnsley 2021-22", (9.0, 11.0, 3.0, 6.5), (False, False, False, False),
                         "last_year")
    bars = charts.ChartSpec("bars_one", "bars", "Referrals by source", "percent",
                            ("Police", "Schools", "Health", "Other"), (this, last), "Source: test.")
    trend = charts.ChartSpec("trend_one", "years", "Rate by year", "rate",
                             ("2019-20", "2020-21", "2021-22", "2022-23"), (this, last),
                             "Source: test.", incomplete={1: "possibly incomplete"})
    return [bars, trend]


@pytest.fixture()
def con(tmp_path):
    c = dbmod.connect(tmp_path / "x.duckdb")
    yield c
    c.close()


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_hit_writes_the_same_bytes_as_drawing_fresh(con, tmp_path):
    specs = _specs()
    fresh = charts.save_all(tmp_path / "fresh", specs, jobs=1)
    first = chart_cache.ChartCache(con, 1)
    charts.save_all(tmp_path / "first", specs, jobs=1, cache=first)
    assert (first.hits, first.drawn) == (0, 2)
    again = chart_cache.ChartCache(con, 2)
    files = charts.save_all(tmp_path / "again", specs, jobs=1, cache=again)
    assert (again.hits, again.drawn) == (2, 0)
    assert [p.name for p in files] == [p.name for p in fresh]
    assert _bytes(tmp_path / "again") == _bytes(tmp_path / "fresh") == _bytes(tmp_path / "first")


def test_a_changed_figure_title_or_note_is_drawn_again(con, tmp_path):
    specs = _specs()
    charts.save_all(tmp_path / "a", specs, jobs=1, cache=chart_cache.ChartCache(con, 1))
    s = specs[0].series[0]
    changed = [dataclasses.replace(specs[0], series=(dataclasses.replace(s, values=(10.0, 12.5, None, 7.000001)),
                                                     specs[0].series[1])),
               dataclasses.replace(specs[1], note="Source: test, revised.")]
    cache = chart_cache.ChartCache(con, 2)
    charts.save_all(tmp_path / "b", changed, jobs=1, cache=cache)
    assert (cache.hits, cache.drawn) == (0, 2)
    charts.save_all(tmp_path / "fresh", changed, jobs=1)
    assert _bytes(tmp_path / "b") == _bytes(tmp_path / "fresh")
    assert _bytes(tmp_path / "b") != _bytes(tmp_path / "a")
    # a suppressed value shown instead is a different chart too
    hidden = dataclasses.replace(specs[0], series=(dataclasses.replace(s, hidden=(False,) * 4),
                                                   specs[0].series[1]))
    assert chart_cache.digest(hidden) != chart_cache.digest(specs[0])


def test_a_change_in_the_chart_code_or_a_library_draws_again(con, tmp_path, monkeypatch):
    specs = _specs()
    charts.save_all(tmp_path / "a", specs, jobs=1, cache=chart_cache.ChartCache(con, 1))
    before = chart_cache.code_version()
    monkeypatch.setattr(chart_cache, "_CODE", None)
    real = chart_cache.resources.files

    class Edited:
        def __init__(self, root):
            self.root = root

        def joinpath(self, name):
            item = self.root.joinpath(name)
            if name == "report/palette.py":
                return type("F", (), {"read_bytes": lambda _: item.read_bytes() + b"# edited\n"})()
            return item

    monkeypatch.setattr(chart_cache.resources, "files", lambda pkg: Edited(real(pkg)))
    assert chart_cache.code_version() != before
    cache = chart_cache.ChartCache(con, 2)
    charts.save_all(tmp_path / "b", specs, jobs=1, cache=cache)
    assert (cache.hits, cache.drawn) == (0, 2)
    monkeypatch.setattr(chart_cache, "_CODE", None)
    monkeypatch.setattr(chart_cache.resources, "files", real)
    real_version = chart_cache.metadata.version
    monkeypatch.setattr(chart_cache.metadata, "version",
                        lambda lib: "99.0" if lib == "matplotlib" else real_version(lib))
    assert chart_cache.code_version() not in (before, None)
    assert chart_cache.digest(specs[0]) != chart_cache.digest(specs[0], before)


def test_entries_no_recent_build_used_are_forgotten(con, tmp_path):
    specs = _specs()
    charts.save_all(tmp_path / "a", specs[:1], jobs=1, cache=chart_cache.ChartCache(con, 1))
    for run in range(2, 2 + chart_cache.KEEP):
        charts.save_all(tmp_path / "b", specs[1:], jobs=1, cache=chart_cache.ChartCache(con, run))
    keys = {k for (k,) in con.execute("select key from meta.chart_cache").fetchall()}
    assert keys == {chart_cache.digest(specs[1])}


def test_a_cached_chart_is_written_even_if_its_file_was_deleted_and_a_failed_draw_stores_nothing(con, tmp_path):
    specs = _specs()
    charts.save_all(tmp_path / "a", specs, jobs=1, cache=chart_cache.ChartCache(con, 1))
    (tmp_path / "a" / "bars_one.png").unlink()
    cache = chart_cache.ChartCache(con, 2)
    charts.save_all(tmp_path / "a", specs, jobs=1, cache=cache)
    assert cache.hits == 2 and (tmp_path / "a" / "bars_one.png").stat().st_size > 2000
    bad = charts.ChartSpec("bad", "trend", "t", "count", ("a",), ("not a series",), "")
    with pytest.raises(AttributeError):
        charts.save_all(tmp_path / "c", [bad], jobs=1, cache=chart_cache.ChartCache(con, 3))
    assert con.execute("select count(*) from meta.chart_cache").fetchone()[0] == 2


def test_the_validation_cache_does_not_read_the_chart_cache(con, tmp_path):
    from scorecard.validate import cache as validation_cache

    before = validation_cache.digest(con, {"la": 370})
    charts.save_all(tmp_path / "a", _specs(), jobs=1, cache=chart_cache.ChartCache(con, 1))
    assert validation_cache.digest(con, {"la": 370}) == before


def test_the_code_version_covers_every_report_module_the_drawing_code_uses():
    import ast
    import inspect

    from scorecard.report import chart_draw, chart_files, chart_spec

    used = set()
    for module in (charts, chart_spec, chart_draw, chart_files):
        tree = ast.parse(inspect.getsource(module))
        used |= {f"report/{node.module}.py" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
        used |= {f"report/{name.name}.py" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
                 for name in node.names}
    # the chart modules themselves, and where a re-exported helper is defined (format_value
    # lives in report/table.py)
    used |= {"report/charts.py", "report/chart_spec.py", "report/chart_draw.py", "report/chart_files.py"}
    used.add("report/" + chart_spec.format_value.__module__.rsplit(".", 1)[1] + ".py")
    assert used <= set(chart_cache.CODE_FILES), sorted(used - set(chart_cache.CODE_FILES))
