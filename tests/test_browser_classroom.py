"""The classroom in a real headless Chromium at a projector's 1280 x 720: presenter-mode screenshots of every page
and lecture step (into test-artifacts/presenter/, to look at), deep links on a fresh server, the lecture's
step links, and a copied link opened in a fresh browser context showing the same numbers."""

from pathlib import Path

import pytest

from browser_support import streamlit_server
from test_browser import COUNT_RUNS, IDLE, MINUTE, act, browser, no_exception, sandbox, server, settle, wait_until  # noqa: F401
from ui.navigation import url_path
from ui.classroom import STEPS

PROJECTOR = {"width": 1280, "height": 720}
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "presenter"  # git-ignored
PAGE_PATHS = ("", "loss", "train", "embeddings", "lecture")


@pytest.fixture
def projector(browser, server):  # noqa: F811
    """projector(path, url=server): a fresh browser context at 1280 x 720 on `path`, its first run done."""
    contexts = []

    def open_(path: str, url: str = server, wait: bool = True):
        context = browser.new_context(viewport=PROJECTOR)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(COUNT_RUNS)
        page.goto(f"{url}/{path}")
        if wait:
            settle(page, 0, timeout=3 * MINUTE)
        return page

    yield open_
    for context in contexts:
        context.close()


def metrics(page) -> dict[str, str]:
    """The st.metric values on the page, by label."""
    return page.evaluate("""Object.fromEntries([...document.querySelectorAll('[data-testid=stMetric]')].map(m => [
        m.querySelector('[data-testid=stMetricLabel]').innerText.trim(),
        m.querySelector('[data-testid=stMetricValue]').innerText.trim()]))""")


def first_figure_top(page) -> float:
    """Top (px, from the top of the window) of the first chart or picture in the main area."""
    return page.evaluate("""(() => {
        const found = [...document.querySelectorAll('[data-testid=stMainBlockContainer] .js-plotly-plot, [data-testid=stMainBlockContainer] [data-testid=stImage]')];
        return found.length ? Math.min(...found.map(e => e.getBoundingClientRect().top)) : 1e9; })()""")


def test_a_deep_link_on_a_freshly_started_server_opens_the_step(browser, sandbox):  # noqa: F811
    with streamlit_server(sandbox) as fresh:
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        page.add_init_script(COUNT_RUNS)
        page.goto(f"{fresh}/loss?step=4")
        settle(page, 0, timeout=3 * MINUTE)
        banner = page.locator(".st-key-lecture_banner")
        assert "Step 4 of 8" in banner.inner_text()
        assert page.locator("h1").first.inner_text() == "Similarity and loss"
        found = metrics(page)
        assert float(found["NT-Xent loss"]) < 0.7 * float(found["Chance ln(2N-1)"])
        assert "step=4" in page.url
        context.close()


def test_presenter_mode_fits_a_projector_on_every_page_and_step(projector):
    """Screenshots for a person to look at; the checks: the main figure starts on the first screen, the step's
    box leaves room for it, and no exception."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    views = [(name or "augmentations", f"{name}?present=true") for name in PAGE_PATHS]
    views += [(f"step{n}", f"{url_path(step.page)}?step={n}&present=true") for n, step in enumerate(STEPS, start=1)]
    problems = []
    for name, path in views:
        maps = "embeddings" in path  # the scores below the maps take minutes on two busy cores: wait for the maps
        page = projector(path, wait=not maps)
        if maps:
            wait_until(lambda: page.evaluate(f"[...document.querySelectorAll('.js-plotly-plot')].filter({MAP}).length")
                       == 2, "the maps", 300)
        page.screenshot(path=SHOTS / f"{name}.png")
        no_exception(page)
        banner = page.locator(".st-key-lecture_banner")
        if banner.count() and banner.bounding_box()["height"] > 0.4 * PROJECTOR["height"]:
            problems.append(f"{name}: the step's box is {banner.bounding_box()['height']:.0f} px high")
        # the maps come first on a projector (they started at 596 px, under the controls); elsewhere the figure
        # must at least start on the first screen
        limit = PROJECTOR["height"] / 2 if maps else PROJECTOR["height"] - 100
        if name not in ("lecture", "train", "step6") and first_figure_top(page) > limit:
            problems.append(f"{name}: the main figure starts at {first_figure_top(page):.0f} px")
        page.context.close()
    assert not problems, problems


def test_step_links_move_the_url_and_the_reveal_stays(projector):
    page = projector("embeddings?step=7", wait=False)
    page.locator(".st-key-lecture_banner").wait_for(timeout=3 * MINUTE)
    act(page, lambda: page.get_by_role("button", name="Step 8 →").click())
    wait_until(lambda: "step=8" in page.url, "the URL to name step 8", 30)
    assert "Step 8 of 8" in page.locator(".st-key-lecture_banner").inner_text()
    reveal = page.locator(".st-key-lecture_banner").get_by_text("Reveal the answer")
    wait_until(lambda: reveal.count() == 1, "step 7's box gone, step 8's alone", 60)  # the rerun may show both
    act(page, lambda: reveal.click())
    assert "Step 8 of 8" in page.locator(".st-key-lecture_banner").inner_text()
    assert page.get_by_text(STEPS[7].answer[:40]).is_visible()
    assert page.url.count("present=") <= 1


def test_a_copied_link_opens_on_the_same_numbers_in_a_fresh_browser(projector, browser):  # noqa: F811
    page = projector("loss")
    box = page.locator("[data-testid=stSelectbox]", has_text="Encoder")
    act(page, lambda: box.click())
    act(page, lambda: page.get_by_role("option", name="demo-run").click())
    anchor = page.locator("[data-testid=stSelectbox]", has_text="Anchor")
    anchor.locator("input").click()

    def pick_2b():  # typed, as a user picks from a long list: 2b is an anchor every N has
        page.keyboard.type("2b")
        page.keyboard.press("Enter")

    act(page, pick_2b)
    before = metrics(page)
    equation = page.locator(".katex-html").first.inner_text()
    act(page, lambda: page.get_by_text("Link to this view").click())
    code = page.locator("[data-testid=stPopoverBody] [data-testid=stCode]")
    code.hover()
    code.get_by_role("button").first.wait_for(state="visible", timeout=10_000)  # the copy icon the caption names
    link = code.inner_text().strip()
    assert "encoder_choice=demo-run" in link and "loss_anchor=2b" in link
    fresh = browser.new_context(viewport=PROJECTOR)
    other = fresh.new_page()
    other.add_init_script(COUNT_RUNS)
    other.goto(link)
    settle(other, 0, timeout=3 * MINUTE)
    assert metrics(other) == before
    assert other.locator(".katex-html").first.inner_text() == equation
    fresh.close()


def test_a_region_selected_on_one_map_lights_up_on_the_other(projector):
    """The user's gesture: the box-select tool on the after map, a drag, and the same images light up on the
    before map (as many as the gallery says were selected)."""
    page = projector("embeddings?step=7", wait=False)
    wait_until(lambda: page.evaluate(f"[...document.querySelectorAll('.js-plotly-plot')].filter({MAP}).length") == 2,
               "two maps", 300)
    page.wait_for_function(IDLE, timeout=6 * MINUTE)
    box = f"""(() => {{
        const el = [...document.querySelectorAll('.js-plotly-plot')].filter({MAP})[1];
        const r = el.getBoundingClientRect(), xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
        return {{left: r.left + xa._offset, top: r.top + ya._offset, w: xa._length, h: ya._length}}; }})()"""
    after = page.locator(".js-plotly-plot").nth(1)
    after.hover()
    after.locator("[data-title='Box Select']").click()
    area = page.evaluate(box)
    x0, y0 = area["left"] + 0.2 * area["w"], area["top"] + 0.2 * area["h"]
    x1, y1 = area["left"] + 0.8 * area["w"], area["top"] + 0.8 * area["h"]

    def drag():
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
        page.mouse.move(x1, y1, steps=5)
        page.mouse.up()

    act(page, drag)
    heading = wait_until(lambda: page.get_by_text("images selected on the after map").all_inner_texts(),
                         "the gallery of the selected images", 60)[0]
    selected = int(heading.split()[0].replace(",", ""))
    lit = f"""(() => {{
        const el = [...document.querySelectorAll('.js-plotly-plot')].filter({MAP})[0];
        return el.data.reduce((n, t) => n + (t.selectedpoints || []).length, 0); }})()"""
    assert 0 < selected and wait_until(lambda: page.evaluate(lit) == selected, "the same images lit on the before map", 60)


MAP = "el => el.layout?.meta?.hover_sprite && !el.layout?.meta?.replay"  # the two maps, not the replay
