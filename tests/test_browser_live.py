"""The Training page while a run trains, and the Embeddings page's replay, in a real headless Chromium: the progress
text and the live map move during a run, a resumed run is followed without a reload, a run started from a terminal
appears by itself, and the demo run's replay moves with its slider. See test_browser.py for the machinery."""
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import ROOT, streamlit_server
from test_browser import (  # noqa: F401 - fixtures, used by name
    MINUTE, act, browser, no_exception, open_page, plots, sandbox, start_run, status_line, wait_until,
)
from simclr.runs import folder, snapshot_files


@pytest.fixture(scope="module")
def server(sandbox) -> str:
    with streamlit_server(sandbox, timeout=180) as url:  # a busy machine starts streamlit slowly
        yield url


def progress_text(page) -> str:
    bar = page.locator("[data-testid=stProgress]").first
    return bar.inner_text() if bar.count() else ""


def live_map_title(page) -> str:
    found = plots(page, "el.layout?.meta?.live_map")
    return found[0]["title"] if found else ""


def step_shown(page) -> int:
    value = page.locator("[data-testid=stMetric]", has_text="Step").locator("[data-testid=stMetricValue]").first
    return int(value.inner_text().replace(",", "")) if value.count() else 0


def test_progress_and_live_map_move_during_a_run_and_a_resumed_run_is_followed(open_page, sandbox):
    """Issue 11: the progress text stayed "0 s of 45 s"; after Resume the page stayed on "stopped". Issue 14: the
    live map changes at least three times while the run trains."""
    page = open_page("train")
    start_run(page, "live", seconds=240, batch=64)
    texts, titles = set(), set()

    def watch() -> bool:
        if "live: training" in status_line(page, "live"):
            texts.add(progress_text(page))
            titles.add(live_map_title(page))
        return len(texts - {""}) >= 3 and len(titles - {""}) >= 4  # the first title may be a map before training
    wait_until(watch, "the progress text and the live map to change during the run", timeout=240, every=0.3)
    act(page, lambda: page.get_by_role("button", name="Stop").click())
    wait_until(lambda: "live: stopped" in status_line(page, "live"), "the run to stop", 90)
    run_dir = Path(sandbox["SIMCLR_RUNS"]) / "live"
    assert len(snapshot_files.steps(run_dir)) >= 4
    no_exception(page)

    stopped = folder.read_json(run_dir / folder.SUMMARY)["steps"]
    more = page.get_by_label("Resume for (seconds)", exact=True)
    act(page, lambda: (more.fill("4"), more.press("Enter")))
    act(page, lambda: page.get_by_role("button", name="Resume", exact=True).click())
    wait_until(lambda: folder.read_json(run_dir / folder.SUMMARY).get("steps", 0) > stopped
               and folder.read_json(run_dir / folder.SUMMARY).get("status") == "finished", "the resumed run to end", 150)
    final = folder.read_json(run_dir / folder.SUMMARY)["steps"]
    wait_until(lambda: step_shown(page) == final and "live: finished" in status_line(page, "live"),
               "the page to follow the resumed run to its end without a reload", 30)
    no_exception(page)


def test_a_run_started_from_a_terminal_appears_without_a_reload(open_page, sandbox):
    page = open_page("train")
    run_dir = Path(sandbox["SIMCLR_RUNS"]) / "from-terminal"
    process = subprocess.Popen([sys.executable, "-m", "simclr.train", "--max-steps", "40", "--batch-size", "64",
                                "--threads", "1", "--eval-images", "500", "--out", str(run_dir)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: "from-terminal:" in status_line(page, "from-terminal"), "the terminal's run on the open page", 120)
    finally:
        process.wait(180)
    no_exception(page)


def test_the_demo_runs_replay_plays_and_follows_its_slider(open_page):
    page = open_page("embeddings")
    box = page.locator("[data-testid=stSelectbox]").filter(has=page.get_by_text("Run", exact=True)).first
    if "demo-run" not in box.inner_text():
        box.click()
        act(page, lambda: page.get_by_role("option").filter(has_text="demo-run").first.click(), timeout=5 * MINUTE)
    replay = "el.layout?.meta?.replay"
    wait_until(lambda: plots(page, replay), "the replay figure", timeout=150)
    chart = page.locator(".js-plotly-plot").filter(has=page.locator(".slider-container")).first
    chart.scroll_into_view_if_needed()
    first = chart.evaluate("el => [el._fullData[0].x.slice(0, 5), el.layout.sliders[0].active]")
    rail = chart.locator(".slider-rail-touch-rect").first
    box = rail.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)  # the last step
    moved = lambda: chart.evaluate("el => [el._fullData[0].x.slice(0, 5), el.layout.sliders[0].active]")  # noqa: E731
    wait_until(lambda: (now := moved())[1] != first[1] and now[0] != first[0], "the map to move to another step", 30)
    play = chart.locator(".updatemenu-button").filter(has_text="Play").first
    assert play.count(), "a play button"
    no_exception(page)
