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
    script = ("<script>const broken=[];"
              "document.querySelectorAll('thead th').forEach(th=>{"
              "const walker=document.createTreeWalker(th,NodeFilter.SHOW_TEXT);let n;"
              "while((n=walker.nextNode())){const re=/\\S+/g;let m;"
              "while((m=re.exec(n.data))){const r=document.createRange();"
              "r.setStart(n,m.index);r.setEnd(n,m.index+m[0].length);"
              "const tops=new Set([...r.getClientRects()].map(x=>Math.round(x.top)));"
              "if(tops.size>1)broken.push(m[0]);}}});"
              "document.body.insertAdjacentHTML('beforeend','<pre id=\"measure\">'+"
              "JSON.stringify({sparks:[...document.querySelectorAll('svg.spark')].map(s=>{"
              "const r=s.getBoundingClientRect();return [r.width,r.height]}),broken:broken})+'</pre>')</script>")
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
    sizes = json.loads(re.findall(r'<pre id="measure">(.*?)</pre>', measured)[-1])["sparks"]
    assert len(sizes) >= 15 and all(w > 50 and h > 10 for w, h in sizes)


def test_browser_headers_never_break_a_word(browser):
    _, _, measured = browser
    found = json.loads(re.findall(r'<pre id="measure">(.*?)</pre>', measured)[-1])
    assert found["broken"] == []


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


def test_board_summary_comes_first_and_fits_its_lists(page):
    _, text, _ = page
    summary = text[text.index('id="board-summary"'):text.index('data-section="measures"')]
    assert text.index('data-section="summary"') < text.index('data-section="measures"') \
        < text.index('data-section="quality"')
    red = summary[summary.index('id="summary-red"'):summary.index('id="summary-moved"')]
    assert "#m-cpp_second_or_subsequent_pct" in red          # the one red measure
    assert "#m-rereferrals_12m_pct" not in red                # green
    moved = summary[summary.index('id="summary-moved"'):summary.index('id="summary-checks"')]
    assert 0 < moved.count("<li>") <= html.MOVED_MOST
    assert "since 2021-22" in moved
    checks = summary[summary.index('id="summary-checks"'):]
    assert "[rhi_completed_before_return]" in checks and "#m-rhi_accepted" in checks


def test_definitions_are_board_words_not_column_names(page):
    _, text, f = page
    row = _metric_row(text, "referrals")
    assert "Referrals to children&#39;s social care received in the period." in row
    for r in f["catalogue"].iter_rows(named=True):
        assert r["description"] not in _metric_row(text, r["metric_id"])


def test_each_source_is_named_once_in_a_footnote(page):
    _, text, _ = page
    notes = re.findall(r'<li id="fn(\d+)">([^<]+)</li>', text)
    assert [n for n, _ in notes] == [str(i) for i in range(1, len(notes) + 1)]
    sources = [s for _, s in notes]
    assert len(sources) == len(set(sources)) >= 2
    assert "DfE Characteristics of children in need 2022, LA level" in sources
    for s in sources[1:]:
        assert text.count(s) == 1, s
    assert '<a href="#fn2">2</a>' in _metric_row(text, "rereferrals_12m_pct")


def test_counts_are_shown_without_decimals(tmp_path):
    f = synthetic_frames()
    f["impact"] = pl.concat([f["impact"], pl.DataFrame(
        [{"check_id": "rhi_completed_before_return", "severity": "error",
          "table": "return_interviews", "records": 3, "metric_id": "rhi_accepted",
          "period": "2022-23", "breakdown": "", "value": 700.0, "value_without": 690.0,
          "change": -10.0}], schema=f["impact"].schema)])
    text = _render(tmp_path / "p.html", frames=f)
    block = text[text.index('data-check="rhi_completed_before_return"'):]
    block = block[:block.index("</table>")]
    assert ">700<" in block and ">690<" in block and ">-10<" in block
    assert not re.search(r">-?[\d,]+\.0<", block.replace("70.0%", "").replace("69.5%", ""))


def test_targets_sit_beside_the_dfe_rag(tmp_path):
    from scorecard.report.targets import Target, Targets

    targets = Targets([Target("rereferrals_12m_pct", "", 20.0, 1.0, "lower"),
                       Target("cpp_second_or_subsequent_pct", "", 5.0, 1.0, "lower")], "t.toml")
    text = _render(tmp_path / "t.html", targets=targets)
    row = _metric_row(text, "rereferrals_12m_pct")
    assert 'class="rag rag-green">Green<' in row            # the DfE RAG is still there
    assert "Target 20.0%" in row and row.count("rag rag-") == 2
    assert "Local target" in text and "t.toml" in text
    # a suppressed value gets no RAG against the target either
    hidden = _metric_row(text, "cpp_second_or_subsequent_pct")
    assert "Target 5.0%" in hidden and 'rag-none' in hidden


def test_more_sections_can_be_added_after_any_section(tmp_path):
    extra = html.PageSection("trends", "Five-year trends", "_quality.html.j2",
                             {"checks": []}, after="summary")
    text = _render(tmp_path / "s.html", sections=[extra])
    order = re.findall(r'data-section="(\w+)"', text)
    assert order == ["summary", "trends", "measures", "quality"]
    assert '<h2 id="trends">Five-year trends</h2>' in text


def test_a_month_page_names_the_month_and_its_year_to_date(tmp_path):
    text = _render(tmp_path / "m.html", period="2023-01", errors_failed=False,
                   provisional_metrics=frozenset())
    assert "January 2023 · monthly figures for January 2023" in text
    assert "(April 2022 to January 2023)" in text
    assert '<th scope="col" class="num">January 2023</th>' in text
    assert '<th scope="col" class="num">January 2022</th>' in text
    assert "2021-22 and 2022-23" not in text
    row = _metric_row(text, "rhi_accepted")
    assert "Monthly, April 2021 to January 2023" in row
    assert "Feb 2023" not in row                               # no later month
    # a yearly measure with no year-to-date figure is not shown as the unfinished year's
    row = _metric_row(text, "rereferrals_12m_pct")
    assert 'class="num value">–' in row and "no year-to-date figure" in row
    assert "20.6%" not in row.split("</td>")[1]


def test_a_possibly_incomplete_month_is_named_in_words_on_the_page(tmp_path):
    f = synthetic_frames()
    f["validation"] = pl.concat([f["validation"], pl.DataFrame(
        [{"check_id": "volume.monthly_gap", "table": "missing_episodes", "severity": "warning",
          "record_id": "", "period": "2022-07", "message": "a month with under half"}],
        schema=f["validation"].schema)])
    text = _render(tmp_path / "g.html", frames=f)
    row = _metric_row(text, "missing_episodes")
    assert "Includes July 2022, possibly incomplete: far below neighbouring months" in row
    assert 'class="ring"' in row and "Jul 2022 possibly incomplete" in row
    assert "(possibly incomplete: far below neighbouring months)" in row   # the sparkline's words
    assert "July 2022: possibly incomplete: far below neighbouring months" in text  # summary
