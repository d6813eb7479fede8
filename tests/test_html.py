"""scorecard.html: content, escaping, suppression, self-containment, and a real headless
browser (Debian's Chromium) rendering it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from scorecard.report import html, tables
from tests.test_report_tables import HOSTILE, KW, LA, _row, synthetic_frames

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _render(path: Path, *, errors_failed: bool = True, frames=None, **over) -> str:
    f = frames or synthetic_frames()
    ts = tables.all_tables(f["metrics"], f["scorecard"], **KW)
    args = dict(metrics=f["metrics"], scorecard=f["scorecard"], validation=f["validation"],
                impact=f["impact"], catalogue=f["catalogue"], period="2022-23", la_code=LA,
                la_name="Barnsley", threshold=5, errors_failed=errors_failed, tables=ts,
                provisional_metrics=frozenset({"rhi_completed_72h_pct"}))
    html.render_html(path, **(args | over))
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    f = synthetic_frames()
    extra = pl.DataFrame([_row("cin_by_primary_need", "2022-23", 12, HOSTILE)],
                         schema=f["metrics"].schema)
    f["metrics"] = pl.concat([f["metrics"], extra])
    path = tmp_path_factory.mktemp("html") / "scorecard.html"
    return path, _render(path, frames=f), f


def _metric_row(text: str, metric_id: str) -> str:
    start = text.index(f'id="m-{metric_id}"')
    return text[start:text.index("</tr>", start)]


def test_every_catalogue_metric_grouped(page):
    _, text, f = page
    for r in f["catalogue"].iter_rows(named=True):
        assert f'id="m-{r["metric_id"]}"' in text
        assert r["title"] in text
    groups = [g for g in re.findall(r'<h3 id="g\d+">([^<]+)</h3>', text)]
    assert groups == ["Front door", "Children in need", "Child protection",
                      "Missing and return home interviews"]


def test_values_benchmarks_and_rag_text(page):
    _, text, _ = page
    row = _metric_row(text, "rereferrals_12m_pct")
    assert "20.6%" in row and "21.5%" in row and "22.0%" in row
    assert "Q2" in row and "60 of 152" in row
    assert 'class="rag rag-green">Green<' in row           # colour and text
    assert "Worsening" in row
    assert 'class="rag rag-none">Not rated<' in _metric_row(text, "contacts")
    assert "rag-red\">Red<" in _metric_row(text, "cpp_second_or_subsequent_pct")


def test_suppression_applied(page):
    _, text, _ = page
    # numerator 3 -> the percentage is c, both years
    row = _metric_row(text, "cpp_second_or_subsequent_pct")
    assert re.search(r'class="num value">c<', row)
    # the small primary-need and CP categories are c, zero is shown
    assert re.search(r"N7 Low income</td>\s*<td class=\"num\">c<", text)
    assert re.search(r"N3 Parental disability or illness</td>\s*<td class=\"num\">0<", text)
    assert re.search(r"Sexual abuse \(SAB\)</td>\s*<td class=\"num\">c<", text)
    # monthly sparkline of RHIs accepted has gaps marked c where the table hides months
    row = _metric_row(text, "rhi_accepted")
    assert row.count(">c</text>") == 2


def test_hidden_metric_values_matches_tables_and_protects_months():
    f = synthetic_frames()
    units = dict(f["catalogue"].select("metric_id", "unit").iter_rows())
    alone = html.hidden_metric_values(f["metrics"], units, la_code=LA, threshold=5)
    ts = tables.all_tables(f["metrics"], f["scorecard"], **KW)
    with_tables = html.hidden_metric_values(f["metrics"], units, la_code=LA, threshold=5,
                                            tables=ts)
    for t in ts:
        assert t.hidden_keys() <= with_tables
    months = {k for k in alone if k[0] == "rhi_accepted"}
    assert ("rhi_accepted", "2022-08", "") in months and len(months) == 2
    assert ("missing_children", "2022-08", "") in alone
    # distinct children do not add up over months: no secondary cell for them
    assert len({k for k in alone if k[0] == "missing_children"}) == 1
    assert ("cpp_second_or_subsequent_pct", "2022-23", "") in alone
    assert {("cin_by_primary_need", "2022-23", "N7"), ("cin_by_primary_need", "2022-23", "N6")} \
        <= alone


def test_text_from_data_is_escaped(page):
    _, text, _ = page
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("&lt;script&gt;") >= 2              # breakdown and check message


def test_self_contained(page):
    _, text, _ = page
    for bad in ("http://", "https://", "<link", "@import", "url(", "src=", "<img", "<iframe"):
        assert bad not in text, bad
    assert "default-src 'none'" in text                     # and the browser enforces it


def test_data_quality_panel(page):
    _, text, _ = page
    err = text.index('data-check="rhi_completed_before_return"')
    warn = text.index('data-check="invalid_primary_need"')
    assert err < warn < text.index('data-check="volume_gap"')    # errors first
    block = text[err:warn]
    assert "3 findings" in block and "70.0%" in block and "69.5%" in block
    assert "-0.5%" in block and "Return interviews completed in 72 hours (%)" in block
    # a count of 1 moving to 0 is a small number: shown as c
    warn_block = text[warn:text.index('data-check="volume_gap"')]
    assert ">c<" in warn_block
    # the check in words, its id behind them (inside a details element)
    row = _metric_row(text, "rhi_accepted")
    assert "Provisional: touched by 1 failing check" in row
    details = row[row.index("<details"):row.index("</details>")]
    assert "[rhi_completed_before_return]" in details


def test_banner_only_when_errors_failed(page, tmp_path):
    _, text, _ = page
    assert 'id="provisional-banner"' in text
    clean = _render(tmp_path / "clean.html", errors_failed=False,
                    provisional_metrics=frozenset())
    assert 'id="provisional-banner"' not in clean and ">Provisional<" not in clean


def test_deterministic(page, tmp_path):
    path, text, f = page
    assert _render(tmp_path / "again.html", frames=f) == text


def test_empty_inputs_render(tmp_path):
    f = synthetic_frames()
    text = _render(tmp_path / "e.html", errors_failed=False, metrics=f["metrics"].clear(),
                   scorecard=f["scorecard"].clear(), validation=f["validation"].clear(),
                   impact=f["impact"].clear(), tables=(), provisional_metrics=frozenset())
    assert "All data checks passed" in text
    assert text.count('class="metric"') == f["catalogue"].height


def test_sparkline_geometry():
    s = html.sparkline([("a", 1.0, False), ("b", 3.0, False), ("c", 2.0, True),
                        ("d", None, False), ("e", 5.0, False)], unit="count", width=100, height=20)
    assert len(s["segments"]) == 2 and s["singles"] == [s["last"]]
    assert len(s["gaps"]) == 1 and "c c" in s["desc"] and "b 3" in s["desc"]
    assert s["segments"][0].startswith("4.0,16.0")         # lowest value at the bottom
    assert html.sparkline([], unit="count")["empty"]


@pytest.fixture(scope="module")
def browser(page, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # CI installs it (.ci/run): its absence there is a failure
            pytest.fail("Chromium not installed in CI (apt-get install -y chromium)")
        pytest.skip("Chromium not installed (apt-get install -y chromium)")
    path, text, _ = page
    work = tmp_path_factory.mktemp("browser")
    # a measuring copy: the published page has no scripts (its CSP forbids them)
    probe = work / "probe.html"
    script = ("<script>document.body.insertAdjacentHTML('beforeend','<pre id=\"measure\">'+"
              "JSON.stringify([...document.querySelectorAll('svg.spark')].map(s=>{"
              "const r=s.getBoundingClientRect();return [r.width,r.height]}))+'</pre>')</script>")
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
                     .replace("</body>", script + "</body>"), encoding="utf-8")
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={work / 'profile'}", "--window-size=1280,2000"]
    shot = work / "scorecard.png"
    run = dict(capture_output=True, text=True, timeout=90)
    subprocess.run(base + [f"--screenshot={shot}", path.as_uri()], check=True, **run)
    dom = subprocess.run(base + ["--dump-dom", path.as_uri()], check=True, **run).stdout
    measured = subprocess.run(base + ["--dump-dom", probe.as_uri()], check=True, **run).stdout
    return shot, dom, measured


def test_browser_renders_every_metric(browser, page):
    _, dom, _ = browser
    _, _, f = page
    for title in f["catalogue"]["title"].to_list():
        assert title in dom
    assert dom.count('class="spark"') >= 15
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom   # shown as text, not run


def test_browser_sparklines_have_size(browser):
    _, _, measured = browser
    # the last match is the element the script added (the first is the script's own text)
    sizes = json.loads(re.findall(r'<pre id="measure">(.*?)</pre>', measured)[-1])
    assert len(sizes) >= 15 and all(w > 50 and h > 10 for w, h in sizes)


def test_browser_screenshot_not_blank(browser):
    from PIL import Image

    shot, _, _ = browser
    img = Image.open(shot).convert("RGB")
    assert img.size == (1280, 2000)
    colours = img.getcolors(maxcolors=1 << 20)
    non_white = sum(n for n, c in colours if c != (255, 255, 255))
    assert len(colours) > 50 and non_white > 0.05 * 1280 * 2000
    # the scorecard's blue rule under the header is drawn
    assert any(abs(c[0] - 0) < 30 and abs(c[1] - 114) < 30 and abs(c[2] - 178) < 30
               for _, c in colours)
