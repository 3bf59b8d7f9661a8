"""The same label shows the same figure in the CLI summary, on the Training page and on the Embeddings page.

For the shipped demo run and for a fresh short run: kNN of raw pixels, the random init and the trained h on the
test split; the validation figures of the Training page; each label names its split.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simclr.evaluate import report
from simclr.runs import folder

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
ASSETS = ROOT / "assets"
TEST_ROWS = {"kNN raw pixels": ("raw pixels", "pixels"), "kNN random init": ("random init", "h"),
             "kNN trained, best.pt": ("trained", "h")}  # CLI / Training page label -> Embeddings table row


def training_page(monkeypatch, root: Path) -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.switch_page("app_pages/train/page.py").run()
    assert not at.exception, at.exception
    return at


def embeddings_page(monkeypatch, root: Path, run: str) -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.session_state["emb_count"] = 200  # the maps' size; the table does not depend on it
    at.session_state["emb_method"] = "PCA"
    at.switch_page("app_pages/embeddings/page.py").run()
    at.selectbox(key="emb_run").set_value(run).run()
    assert not at.exception, at.exception
    return at


def runs_table_row(at: AppTest, run: str) -> dict:
    table = next(frame.value for frame in at.dataframe if "run" in frame.value.columns)
    return table[table["run"] == run].iloc[0].to_dict()


def embeddings_figures(at: AppTest) -> tuple[str, dict[str, float]]:
    """The table's test split label and {CLI label (split): value} for the rows the summary has."""
    table = at.dataframe[0].value
    column = next(c for c in table.columns if c.startswith("kNN k=20 ("))  # the run's k, which the summary copies
    split = column.removeprefix("kNN k=20 (").removesuffix(")")
    rows = {(f, s): v for f, s, v in zip(table["features"], table["space"], table[column])}
    return split, {f"{label} ({split})": rows[row] for label, row in TEST_ROWS.items()}


def check_agreement(monkeypatch, root: Path, run: str, cli: dict[str, float], tolerance: float) -> None:
    summary = folder.read_json(root / run / folder.SUMMARY)
    training = training_page(monkeypatch, root)
    row = runs_table_row(training, run)
    split, shown = embeddings_figures(embeddings_page(monkeypatch, root, run))
    assert split.startswith("test") and summary["test_split"] == split
    for label, value in shown.items():
        assert cli[label] == pytest.approx(value, abs=tolerance), label
        assert row[label] == pytest.approx(value, abs=1e-12), label
    validation = [label for label in cli if "(validation" in label]
    assert len(validation) == 3 and len(cli) == 6
    for label in validation:
        assert row[label] == pytest.approx(cli[label], abs=tolerance), label
    metric = next(m for m in training.metric if m.label.startswith("kNN ("))
    assert metric.label == f"kNN ({summary['validation_split']})"
    assert metric.value == f"{summary['knn_after']:.1%}"  # the last check is the run's last step


def test_the_shipped_demo_run_shows_the_same_figures_everywhere(monkeypatch):
    summary = folder.read_json(ASSETS / "demo-run" / folder.SUMMARY)
    cli = report.labelled_figures(summary)  # what `python -m simclr.train` printed at the end of the run
    assert set(cli) >= {"kNN trained, best.pt (test)", "kNN raw pixels (validation)"}
    check_agreement(monkeypatch, ASSETS, "demo-run", cli, tolerance=1e-12)


def test_a_fresh_run_shows_the_same_figures_in_the_cli_and_on_both_pages(monkeypatch, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "simclr.train", "--max-steps", "20", "--batch-size", "64", "--eval-every", "10",
         "--eval-images", "1000", "--threads", "1", "--out", str(tmp_path / "fresh")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    cli = {label: float(value) for label, value in re.findall(r"^(kNN [^:]+): ([0-9.]+)$", done.stdout, re.M)}
    assert "kNN trained, best.pt (test, 1,000 memory images)" in cli  # the cap is written beside the figure
    check_agreement(monkeypatch, tmp_path, "fresh", cli, tolerance=0.0005)  # the CLI prints three decimals
