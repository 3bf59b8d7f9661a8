"""Test-session edge: one intra-op thread, so tests do not fight the servers and trainers they start;
screenshots of the browser tests' pages when one fails."""

import os
import tempfile
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)
# a data root of the session's own, unless one is set: what tests cache there (a report's stored baseline rows)
# then neither reaches the user's cache folder nor answers for code that has changed since
os.environ.setdefault("SIMCLR_DATA", tempfile.mkdtemp(prefix="simclr-tests-data-"))

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # git-ignored


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a test fails, save a full-page screenshot of each browser page it registered in item.browser_pages."""
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
