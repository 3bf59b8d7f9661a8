"""Test-session edge: one intra-op thread, so tests do not fight the servers and trainers they start."""

from pathlib import Path

import pytest
import torch
from streamlit.runtime.pages_manager import PagesManager

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def navigation_as_the_server_runs_it(monkeypatch):
    """Make AppTest treat `pages/` as the server does once app.py has called st.navigation.

    AppTest resets PagesManager.uses_pages_directory before every run, so each run wraps app.py in an
    old-style (pages-folder) navigation around our own st.navigation, and app.py's sidebar and banner
    vanish from the element tree after the first run. The server decides the flag once and
    st.navigation turns it off for good; this does the same for the tests.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # git-ignored


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save a screenshot of each page it opened to test-artifacts/."""
    report = yield
    pages = getattr(item, "browser_pages", [])
    if report.when == "call" and report.failed and pages:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            try:
                page.screenshot(path=ARTIFACTS / f"{item.name}-{i}.png", full_page=True)
            except Exception as error:  # noqa: BLE001 - a closed page must not hide the test's own failure
                report.sections.append(("screenshot", f"page {i}: {error}"))
    return report
