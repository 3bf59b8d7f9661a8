"""The app as people feel it: server time of a slider move, start-up, memory, and latency under many sessions.

Server time comes from AppTest in this process (the page's own work, no browser). The rest drives a real
`streamlit run app.py` with Debian's Chromium through Playwright, as tests/test_browser.py does.
Run: python -m bench.app [--moves 50] [--sessions 20]
"""
import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# What "the views" are on the Augmentations page (and on bench/minimal_page.py): the src of every picture whose
# caption starts with "view"; a move has shown its result when this string has changed.
VIEWS = """[...document.querySelectorAll('[data-testid=stImage]')]
  .filter(e => (e.querySelector('[data-testid=stImageCaption]')?.textContent || '').startsWith('view'))
  .map(e => e.querySelector('img')?.src).join(' ')"""


def arm(signature: str | None = VIEWS) -> str:
    """JS for page.evaluate: time from the next keydown until `signature` (a JS expression of what the user looks
    at) has changed, or with None until a script run has finished, and the script is idle with every element
    drawn (no skeleton left). The result lands in window.moveStart / window.moveEnd (ms)."""
    return f"""() => {{
  const signature = () => {signature or "null"};
  const state = () => document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state');
  const idle = () => state() === 'notRunning' && !document.querySelector('[data-testid=stSkeleton]');
  const before = signature();
  let ran = false;
  window.moveStart = null; window.moveEnd = null;
  document.addEventListener('keydown', () => {{ window.moveStart = performance.now(); }}, {{once: true, capture: true}});
  const observer = new MutationObserver(records => {{
    if (window.moveStart === null) return;
    // old values are kept, so a run that starts and ends between two callbacks still counts
    ran ||= records.some(r => r.attributeName === 'data-test-script-state' && r.oldValue === 'running');
    if (idle() && ({'ran' if signature is None else 'signature() !== before'})) {{
      window.moveEnd = performance.now();
      observer.disconnect();
    }}
  }});
  observer.observe(document, {{subtree: true, childList: true, attributes: true, attributeOldValue: true,
                               characterData: true}});
}}"""


SLIDER = "Jitter strength"  # a 0.05 step changes every jittered view, even on 28 px digits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait_for_umap_warmup() -> None:
    """app.py compiles UMAP in a background thread; let it finish so it does not share the timed cores."""
    for thread in threading.enumerate():
        if thread.name == "umap-warmup":
            thread.join()


def slider_server_time(moves: int) -> dict:
    """Seconds of AppTest's set_value().run() on the crop slider, against a rerun with nothing changed."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    wait_for_umap_warmup()
    values, moved, bare = [(0.08, 1.0), (0.3, 1.0)], [], []
    for i in range(moves):
        start = time.perf_counter()
        at.slider(key="aug_crop_scale").set_value(values[i % 2]).run()
        moved.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.run()
        bare.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return {"moved": moved, "bare": bare}


def rss_mb(pid: int) -> float:
    """Resident memory of process pid in MB, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_idle(pid: int, quiet: float = 1.0, timeout: float = 90.0) -> None:
    """Until the process has used under 5% of a core for `quiet` seconds (the UMAP warm-up has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(quiet)
        if cpu_seconds(pid) - before < 0.05 * quiet:
            return


@contextlib.contextmanager
def server(env: dict[str, str], script: str = "app.py"):
    """`streamlit run <script>` on a free port; yields (url, process, start time) as soon as it is launched."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://localhost:{port}", process, started
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def first_view(page):
    """The first "view 1" picture on the Augmentations page."""
    caption = page.locator("[data-testid=stImageCaption]", has_text="view 1")
    return page.locator("[data-testid=stImage]", has=caption).locator("img").first


def move(pages: list, key: str, slider: str = SLIDER, signature: str | None = VIEWS,
         timeout: float = 300.0) -> list[float]:
    """Press `key` on the `slider` of every page, all at once; each page's seconds from keydown until its rerun
    has finished and `signature` (by default the views; None: anything) has changed."""
    thumbs = [page.locator("[data-testid=stSlider]", has_text=slider).get_by_role("slider").first for page in pages]
    for page, thumb in zip(pages, thumbs):
        thumb.focus()
        page.evaluate(arm(signature))
    for thumb in thumbs:
        thumb.press(key)
    for page in pages:
        page.wait_for_function("window.moveEnd !== null", timeout=timeout * 1000, polling=50)
    return [page.evaluate("window.moveEnd - window.moveStart") / 1000 for page in pages]


def one_session(browser, env: dict[str, str], moves: int, sessions: int = 0) -> dict:
    """A fresh server: start-up, `moves` slider moves in one session with the memory before and after, then
    (when `sessions`) that many sessions moving the slider together."""
    with server(env) as (url, process, started):
        healthy(url)
        health = time.perf_counter() - started
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        first_view(page).wait_for(timeout=120_000)
        shown = time.perf_counter() - started
        wait_idle(process.pid)  # the UMAP warm-up thread has finished
        rss_start = rss_mb(process.pid)
        single = [move([page], ("ArrowRight", "ArrowLeft")[i % 2])[0] for i in range(moves)]
        figures = {"health": health, "first_view": shown, "single": single, "rss_start": rss_start,
                   "rss_after": rss_mb(process.pid)}
        page.close()
        if sessions:
            contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(sessions)]
            crowd = [context.new_page() for context in contexts]
            for other in crowd:
                other.goto(url)
            for other in crowd:
                first_view(other).wait_for(timeout=300_000)
            figures["concurrent"] = move(crowd, "ArrowRight") + move(crowd, "ArrowLeft")
            figures["rss_crowd"] = rss_mb(process.pid)
            for context in contexts:
                context.close()
    return figures


def browser_figures(moves: int, sessions: int) -> tuple[dict, dict]:
    """The app as configured, and the same with Streamlit's default full GC after every run, for comparison."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"No Chromium at {CHROMIUM}: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        env = {"SIMCLR_RUNS": f"{folder}/runs", "SIMCLR_DATA": f"{folder}/data"}
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ours = one_session(browser, env, moves, sessions)
        default_gc = one_session(browser, env | {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}, moves)
        browser.close()
    return ours, default_gc


def run(moves: int = 50, sessions: int = 20, server_moves: int = 30) -> list[dict]:
    """Table rows (name, figure, unit, baseline, ratio, notes) for the app's responsiveness."""
    timing = slider_server_time(server_moves)
    moved, bare = statistics.median(timing["moved"]), statistics.median(timing["bare"])
    b, gc = browser_figures(moves, sessions)
    single, crowd = statistics.median(b["single"]), statistics.median(b["concurrent"])
    return [
        {"name": "slider move, server time (median)", "figure": moved, "unit": "s", "baseline": bare,
         "notes": f"AppTest set_value().run() on the crop-area slider, {server_moves} moves; baseline: a rerun with "
         "nothing changed"},
        {"name": "slider move, server time (p95)", "figure": percentile(timing["moved"], 0.95), "unit": "s",
         "baseline": percentile(timing["bare"], 0.95), "notes": "as above, 95th percentile"},
        {"name": "app start to first view visible", "figure": b["first_view"], "unit": "s", "baseline": b["health"],
         "notes": "from `streamlit run` to the first view image in Chromium; baseline: until /_stcore/health answers"},
        {"name": "slider move in the browser, 1 session (median)", "figure": single, "unit": "s",
         "baseline": statistics.median(gc["single"]),
         "notes": f"keydown to new view images, {moves} moves, p95 {percentile(b['single'], 0.95):.3f} s; baseline: "
         f"Streamlit's default runner.postScriptGC=true (full GC after each run; memory after: {gc['rss_after']:.0f} MB)"},
        {"name": f"server memory after {moves} slider moves", "figure": b["rss_after"], "unit": "MB",
         "baseline": b["rss_start"], "notes": "RSS of the streamlit process (/proc/<pid>/status); baseline: after the "
         f"first page; with {sessions} sessions open: {b['rss_crowd']:.0f} MB"},
        {"name": f"slider move, {sessions} sessions at once (median)", "figure": crowd, "unit": "s",
         "baseline": single, "notes": f"all move together, twice; p95 {percentile(b['concurrent'], 0.95):.2f} s, max "
         f"{max(b['concurrent']):.2f} s; Chromium shares the cores; baseline: 1 session"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.app", description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=50, help="slider moves in one session (memory after them)")
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions that move a slider together")
    args = parser.parse_args()
    for row in run(args.moves, args.sessions):
        print(f"{row['name']:<48} {row['figure']:>9.3f} {row['unit']:<3} {row['notes']}")


if __name__ == "__main__":
    main()
