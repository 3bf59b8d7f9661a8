"""The Embeddings page's accuracy table for the shipped demo run shows, in each cell, the figure its row and
column name, as stored in assets/demo-run/eval-best.json (read here with json, not through simclr.compare).

The report's row keys are "kNN" (the run's k, DINO's vote), "kNN k=200" (lightly's vote) and "linear probe";
the page labels each column with its split, and the first with the k it was computed with.
"""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
STORED = ROOT / "assets" / "demo-run" / "eval-best.json"


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(STORED.read_text())


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The accuracy table as the page shows it, on a server with no runs of its own: the demo run is picked."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIMCLR_RUNS", str(tmp_path_factory.mktemp("no-runs")))
        at = AppTest.from_file(str(APP), default_timeout=180).run()
        at.session_state["emb_count"] = 200  # the maps' size; the table does not depend on it
        at.session_state["emb_method"] = "PCA"
        at.switch_page("app_pages/embeddings/page.py").run()
        assert not at.exception, at.exception
        assert at.selectbox(key="emb_run").value == "demo-run"
        frames = [frame.value for frame in at.dataframe if "features" in frame.value.columns]
    assert len(frames) == 1, f"expected one accuracy table, found {len(frames)}"
    return frames[0]


def expected_columns(stored: dict) -> dict[str, str]:
    """Stored figure -> the column the page should show it in."""
    split, k = stored["split"], stored["key"]["k"]
    return {"kNN": f"kNN k={k} ({split})", "kNN k=200": f"kNN k=200 ({split})",
            "linear probe": f"linear probe ({split})"}


def test_the_table_has_the_stored_rows_and_columns(table, stored):
    assert list(table.columns) == ["features", "space", *expected_columns(stored).values()]
    assert list(zip(table["features"], table["space"])) == [(r["features"], r["space"]) for r in stored["rows"]]


@pytest.mark.parametrize("figure", ["kNN", "kNN k=200", "linear probe"])
def test_each_cell_is_its_own_stored_figure(table, stored, figure):
    column = expected_columns(stored)[figure]
    shown = {(f, s): v for f, s, v in zip(table["features"], table["space"], table[column])}
    for row in stored["rows"]:
        where = (row["features"], row["space"])
        assert shown[where] == pytest.approx(row[figure], abs=1e-9), \
            f"{column}, {where}: the page shows {shown[where]}, eval-best.json has {figure} = {row[figure]}"


def test_the_stored_figures_tell_the_columns_apart(stored):
    """Where two figures of a row were equal, a swap of their columns could not be seen: most rows differ."""
    for a, b in (("kNN", "kNN k=200"), ("kNN", "linear probe"), ("kNN k=200", "linear probe")):
        assert sum(row[a] != row[b] for row in stored["rows"]) >= 3, (a, b)
    for figure in ("kNN k=200", "linear probe"):  # a row swap (h <-> z) shows in these columns
        assert len({row[figure] for row in stored["rows"]}) == len(stored["rows"]), figure
