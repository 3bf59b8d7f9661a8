"""The app in a real headless Chromium, as a user drives it: every page, a slider, a broken upload, a tiny
training run with its live curve, the embedding maps, a killed run that resumes, a server restart, and
many sessions at once. One server for the module; SIMCLR_RUNS and SIMCLR_DATA point into a tmp folder.

Needs Debian's Chromium (`apt-get install chromium`) and Playwright (`pip install -r requirements-dev.txt`).
A screenshot of every open page lands in test-artifacts/ when a test fails (tests/conftest.py).
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server
from simclr.model.checkpoint import load_checkpoint
from simclr.runs import folder, process

MINUTE = 60_000  # ms, Playwright's unit
PAGES = ("Augmentations", "Similarity and loss", "Training", "Embeddings")
SESSIONS = int(os.environ.get("SIMCLR_BROWSER_SESSIONS", "6"))  # concurrent sessions; the benchmark runs 20

# Counts finished script runs as the page sees them: the app root's data-test-script-state leaving "running".
# Mutation records keep each old value, so a run that starts and ends between two callbacks still counts.
# simclrQuiet: when the state last changed (or the test last acted), for runs the page never shows as running.
COUNT_RUNS = """
(() => {
  window.simclrRuns = 0;
  window.simclrQuiet = performance.now();
  new MutationObserver(records => {
    for (const record of records) {
      if (record.attributeName !== "data-test-script-state") continue;
      window.simclrQuiet = performance.now();
      if (record.oldValue === "running") window.simclrRuns += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ["data-test-script-state"]});
})();
"""
QUIET_MS = 3000  # no run seen this long after an action: the page is treated as settled
# The script has finished, and every element has been drawn: a fresh browser context loads each kind of element's
# code on first use and shows a grey skeleton until then, after the script state already says "notRunning".
IDLE = ("document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-testid=stSkeleton]')")


# --- fixtures: one server, one browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("browser")
    env = {"SIMCLR_RUNS": str(folder / "runs"), "SIMCLR_DATA": str(folder / "data")}
    for path in env.values():
        Path(path).mkdir()
    return env


@pytest.fixture(scope="module")
def server(sandbox) -> str:
    with streamlit_server(sandbox) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: the browser tests need Debian's Chromium (apt-get install chromium).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The browser tests need Playwright: pip install -r requirements-dev.txt")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, server, request):
    """open_page(path, url=server): a fresh session (its own browser context) on `path`, its first run done
    (or only started, with wait=False). Closed after the test, so a failing test's screenshots still see them."""
    contexts = []

    def open_(path: str = "", url: str = server, wait: bool = True):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(COUNT_RUNS)
        request.node.browser_pages = [*getattr(request.node, "browser_pages", []), page]
        page.goto(f"{url}/{path}")
        if wait:
            settle(page, 0)
        return page

    yield open_
    for context in contexts:
        context.close()


def script_runs(page) -> int:
    return page.evaluate("window.simclrRuns || 0")


def settle(page, runs_before: int, timeout: float = 2 * MINUTE) -> None:
    """Wait until a script run has finished after the first `runs_before` (or the page has stayed idle for
    QUIET_MS since the last action, as after a page switch while a fragment was running); then check for
    exceptions."""
    finished = f"(window.simclrRuns || 0) > {runs_before}"
    quiet = f"performance.now() - window.simclrQuiet > {QUIET_MS}"
    page.wait_for_function(f"({finished} || {quiet}) && {IDLE}", timeout=timeout)
    no_exception(page)


def act(page, action, timeout: float = 2 * MINUTE) -> None:
    """Do `action` (a user input) and wait for the rerun it causes to finish."""
    before = script_runs(page)
    page.evaluate("window.simclrQuiet = performance.now()")
    action()
    settle(page, before, timeout)


def no_exception(page) -> None:
    boxes = page.locator("[data-testid=stException]")
    assert boxes.count() == 0, boxes.first.inner_text()


def view_sources(page) -> list[str]:
    """The src of every view image (captions "view 1" / "view 2") on the Augmentations page."""
    return page.evaluate("""[...document.querySelectorAll('[data-testid=stImage]')]
        .filter(e => (e.querySelector('[data-testid=stImageCaption]')?.textContent || '').startsWith('view'))
        .map(e => e.querySelector('img').src)""")


def plots(page, where: str = "true") -> list[dict]:
    """Each plotly chart on the page (filtered by a JS condition on `el`): title, trace point counts, meta.

    Titles lose the <b> tags the frontend wraps them in (one more on each redraw of a live chart)."""
    return page.evaluate(f"""[...document.querySelectorAll('.js-plotly-plot')].filter(el => {where}).map(el => ({{
        title: (el.layout?.title?.text || '').replace(/<\\/?b>/g, ''), points: (el._fullData || []).map(t => t._length ?? (t.x || []).length ?? 0),
        meta: el.layout?.meta || null}}))""")


def status_line(page, run: str) -> str:
    """The watched run's status line on the Training page ("<run>: training on ...")."""
    line = page.locator("[data-testid=stMarkdownContainer] p", has_text=f"{run}:").first
    return line.inner_text() if line.count() else ""


def wait_until(condition, what: str, timeout: float = 120.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(every)
    return result


def a_run_with_a_checkpoint(sandbox: dict[str, str]) -> Path:
    """The newest run with best.pt; trains a 30-step one from the command line if there is none yet."""
    found = [r for r in folder.list_runs(Path(sandbox["SIMCLR_RUNS"])) if (r.path / folder.BEST).is_file()]
    if found:
        return found[0].path
    run_dir = Path(sandbox["SIMCLR_RUNS"]) / "cli-tiny"
    subprocess.run([sys.executable, "-m", "simclr.train", "--max-steps", "30", "--batch-size", "64", "--threads",
                    "1", "--eval-images", "500", "--out", str(run_dir)], cwd=ROOT, check=True, capture_output=True)
    return run_dir


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_page_opens_without_an_exception(open_page):
    page = open_page()
    links = page.locator("[data-testid=stSidebarNavLink]")
    names = [text.strip().splitlines()[-1] for text in links.all_inner_texts()]
    assert set(PAGES) <= set(names), names
    for name in names:
        act(page, lambda: links.filter(has_text=name).first.click())
        assert page.locator("h1").first.is_visible(), name
    assert page.locator("[data-testid=stAlertContentError]").count() == 0


def test_moving_a_slider_changes_the_views(open_page):
    page = open_page()
    before = view_sources(page)
    assert len(before) == 8, "four images, two views each"
    thumb = page.locator("[data-testid=stSlider]", has_text="Crop area").get_by_role("slider").first
    thumb.focus()
    act(page, lambda: thumb.press("ArrowRight"))
    assert float(thumb.input_value()) == pytest.approx(0.09), "one step of 0.01"
    wait_until(lambda: view_sources(page) != before, "a view to change", 30)  # 28 px: most crops round alike
    act(page, lambda: thumb.press("End"))  # the smallest crop as large as the largest: whole images
    assert float(thumb.input_value()) == 1.0
    changed = lambda: sum(a != b for a, b in zip(before, view_sources(page)))  # noqa: E731
    wait_until(lambda: changed() >= 6, "most views to change", 30)
    after = view_sources(page)
    jitter = page.locator("[data-testid=stSlider]", has_text="Jitter strength").get_by_role("slider").first
    jitter.focus()
    act(page, lambda: jitter.press("End"))
    assert float(jitter.input_value()) == 2.0, "End moves the thumb to the maximum"
    assert view_sources(page) != after


def test_a_tab_loads_the_chart_module_before_its_first_chart(open_page):
    """The Augmentations page has no chart; the tab still fetches Streamlit's Plotly chart module once it is idle,
    and the Similarity page's heatmap then draws from that module (it is not fetched a second time)."""
    page = open_page()
    assert page.locator(".js-plotly-plot").count() == 0
    fetched = "performance.getEntriesByType('resource').filter(r => /PlotlyChart\\.[^/]*\\.js$/.test(r.name)).length"
    wait_until(lambda: page.evaluate(fetched) == 1, "the chart module to be fetched in the background", 30)
    similarity = page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Similarity and loss").first
    act(page, similarity.click)
    page.locator(".st-key-sim_heatmap .js-plotly-plot").wait_for(timeout=MINUTE)
    assert page.evaluate(fetched) == 1


def test_a_broken_upload_gives_a_message_not_a_traceback(open_page):
    page = open_page()
    act(page, lambda: page.get_by_text("My own images").click())
    assert page.get_by_text("Upload one or more images").is_visible()
    files = [{"name": "broken.png", "mimeType": "image/png", "buffer": b"this is text, not a picture"}]
    act(page, lambda: page.locator("input[type=file]").set_input_files(files))
    alert = page.locator("[data-testid=stAlert]", has_text="broken.png")
    alert.wait_for(timeout=MINUTE)
    assert "not an image" in alert.inner_text()
    no_exception(page)


def test_markup_in_a_file_name_shows_as_typed(open_page):
    """Markdown, LaTeX, HTML, Streamlit directives and emoji codes in a name are shown as the characters typed."""
    page = open_page()
    act(page, lambda: page.get_by_text("My own images").click())
    name = "**bold** $x^2$ :red[red] :smile: <i>it _u_ `c` [link](x) ~~s~~ &amp; # h.png"  # no "/": a path
    files = [{"name": name, "mimeType": "image/png", "buffer": b"this is text, not a picture"}]
    act(page, lambda: page.locator("input[type=file]").set_input_files(files))
    alert = page.locator("[data-testid=stAlert]", has_text="not an image")
    alert.wait_for(timeout=MINUTE)
    assert name in alert.inner_text(), alert.inner_text()
    assert alert.locator("strong, em, code, a, del, i, .katex, [data-testid=stMarkdownColoredText]").count() == 0
    no_exception(page)


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port`, from Linux's /proc/net/tcp and tcp6 (hex)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, _, state = line.split()[1:4]
                address, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket tables")
def test_the_server_listens_on_loopback_only(server):
    """.streamlit/config.toml's server.address = "localhost" binds the loopback address alone, not 0.0.0.0."""
    port = int(server.rsplit(":", 1)[1])
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as the kernel writes them
    addresses = listening_addresses(port)
    assert addresses and addresses <= loopback, addresses
    others = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    for address in others:  # and from another address of this machine the port is closed
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()


def start_run(page, name: str, seconds: float, batch: int, eval_every: int | None = None) -> None:
    """Fill the Training page's form and press Start training."""
    for label, value in (("Time budget (seconds)", seconds), ("Batch size N", batch),
                         ("kNN check every (steps)", eval_every)):
        if value is not None:
            box = page.get_by_label(label, exact=True)
            act(page, lambda: (box.fill(str(value)), box.press("Enter")))
    box = page.get_by_label("Run name (empty: dataset-encoder-time)", exact=True)
    act(page, lambda: (box.fill(name), box.press("Enter")))
    act(page, lambda: page.get_by_role("button", name="Start training").click())
    no_exception(page)
    assert page.locator("[data-testid=stAlertContentError]").count() == 0, page.locator("[data-testid=stAlert]").all_inner_texts()


def loss_points(page) -> int:
    found = plots(page, "(el.layout?.title?.text || '').includes('NT-Xent')")
    return sum(found[0]["points"][:1]) if found else 0


def test_a_tiny_run_trains_and_its_loss_curve_grows(open_page, sandbox):
    page = open_page("train")
    start_run(page, "tiny", seconds=20, batch=64)
    first = wait_until(lambda: loss_points(page), "the loss curve", timeout=90)
    wait_until(lambda: loss_points(page) > first, "the loss curve to grow", timeout=60)
    step = page.locator("[data-testid=stMetric]", has_text="Step").locator("[data-testid=stMetricValue]")
    wait_until(lambda: "finished" in status_line(page, "tiny"), "the run to finish", timeout=90)
    assert int(step.inner_text().replace(",", "")) > 0
    summary = folder.read_json(Path(sandbox["SIMCLR_RUNS"]) / "tiny" / folder.SUMMARY)
    assert summary["status"] == "finished" and summary["steps"] == int(step.inner_text().replace(",", ""))
    no_exception(page)


def embedding_maps(page) -> list[dict]:
    return plots(page, "el.layout?.meta?.hover_sprite && !el.layout?.meta?.replay")


def test_embeddings_page_shows_two_maps(open_page, sandbox):
    run_dir = a_run_with_a_checkpoint(sandbox)
    page = open_page("embeddings")
    maps = wait_until(lambda: len(m := embedding_maps(page)) == 2 and m, "two embedding maps", timeout=150)
    assert [m["title"].split("<br>")[0] for m in maps] == ["Before training", "After training"]
    assert all(sum(m["points"]) > 0 for m in maps)
    _, extra = load_checkpoint(run_dir / folder.BEST)
    assert f"best.pt, step {extra['step']:,}" in maps[1]["title"], "the newest run is the one shown"
    no_exception(page)


def test_a_killed_run_shows_failed_its_checkpoint_loads_and_it_resumes(open_page, sandbox):
    """Start a run on a second server, stop that server mid-run (the run goes on, the list survives),
    SIGKILL the training process, and resume it with the Resume button on the first server."""
    run_dir = Path(sandbox["SIMCLR_RUNS"]) / "killed"
    with streamlit_server(sandbox) as other:
        page = open_page("train", url=other)
        start_run(page, "killed", seconds=300, batch=16, eval_every=100_000)
        wait_until(lambda: (run_dir / folder.LAST).is_file(), "the first checkpoint (step 500)", timeout=150)
        page.context.close()
    summary = folder.read_json(run_dir / folder.SUMMARY)
    assert process.pid_alive(summary["pid"]), "the run outlives the server that started it"

    page = open_page("train")  # the first server: the restarted app sees the run on disk
    wait_until(lambda: "killed: training" in status_line(page, "killed"), "the run listed as training", 30)
    os.kill(summary["pid"], signal.SIGKILL)
    wait_until(lambda: "killed: failed" in status_line(page, "killed"), "the run shown as failed", 30)
    assert page.get_by_text("ended without finishing").first.is_visible()
    model, extra = load_checkpoint(run_dir / folder.LAST)
    assert extra["step"] >= 500 and model.config.in_channels == 1

    more = page.get_by_label("Resume for (seconds)", exact=True)
    act(page, lambda: (more.fill("3"), more.press("Enter")))
    act(page, lambda: page.get_by_role("button", name="Resume", exact=True).click())
    wait_until(lambda: folder.read_json(run_dir / folder.SUMMARY).get("status") == "finished", "the resumed run", 120)
    resumed = folder.read_json(run_dir / folder.SUMMARY)
    assert resumed["steps"] > extra["step"] and resumed["pid"] != summary["pid"]
    wait_until(lambda: "killed: finished" in status_line(page, "killed"), "the page to show it finished", 30)
    no_exception(page)


def test_many_sessions_at_once_get_their_pages_without_errors(open_page, server, sandbox):
    a_run_with_a_checkpoint(sandbox)
    pages = [open_page(wait=False) for _ in range(SESSIONS)]  # all first runs on the server at once
    for page in pages:
        settle(page, 0, timeout=3 * MINUTE)
    befores = [view_sources(page) for page in pages]
    counts = [script_runs(page) for page in pages]
    for page in pages:  # every session moves a slider at about the same moment
        thumb = page.locator("[data-testid=stSlider]", has_text="Crop area").get_by_role("slider").first
        thumb.focus()
        page.evaluate("window.simclrQuiet = performance.now()")
        thumb.press("End")
    for page, count, before in zip(pages, counts, befores):
        settle(page, count, timeout=3 * MINUTE)
        wait_until(lambda: view_sources(page) != before, "new views in every session", 60)
    for page in pages:
        page.goto(f"{server}/embeddings")
    for page in pages:
        wait_until(lambda: len(embedding_maps(page)) == 2, "two maps in every session", 240)
        no_exception(page)
