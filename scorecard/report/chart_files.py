"""Writing charts: each described chart (:class:`.chart_spec.ChartSpec`) drawn
(:mod:`.chart_draw`) and saved as PNG (150 dpi) and SVG with its alt text, byte-identical on
re-run (fixed SVG hash salt, no dates or software versions in the metadata); charts drawn
before come from the chart cache (:mod:`.chart_cache`), and a helper process
(``python -m scorecard.report.chart_files``) shares the rest with this one (:func:`start`).
"""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from .chart_draw import RC, draw
from .chart_spec import ChartSpec

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .chart_cache import ChartCache

__all__ = ["PARALLEL_FROM", "save_chart", "save_all", "start", "Drawing"]

#: zlib level of the PNGs: 3 makes files the size level 6 (Pillow's default) does, in half the time
_PNG_COMPRESS = 3
#: the PNGs' resolution
_DPI = 150

_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")


def save_chart(fig: "Figure", out_dir: Path, name: str, alt: str = "") -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` without dates or versions; ``alt`` goes
    into the PNG's Description and the SVG's ``<title>``/``<desc>`` (with ``role="img"``)."""
    import matplotlib

    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with matplotlib.rc_context(RC):
        _write_png(fig, png, alt)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    if alt:
        title = escape(alt.split(". ", 1)[0].removeprefix("Line chart: ").removeprefix("Bar chart: "))
        text = _SVG_OPEN.sub(lambda m: m.group(1).replace("<svg ", '<svg role="img" aria-labelledby="t d" ', 1)
                             + f'\n <title id="t">{title}</title>\n <desc id="d">{escape(alt)}</desc>',
                             text, count=1)
    svg.write_bytes(text.encode("utf-8"))
    return [png, svg]


def _write_png(fig: "Figure", path: Path, alt: str) -> None:
    """Write ``fig`` as a PNG at :data:`_DPI` dpi, with ``alt`` as its Description.

    matplotlib draws the figure (the pixels its own PNG writer would save); Pillow writes
    them as RGB when every pixel is opaque (a chart's background is opaque white), which has
    the same pixels as the RGBA file matplotlib writes and a quarter less to filter and
    compress; a figure with any transparent pixel is written as RGBA."""
    import numpy as np
    from PIL import Image, PngImagePlugin

    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=_DPI)
    data = raw.getbuffer()
    width = int(fig.get_figwidth() * _DPI)   # as matplotlib's Agg canvas sizes it
    height = len(data) // (4 * width)
    if width * height * 4 != len(data):   # pragma: no cover - matplotlib sized it otherwise
        raise RuntimeError(f"chart {path.name}: {len(data)} bytes drawn are not {width} pixels wide")
    if np.frombuffer(data, np.uint8)[3::4].min() == 255:   # opaque: the alpha says nothing
        image = Image.frombytes("RGB", (width, height), data, "raw", "RGBX")
    else:
        image = Image.frombytes("RGBA", (width, height), data, "raw", "RGBA")
    info = PngImagePlugin.PngInfo()
    if alt:
        info.add_text("Description", alt)
    image.save(path, format="png", pnginfo=info, dpi=(_DPI, _DPI), compress_level=_PNG_COMPRESS)


#: fewer charts than this are drawn in this process only (a helper costs a start-up)
PARALLEL_FROM = 6


def save_all(out_dir: Path, specs: Sequence[ChartSpec], *, jobs: int | None = None,
             cache: "ChartCache | None" = None) -> list[Path]:
    """Draw and save described charts (PNG and SVG, with alt text); returns the files.

    With ``cache`` (:class:`.chart_cache.ChartCache`), a chart drawn before from the same
    description by the same code is written from its stored bytes, and the charts drawn are
    stored. With ``jobs`` 2 (default: 2 when the machine has two cores or more) and at least
    :data:`PARALLEL_FROM` charts to draw, a helper process (``python -m scorecard.report.chart_files``)
    draws some of them while this one draws the rest (:func:`start`): drawing is most of a
    build's report time, and the files are the same bytes whichever process draws them."""
    return start(out_dir, specs, jobs=jobs, cache=cache).finish()


def start(out_dir: Path, specs: Sequence[ChartSpec], *, jobs: int | None = None,
          cache: "ChartCache | None" = None) -> "Drawing":
    """Begin :func:`save_all`: write the cached charts and start the helper process drawing;
    :meth:`Drawing.finish` draws in this process too. The caller can do other work in between
    (the build writes its tables and page): the helper draws meanwhile.

    The two processes share the charts by claiming them one at a time, the helper from the
    last, this process from the first, until they meet: whichever is slower (busy with other
    work, or on a busier core) draws fewer, and each chart is drawn once."""
    import os

    out_dir = Path(out_dir)
    specs = list(specs)
    drawing = Drawing(out_dir, [out_dir / f"{spec.name}.{ext}" for spec in specs
                                for ext in ("png", "svg")], cache)
    missing = specs
    if cache is not None:
        from .chart_cache import code_version, digest

        code = code_version()
        keys = [digest(spec, code) for spec in specs]
        stored = cache.get(keys)
        out_dir.mkdir(parents=True, exist_ok=True)
        for spec, key in zip(specs, keys):
            if key in stored:
                png, svg = stored[key]
                (out_dir / f"{spec.name}.png").write_bytes(png)
                (out_dir / f"{spec.name}.svg").write_bytes(svg)
        missing = [spec for spec, key in zip(specs, keys) if key not in stored]
        drawing.to_store = [(key, spec.name) for spec, key in zip(specs, keys) if key not in stored]
    drawing.specs = missing
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if jobs >= 2 and len(missing) >= PARALLEL_FROM:
        drawing.start_helper()
    return drawing


def _claim(folder: str | None, i: int) -> bool:
    """Claim chart ``i`` (True: this process draws it); no folder: every chart is ours."""
    if folder is None:
        return True
    import os

    try:
        os.close(os.open(os.path.join(folder, str(i)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _draw_claimed(out_dir: Path, specs: Sequence[ChartSpec], claims: str | None,
                  order: Sequence[int]) -> int:
    """Draw the charts at ``order`` as long as this process claims them; returns how many."""
    from matplotlib import rc_context

    drawn = 0
    with rc_context(RC):
        for i in order:
            if not _claim(claims, i):
                break
            spec = specs[i]
            save_chart(draw(spec), out_dir, spec.name, spec.alt)
            drawn += 1
    return drawn


class Drawing:
    """Charts being drawn (:func:`start`), the helper process perhaps under way."""

    def __init__(self, out_dir: Path, files: list[Path], cache: "ChartCache | None"):
        self.out_dir, self.files, self.cache = out_dir, files, cache
        #: the charts to draw (not in the cache)
        self.specs: list[ChartSpec] = []
        #: (cache key, chart name) of each chart drawn, stored once all are written
        self.to_store: list[tuple[str, str]] = []
        #: how many charts this process drew (the helper drew the rest)
        self.drawn_here = 0
        #: the chart helper (:class:`scorecard.processes.Helper`), if one was started; it is
        #: drawing this drawing's charts while it is busy
        self.helper = None
        self._claims: str | None = None

    def start_helper(self) -> None:
        import pickle
        import tempfile

        from ..processes import helper

        self._claims = tempfile.mkdtemp(prefix="scorecard-charts-")
        handover = Path(self._claims) / "handover.pickle"
        with handover.open("wb") as f:
            # absolute: a helper kept from an earlier build may have started elsewhere
            pickle.dump((str(self.out_dir.resolve()), self.specs, self._claims), f)
        self.helper = helper("scorecard.report.chart_files")
        self.helper.send(handover)

    def finish(self) -> list[Path]:
        """Draw here until meeting the helper's charts, wait for it (a chart that fails in
        either process is an error), store the charts drawn in the cache; returns every
        chart's files."""
        try:
            self.drawn_here = _draw_claimed(self.out_dir, self.specs, self._claims,
                                            range(len(self.specs)))
        except Exception as exc:
            self.cancel()
            if self.helper is None:
                raise
            raise RuntimeError(f"drawing charts failed: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            self.cancel()
            raise
        if self.helper is not None and self.helper.busy:
            from ..processes import release

            drawn = self.helper.done()
            self._cleanup()
            if not drawn:
                raise RuntimeError("drawing charts failed: the chart helper process stopped: "
                                   + self.helper.said())
            release(self.helper)
        if self.cache is not None:
            self.cache.put([(key, (self.out_dir / f"{name}.png").read_bytes(),
                             (self.out_dir / f"{name}.svg").read_bytes())
                            for key, name in self.to_store])
        return self.files

    def cancel(self) -> None:
        """Stop the helper if it is still drawing (the caller failed before :meth:`finish`;
        nothing is stored); after :meth:`finish`, nothing to do."""
        if self.helper is not None and self.helper.busy:
            self.helper.kill()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._claims is not None:
            import shutil

            shutil.rmtree(self._claims, ignore_errors=True)
            self._claims = None


def _draw_handed(handover: Path) -> None:
    """The helper's job: draw from the last chart back, as claimed."""
    import pickle

    with open(handover, "rb") as f:
        folder, handed, claims = pickle.load(f)
    _draw_claimed(Path(folder), handed, claims, range(len(handed) - 1, -1, -1))


if __name__ == "__main__":   # the helper of start(), serving one drawing after another
    import sys

    from ..processes import serve

    if len(sys.argv) > 1:    # started by a build of an earlier version: its one drawing, then exit
        _draw_handed(Path(sys.argv[1]))
    else:
        serve(_draw_handed)
