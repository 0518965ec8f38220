"""A Plotly chart redrawn in place, for a chart that a page refreshes every second.

``st.plotly_chart`` puts the figure in its element's identity (Streamlit 1.67), so a changed
figure is a new element: the browser unmounts the chart and draws it from scratch, once a
second while a run trains, which costs the watching browser a fifth of a core on a 2-core
machine, taken from the run. This chart is a custom component (the protocol of
``streamlit.components.v1``, spoken by ``ui/assets/live_chart/live_chart.js`` without a build
step): its identity is its key, so the frame stays and each rerun sends it the new figure,
which ``Plotly.react`` applies as a change (a curve gains its new points; a zoom stays).

The frame's files are the two in ``ui/assets/live_chart`` plus Plotly's own bundle, copied
from the installed package into a folder of their own (the font is Streamlit's own, from its
static route) (Streamlit serves a component only from inside its folder, links resolved).
Nothing is fetched from another host. Streamlit serves a component's files with neither a
validator nor a lifetime, so the browser would fetch Plotly's 4.8 MB again (and the server
gzip it, ~0.1 s of a core) each time a live chart appears: the frame keeps the bundle in the
browser's IndexedDB, under its version, and fetches it once per browser, gzipped here once
(1.4 MB; served as it is, unpacked by the browser's ``DecompressionStream``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

ASSETS = Path(__file__).parent / "assets" / "live_chart"
NAME = "live_chart"
HEIGHT = 450  # Plotly's default height, when a figure sets none
LAYOUT = "3"  # what folder() makes of the files: a change here makes a new folder


def _sources() -> dict[str, Path]:
    """The frame's files: name in the folder → the file it is copied from."""
    import plotly

    files = {p.name: p for p in ASSETS.iterdir() if p.is_file()}
    files["plotly.min.js"] = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return files


def _font() -> str:
    """Streamlit's own Source Sans, as the frame's page finds it: on Streamlit's static route,
    which every server process serves from its start (a component's files only once a script
    run in that process has declared it), for as long as the browser likes."""
    import streamlit

    media = Path(streamlit.__file__).parent / "static" / "static" / "media"
    fonts = sorted(media.glob("SourceSansVF-Upright*.woff2"))
    # the frame's page is <base>/component/<name>/index.html
    return f"../../static/media/{fonts[0].name}" if fonts else ""


@functools.cache
def _place() -> tuple[Path, dict[str, Path]]:
    """Where the component's folder goes (one per set of files: a new Plotly or a changed
    script gets a folder of its own), and the files it holds."""
    files = _sources()
    digest = hashlib.sha256(LAYOUT.encode())
    for name, path in sorted(files.items()):
        digest.update(name.encode())
        digest.update(str(path.stat().st_size).encode())
        digest.update(str(path.stat().st_mtime_ns).encode())
    return Path(tempfile.gettempdir()) / f"cnnviz-live-chart-{digest.hexdigest()[:16]}", files


def folder() -> Path:
    """The component's folder, made when it is not there (the first live chart of this set
    of files, or a temporary folder cleaned away under a long-running server); two server
    processes may make it at once."""
    home, files = _place()
    if not (home / "plotly.min.js.gz").exists():
        part = Path(tempfile.mkdtemp(prefix="cnnviz-live-chart-"))
        for name, path in files.items():
            shutil.copyfile(path, part / name)
        page = (part / "index.html").read_text(encoding="utf-8")  # the bundle's version:
        plotly = files["plotly.min.js"].stat()  # what the browser's kept copy is checked by
        version = f"{plotly.st_size}-{plotly.st_mtime_ns}"
        page = page.replace("@@PLOTLY@@", version).replace("@@FONT@@", _font())
        (part / "index.html").write_text(page, encoding="utf-8")
        packed = part / "plotly.min.js.gz"
        with open(part / "plotly.min.js", "rb") as src, gzip.open(packed, "wb", 6) as out:
            shutil.copyfileobj(src, out)
        if home.exists() and not (home / "plotly.min.js.gz").exists():  # a cleaner's leftover
            shutil.rmtree(home, ignore_errors=True)  # (a whole folder always holds the .gz)
        try:
            os.rename(part, home)
        except OSError:  # another process made it first
            shutil.rmtree(part, ignore_errors=True)
    return home


@functools.cache
def _component():
    import streamlit.components.v1 as components

    return components.declare_component(NAME, path=str(folder()))


def declare() -> None:
    """Declare the component in this server process, once: app.py does it at the top of
    every run, so a process serves the frame's files from its first run on (a page that
    moved to it when its own process died asks it for them before anything else)."""
    _component()


def live_chart(fig, *, key: str, name: str, config: dict | None = None) -> None:
    """Draw ``fig`` (already carrying its look: :func:`cnnviz.plots.look.with_look`) under
    widget ``key``, redrawn in place when a rerun sends another figure; ``name`` is the
    chart's accessible name (the frame's title and its ``role="figure"`` label, as Streamlit's
    own chart: a figure may hold Plotly's tool buttons, which an image may not)."""
    import plotly.io as pio

    from ui import i18n

    height = fig.layout.height or HEIGHT
    folder()  # still there (one stat when it is)
    # no tabindex of -1 on the frame: the keyboard reaches Plotly's tool buttons inside it
    _component()(
        spec=pio.to_json(fig, validate=False), name=name, height=height,
        config=config or {}, lang=i18n.current(), key=key, default=None,
    )  # fmt: skip


__all__ = ["live_chart"]
