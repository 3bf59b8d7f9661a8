"""The browser tour (issue 12): every moment of the speed budget, timed from the user's side in Chromium.

Each repeat starts two fresh servers one after the other (the order alternates): bench/minimal_page.py (one
st.image and one slider, Streamlit's own cost) and app.py. On each it times `streamlit run` until the first
views are visible, a new browser session until they are visible, and slider moves until new views show. On
the app it then tours every page twice: pass 1 in that session (every page's first open on this server),
pass 2 in a new session (warm: "the second time"). The server's memory (RSS of its process tree) is read
after each pass. Figures are medians and 95th percentiles over the repeats; the table compares the app with
the minimal page where both have the moment.
Run: python -m bench.tour [--quick] [--repeats 5]   (or python -m bench --only tour)
"""
import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.app import CHROMIUM, CHROMIUM_ARGS, first_view, healthy, move, percentile, server, wait_idle

VIEWPORT = {"width": 1400, "height": 1000}
MINUTE = 60_000  # ms, Playwright's unit
# The budget of each moment (issue 12), as the table's notes show it.
BUDGET = {
    "start": "<= 1.5x the minimal page", "session": "<= 1.3x the minimal page", "slider": "<= 0.3 s (p95 0.5 s)",
    "switch": "<= 1.5 s", "similarity": "<= 0.5 s (p95 1 s)", "maps": "<= 2 s", "scores": "<= 3 s",
    "transfer": "<= 10 s, instant for the demo run", "again": "<= 2 s for everything", "memory": "<= 1.2 GB, flat",
}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process `pid` and all its descendants in MB (Linux /proc)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return total


def seconds_until(locator, action=None, timeout: float = 5 * MINUTE) -> float | None:
    """Seconds from `action` (or now) until `locator` is visible; None when it never shows within `timeout`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start = time.perf_counter()
    if action:
        action()
    try:
        locator.wait_for(state="visible", timeout=timeout)
    except PlaywrightTimeout:
        return None
    return time.perf_counter() - start


def main_figures(page) -> dict:
    """Each page's main figure: what a user waits for after switching to it."""
    return {
        "Similarity and loss": page.locator(".st-key-sim_heatmap .js-plotly-plot"),
        "Training": page.get_by_role("button", name="Start training"),
        "Embeddings": page.locator(".st-key-emb_map_after .js-plotly-plot"),
        "Lecture": page.get_by_role("heading", name="SimCLR in fifteen minutes"),
        "Augmentations": first_view(page),
    }


def new_session(browser, url: str) -> float | None:
    """Seconds from opening `url` in a new browser context (a new user) until the first views are visible."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    seconds = seconds_until(first_view(page), lambda: page.goto(url))
    context.close()
    return seconds


def similarity_moves(page, moves: int) -> list[float | None]:
    """Temperature and N moves on the Similarity page (alternating), keydown until the rerun has drawn everything.

    No signature: through a random encoder every cosine is near 1, so a temperature step may not change a
    digit of the loss."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    found = []
    for i in range(moves):
        slider = ("Temperature τ", "Images in the batch (N)")[i % 2]
        try:
            found += move([page], ("ArrowRight", "ArrowLeft")[(i // 2) % 2], slider, signature=None, timeout=60)
        except PlaywrightTimeout:
            found.append(None)
    return found


def embeddings_report(page, figures: dict, pass_: int, with_transfer: bool) -> None:
    """On the Embeddings page with its maps shown: the accuracy table (always: the page computes it anyway, and
    leaving it running would slow every later moment), then, when asked, the transfer chart after its button
    (after the table, for a run whose transfer results are stored beside its checkpoint)."""
    table = page.locator("[data-testid=stDataFrame]")  # the page's one table (dataframes carry no st-key class)
    figures[f"scores {pass_}"].append(seconds_until(table, timeout=10 * MINUTE))
    if not with_transfer:
        return
    chart = page.locator(".st-key-emb_transfer_chart .js-plotly-plot")
    button = page.get_by_role("button", name="Run transfer comparison")
    # a checkpoint with its transfer results stored (the demo run ships them) shows the chart with the table
    stored = chart.count() > 0 and button.count() == 0
    figures[f"transfer {pass_}"].append(seconds_until(chart, None if stored else button.click, timeout=10 * MINUTE))


def tour_pass(page, figures: dict, pass_: int, similarity: int, with_transfer: bool) -> None:
    """Switch to every page in turn (timing its main figure), moving Similarity's sliders on the way."""
    links = page.locator("[data-testid=stSidebarNavLink]")
    for name, figure in main_figures(page).items():
        figures[f"switch {pass_} {name}"].append(seconds_until(figure, links.filter(has_text=name).first.click))
        if name == "Similarity and loss":
            figures[f"similarity {pass_}"] += similarity_moves(page, similarity)
        if name == "Embeddings":
            embeddings_report(page, figures, pass_, with_transfer)


def app_repeat(browser, env: dict, figures: dict, moves: int, similarity: int, with_transfer: bool) -> None:
    """A fresh app server: start, a new session, slider moves, then the tour twice (cold, then warm)."""
    with server(env) as (url, process, started):
        healthy(url)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(url)
        shown = seconds_until(first_view(page))
        figures["app start"].append(shown and time.perf_counter() - started)
        wait_idle(process.pid)  # the server has settled (the UMAP warm-up is done): a session on a running server
        figures["app session"].append(new_session(browser, url))
        figures["app slider"] += [move([page], ("ArrowRight", "ArrowLeft")[i % 2])[0] for i in range(moves)]
        tour_pass(page, figures, 1, similarity, with_transfer)
        figures["memory 1"].append(tree_rss_mb(process.pid))
        page.context.close()
        again = browser.new_context(viewport=VIEWPORT).new_page()
        everything = [again.locator(".st-key-emb_map_after .js-plotly-plot"), again.locator("[data-testid=stDataFrame]")]
        start = time.perf_counter()
        again.goto(f"{url}/embeddings")
        waits = [seconds_until(locator) for locator in everything]
        figures["again"].append(None if None in waits else time.perf_counter() - start)
        again.goto(url)
        first_view(again).wait_for(timeout=5 * MINUTE)
        tour_pass(again, figures, 2, similarity, with_transfer)
        figures["memory 2"].append(tree_rss_mb(process.pid))
        again.context.close()


def minimal_repeat(browser, env: dict, figures: dict, moves: int) -> None:
    """A fresh minimal page's server: the same start, new-session and slider moments."""
    with server(env, "bench/minimal_page.py") as (url, process, started):
        healthy(url)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(url)
        shown = seconds_until(first_view(page))
        figures["minimal start"].append(shown and time.perf_counter() - started)
        wait_idle(process.pid)
        figures["minimal session"].append(new_session(browser, url))
        figures["minimal slider"] += [move([page], ("ArrowRight", "ArrowLeft")[i % 2])[0] for i in range(moves)]
        figures["minimal memory"].append(tree_rss_mb(process.pid))
        page.context.close()


def measure(repeats: int, moves: int, similarity: int, transfer_repeats: int) -> dict[str, list]:
    """Raw figures: moment name -> seconds (MB for memory) of every repeat; None where a moment never showed."""
    from collections import defaultdict

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"No Chromium at {CHROMIUM}: apt-get install chromium")
    figures = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        env = {"SIMCLR_RUNS": f"{folder}/runs", "SIMCLR_DATA": f"{folder}/data"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for r in range(repeats):
            figures["load"].append(os.getloadavg()[0])
            app = lambda: app_repeat(browser, env, figures, moves, similarity, r < transfer_repeats)  # noqa: E731
            minimal = lambda: minimal_repeat(browser, env, figures, moves)  # noqa: E731
            for step in ((app, minimal) if r % 2 == 0 else (minimal, app)):  # interleaved, alternating order
                step()
            print(f"tour: repeat {r + 1} of {repeats} done, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        figures["load"].append(os.getloadavg()[0])
        browser.close()
    return dict(figures)


def summary(values: list) -> tuple[float | None, float | None, str]:
    """(median, p95, note on missing values) of the values that were measured."""
    found = [v for v in values if v is not None]
    missing = len(values) - len(found)
    note = f"; {missing} of {len(values)} never showed" if missing else ""
    if not found:
        return None, None, note
    return statistics.median(found), percentile(found, 0.95), note


def rows(figures: dict[str, list]) -> list[dict]:
    """Table rows (name, figure, unit, baseline, notes) in the budget's order."""
    out = []

    def row(name: str, key: str, budget: str, baseline_key: str | None = None, what: str = "") -> None:
        if key not in figures:
            return
        median, p95, note = summary(figures[key])
        base, base_p95, _ = summary(figures[baseline_key]) if baseline_key else (None, None, "")
        vs = f"; minimal page p95 {base_p95:.2f} s" if base_p95 is not None else ""
        p95_text = f"p95 {p95:.2f} s" if p95 is not None else "p95 –"
        out.append({"name": f"tour: {name}", "figure": median, "unit": "s", "baseline": base,
                    "notes": f"{p95_text}{vs}; n={len(figures[key])}{note}; budget {BUDGET[budget]}{what}"})

    row("start -> first views", "app start", "start", "minimal start", "; baseline: bench/minimal_page.py")
    row("new session -> first views", "app session", "session", "minimal session")
    row("slider move -> new views", "app slider", "slider", "minimal slider")
    for pass_, when in ((1, "first open"), (2, "warm")):
        for name in ("Similarity and loss", "Training", "Embeddings", "Lecture", "Augmentations"):
            row(f"switch to {name} ({when})", f"switch {pass_} {name}", "maps" if name == "Embeddings" else "switch")
    row("Similarity: temperature / N move", "similarity 1", "similarity", what="; first session")
    row("Similarity: temperature / N move (warm)", "similarity 2", "similarity")
    row("Embeddings, demo run: accuracy table", "scores 1", "scores", what="; after the maps show")
    row("Embeddings, demo run: transfer chart", "transfer 1", "transfer", what="; after its button")
    if figures.get("switch 2 Embeddings"):  # pass 2 switches to a page whose maps and table are on disk
        pairs = zip(figures["switch 2 Embeddings"], figures["scores 2"])
        figures = figures | {"again in session": [None if None in pair else sum(pair) for pair in pairs]}
    row("Embeddings again, in a session: maps + table", "again in session", "again",
        what="; switch in pass 2 until the table shows")
    row("Embeddings again, a new tab on its link: maps + table", "again", "again", "minimal session",
        what="; baseline: a new session on the minimal page, Streamlit's own start of a tab")
    row("Embeddings again: transfer chart", "transfer 2", "transfer")
    if figures.get("load"):
        loads = figures["load"]
        out.append({"name": "tour: machine load (1-minute average)", "figure": statistics.median(loads), "unit": "load",
                    "baseline": None, "notes": f"at each repeat's start and the end: {min(loads):.1f} to {max(loads):.1f} "
                    "on this machine's cores; the budget assumes <= 2"})
    for key, when in (("memory 1", "after pass 1"), ("memory 2", "after pass 2")):
        median, _, _ = summary(figures.get(key, []))
        base, _, _ = summary(figures.get("minimal memory", []))
        if median is not None:
            spread = ", ".join(f"{v:.0f}" for v in figures[key])
            out.append({"name": f"tour: server memory {when}", "figure": median, "unit": "MB", "baseline": base,
                        "notes": f"RSS of the server's process tree, per repeat: {spread} MB; baseline: the minimal "
                        f"page's; budget {BUDGET['memory']}"})
    return out


def run(quick: bool = False, repeats: int | None = None) -> list[dict]:
    """The tour's rows for `python -m bench`: 5 repeats (3 with quick); with quick the transfer chart is asked
    for in repeat 1 only (minutes while its results are not kept on disk)."""
    repeats = repeats or (3 if quick else 5)
    figures = measure(repeats, moves=4 if quick else 10, similarity=4 if quick else 10,
                      transfer_repeats=1 if quick else repeats)
    return rows(figures)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tour", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, fewer moves, the transfer chart in repeat 1 only")
    parser.add_argument("--repeats", type=int, help="fresh servers of each kind (default 5, 3 with --quick)")
    args = parser.parse_args()
    from bench.__main__ import table

    found = run(args.quick, args.repeats)
    for row in found:
        row["ratio"] = row["figure"] / row["baseline"] if row["figure"] is not None and row["baseline"] else None
    print(table(found))


if __name__ == "__main__":
    main()
