"""What the tests and the benchmarks share: nothing here is imported by the app.

- :mod:`cnnviz_testing.server`: ``streamlit run app.py`` on a free loopback port with a run
  store of its own (the one launcher of the tests' fixtures and of every benchmark);
- :mod:`cnnviz_testing.procs`: resident memory and CPU time of processes from ``/proc``, a
  process's descendants, CPU pinning, and a thread that samples memory over time;
- :mod:`cnnviz_testing.browser`: Debian's Chromium through Playwright, the wait until
  Streamlit is idle, and :class:`~cnnviz_testing.browser.PageWatch` (a page plus the errors it
  logged);
- :mod:`cnnviz_testing.protocol`: a Streamlit client at the websocket level (what the
  frontend sends and keeps, without rendering), for loads of many sessions;
- :mod:`cnnviz_testing.dispatching`: a server process's run manager with an executor that
  trains nothing, started twice over one store to test one dispatcher per store.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
