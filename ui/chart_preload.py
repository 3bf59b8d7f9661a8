"""Load the browser's chart library while a tab is idle, so a page's first chart does not wait for it.

Streamlit's frontend fetches its Plotly chart module (4.7 MB, plotly.js inside) the first time a tab shows a
chart, and evaluating it holds the browser's main thread for 1.2-1.5 s: the Similarity and Embeddings pages
were blank that long on their first open in every tab. app.py calls `preload_charts` after every page has been
drawn; once per tab, when the browser is idle 2.5 s later, the script imports the same module by the same URL,
so the frontend's own import later finds it loaded. Not sooner: 0.3 s after the page was drawn, the evaluation
held up the tab's first views by 0.5 s (a new session 3.1 s instead of 2.6 s, 3 repeats each); a page opened
before the preload starts loads the module itself, as it did without it (the second import joins the first).
"""

import json
from pathlib import Path

import streamlit as st

DELAY_MS = 2500  # after the page is drawn: its images have loaded and a user is still reading it

SCRIPT = """
(() => {
  if (window.simclrChartsPreloaded) return;
  window.simclrChartsPreloaded = true;
  const main = document.querySelector('script[type="module"][src*="static/js/index."]');
  if (!main) return;
  const url = new URL(CHUNK, main.src).href;  // the URL the frontend's own lazy import resolves to
  const load = () => import(url).catch(() => {});  // a failed preload leaves the lazy import to retry
  setTimeout(() => (window.requestIdleCallback || setTimeout)(load, {timeout: 2000}), DELAY_MS);
})();
"""


@st.cache_resource(show_spinner=False)
def _plotly_chunk() -> str | None:
    """File name of this Streamlit version's Plotly chart module, or None where the build has not exactly one."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


def preload_charts() -> None:
    """A script that imports the chart module in the background (once per tab: it checks a flag of its own)."""
    chunk = _plotly_chunk()
    if chunk is not None:
        script = SCRIPT.replace("CHUNK", json.dumps(chunk)).replace("DELAY_MS", str(DELAY_MS))
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
