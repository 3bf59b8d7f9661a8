"""The Embeddings page, run by Streamlit's AppTest on run folders made here with the library."""

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from simclr.evaluate import report
from simclr.maps import stored
from simclr.model.checkpoint import save_checkpoint
from simclr.model.networks import ModelConfig, build_model
from simclr.runs import folder, snapshot_files
from simclr.runs.config import TrainConfig

APP = Path(__file__).resolve().parent.parent / "app.py"
COUNT = 300  # images on the maps: enough for UMAP and the scores, quick on two cores


def make_run(root: Path, name: str, config: TrainConfig, model_config: ModelConfig | None,
             checkpoint: bytes = b"") -> None:
    """A run folder as simclr.train leaves it; a model is saved as best.pt, else `checkpoint` bytes are."""
    run = root / name
    run.mkdir(parents=True)
    if model_config is None:
        (run / folder.BEST).write_bytes(checkpoint)
    else:  # other weights than the run's seed gives: they stand for the trained ones
        save_checkpoint(run / folder.BEST, build_model(model_config, seed=config.seed + 1), {"step": 5})
    folder.write_json(run / folder.CONFIG, config.to_dict())
    folder.write_json(run / folder.SUMMARY, {"status": "finished"})


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    mnist = TrainConfig(dataset="mnist-5k", max_steps=5, batch_size=32)
    make_run(root, "tiny", mnist, ModelConfig(in_channels=1, image_size=28))
    later = build_model(ModelConfig(in_channels=1, image_size=28), seed=2)
    save_checkpoint(root / "tiny" / folder.LAST, later, {"step": 9})
    make_run(root, "corrupt", mnist, None, b"not a checkpoint")
    make_run(root, "other-head", mnist, ModelConfig(in_channels=1, image_size=28, head_dim=64))
    make_run(root, "damaged-config", mnist, ModelConfig(in_channels=1, image_size=28))
    (root / "damaged-config" / folder.CONFIG).write_text("{ not json")
    images = root.parent / "stripes"  # a labelled folder: two classes, no test split
    rng = np.random.default_rng(0)
    stripes = np.where(np.arange(16) % 4 < 2, 230.0, 20.0)  # (16,) two bright, two dark rows
    for name, pattern in (("across", stripes[:, None]), ("down", stripes[None, :])):
        (images / name).mkdir(parents=True)
        for i in range(10):
            noisy = np.broadcast_to(pattern, (16, 16))[..., None] + rng.normal(0, 20, size=(16, 16, 3))
            Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(images / name / f"{i}.png")
    stripes = TrainConfig(dataset="folder", path=str(images), size=16, batch_size=8, max_steps=5)
    make_run(root, "stripes", stripes, stripes.model_config(3, 16))
    photos = TrainConfig(dataset="photos", size=32, batch_size=8, max_steps=5)
    make_run(root, "photos", photos, photos.model_config(3, 32))
    return root


def open_page(monkeypatch, root: Path, run: str | None = "tiny") -> AppTest:
    monkeypatch.setenv("SIMCLR_RUNS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.session_state["emb_count"] = COUNT  # a fresh page would start with 2,000
    at.switch_page("app_pages/embeddings/page.py").run()
    if run is not None:
        at.selectbox(key="emb_run").set_value(run).run()
    assert not at.exception, at.exception
    return at


def maps(at: AppTest) -> list[dict]:
    """The two scatter figures as plotly JSON (before, after): the charts with a hover sprite, but not the replay."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [figure for figure in figures
            if "hover_sprite" in figure["layout"].get("meta", {}) and "replay" not in figure["layout"]["meta"]]


def test_page_shows_both_maps_of_every_image_and_the_scores(monkeypatch, root):
    at = open_page(monkeypatch, root)
    assert not at.error
    before, after = maps(at)
    for figure in (before, after):
        rows = sorted(row for trace in figure["data"] for row in trace["customdata"])
        assert rows == list(range(COUNT))  # every image once, identified by its row id, whatever its trace
        assert {trace["name"] for trace in figure["data"]} == {str(d) for d in range(10)}  # MNIST class names
    assert "random initialisation, seed 0" in before["layout"]["title"]["text"]
    table = at.dataframe[0].value
    assert list(zip(table["features"], table["space"])) == [
        ("raw pixels", "pixels"), ("random init", "h"), ("random init", "z"), ("trained", "h"), ("trained", "z")]
    assert table[["kNN k=20 (test)", "kNN k=200 (test)", "linear probe (test)"]].stack().between(0, 1).all()
    assert table["kNN k=20 (test)"][0] > 0.5 and table["kNN k=200 (test)"][0] > 0.5  # raw-pixel kNN on MNIST is
    # far above the 10% of chance
    assert any("1,000 images of the MNIST 5k test split, classified by 4,000 of its train split" in c.value
               for c in at.caption)


def test_maps_switch_from_pca_to_umap_once_it_is_compiled(monkeypatch, root):
    at = open_page(monkeypatch, root)
    deadline = time.monotonic() + 150
    while "UMAP" not in maps(at)[0]["layout"]["title"]["text"]:
        assert "PCA" in maps(at)[0]["layout"]["title"]["text"]
        assert any("UMAP is being compiled" in info.value for info in at.info)
        assert time.monotonic() < deadline, "UMAP never became ready"
        time.sleep(1)
        at.run()
    assert not any("UMAP is being compiled" in info.value for info in at.info)
    at.segmented_control(key="emb_method").set_value("PCA").run()
    assert "PCA" in maps(at)[0]["layout"]["title"]["text"]


def test_stored_umap_maps_show_while_umap_is_still_compiling(monkeypatch, tmp_path):
    """A run whose maps are on disk (the demo run ships its own) shows them at once on a fresh server, not PCA
    until numba has compiled UMAP: reading them fits nothing."""
    import threading

    from ui import umap_warmup

    monkeypatch.setattr(umap_warmup, "start_umap_warmup", threading.Event)  # a warm-up that never finishes
    mnist = TrainConfig(dataset="mnist-5k", max_steps=5, batch_size=32)
    make_run(tmp_path, "stored", mnist, ModelConfig(in_channels=1, image_size=28))
    best = tmp_path / "stored" / folder.BEST
    before, after = np.random.default_rng(0).normal(size=(2, COUNT, 2)).astype(np.float32)
    stored.save(best, stored.umap_key(best, COUNT, "h"), before, after)
    at = open_page(monkeypatch, tmp_path, "stored")
    shown = maps(at)
    assert all("UMAP of h" in figure["layout"]["title"]["text"] for figure in shown)
    assert not any("UMAP is being compiled" in info.value for info in at.info)
    for figure, kept in zip(shown, (before, after)):
        x = {row: value for trace in figure["data"] for row, value in zip(trace["customdata"], values(trace["x"]))}
        assert np.allclose([x[row] for row in range(COUNT)], kept[:, 0], atol=1e-5)
    at.segmented_control(key="emb_space").set_value("z").run()  # z's maps are not stored: PCA until compiled
    assert all("PCA of z" in figure["layout"]["title"]["text"] for figure in maps(at))
    assert any("UMAP is being compiled" in info.value for info in at.info)


def test_h_and_z_give_different_maps(monkeypatch, root):
    at = open_page(monkeypatch, root)
    at.segmented_control(key="emb_method").set_value("PCA").run()
    h = maps(at)[1]["data"][0]["x"]
    at.segmented_control(key="emb_space").set_value("z").run()
    assert not at.exception
    assert maps(at)[1]["data"][0]["x"] != h


def test_picking_an_image_shows_its_neighbours_before_and_after(monkeypatch, root):
    at = open_page(monkeypatch, root)
    at.number_input(key="emb_pick").set_value(7).run()
    at.slider(key="emb_neighbours_shown").set_value(5).run()
    captions = [[img.caption for img in element.proto.imgs] for element in at.get("image")]
    assert ["#7 · " in c[0] for c in captions if len(c) == 1] == [True]
    neighbour_rows = [c for c in captions if len(c) == 5]
    assert len(neighbour_rows) == 2  # random initialisation, trained
    for row in neighbour_rows:
        assert not any(c.startswith("#7 ") for c in row)  # an image is not its own neighbour


def test_transfer_comparison_runs_on_request(monkeypatch, root):
    at = open_page(monkeypatch, root)
    assert len(at.get("plotly_chart")) == 2
    at.button(key="emb_transfer").click().run()
    assert not at.exception
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == 3
    methods = {trace["name"] for trace in charts[2]["data"]}
    assert methods == {"linear probe on frozen h", "fine-tune the trained encoder", "train from scratch"}
    assert all(0 <= y <= 1 for trace in charts[2]["data"] for y in trace["y"])


def test_unlabelled_run_is_coloured_by_clusters_without_scores(monkeypatch, root):
    at = open_page(monkeypatch, root, "photos")
    assert not at.error
    assert not at.radio  # no labels to colour by
    before, _ = maps(at)
    assert all(trace["name"].startswith("cluster ") for trace in before["data"])
    assert sum(len(trace["customdata"]) for trace in before["data"]) == 8  # every photo, no slider needed
    assert any("cannot be scored" in info.value for info in at.info)
    assert not at.dataframe


def test_switching_runs_and_fewer_images_keep_the_widgets_valid(monkeypatch, root):
    at = open_page(monkeypatch, root)
    at.segmented_control(key="emb_checkpoint").set_value("last.pt").run()
    assert "last.pt, step 9" in maps(at)[1]["layout"]["title"]["text"]
    at.number_input(key="emb_pick").set_value(COUNT - 1).run()
    at.slider(key="emb_count").set_value(100).run()  # image 299 is gone
    assert not at.exception
    assert at.number_input(key="emb_pick").value < 100
    at.selectbox(key="emb_run").set_value("photos").run()  # 8 images, only best.pt
    assert not at.exception
    assert at.segmented_control(key="emb_checkpoint").value == "best.pt"
    assert at.slider(key="emb_neighbours_shown").value <= 7


def test_labelled_folder_is_scored_on_a_split_of_its_images(monkeypatch, root):
    monkeypatch.setenv("SIMCLR_DATA", str(root.parent))  # the run's folder lies in the data root, as the app needs
    at = open_page(monkeypatch, root, "stripes")
    assert not at.error
    assert any("4 images of the 20 images (seed 0), kept out as a test split, classified by 16 others" in c.value
               for c in at.caption)
    table = at.dataframe[0].value
    assert table["kNN k=20 (test)"][0] == 1.0  # stripes across and down are told apart by their raw pixels alone


@pytest.mark.parametrize(("run", "message"), [
    ("corrupt", "could not be read"), ("other-head", "was expected"), ("damaged-config", "config.json of run")])
def test_a_bad_checkpoint_gives_a_message(monkeypatch, root, run, message):
    at = open_page(monkeypatch, root, run)
    assert not at.exception
    assert any(message in error.value for error in at.error)
    assert not at.get("plotly_chart")


def test_without_runs_of_ones_own_the_shipped_demo_run_is_shown(monkeypatch, tmp_path):
    at = open_page(monkeypatch, tmp_path, run=None)
    assert at.selectbox(key="emb_run").value == "demo-run" and len(at.selectbox(key="emb_run").options) == 1
    assert not at.error
    assert len(maps(at)) == 2


def values(array) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's base64 typed array {"dtype", "bdata"}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def test_the_demo_runs_replay_has_a_frame_per_snapshot_with_the_curves_marked(monkeypatch, tmp_path):
    """Replay (app_pages/embeddings/replay.py): one animation frame per shipped snapshot, the map's points in the
    sample's order, and the loss and kNN markers at each frame's step, read from the run's own files."""
    from ui.umap_warmup import start_umap_warmup

    at = open_page(monkeypatch, tmp_path, run=None)
    start_umap_warmup().wait(300)
    at.run()
    (replay,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if "emb_replay" in c.proto.id]
    demo = Path(__file__).resolve().parent.parent / "assets" / "demo-run"
    steps = snapshot_files.steps(demo)
    assert [frame["name"] for frame in replay["frames"]] == [str(step) for step in steps]
    assert [s["label"] for s in replay["layout"]["sliders"][0]["steps"]] == [str(step) for step in steps]
    last = replay["frames"][-1]["data"]
    xy = np.load(demo / "snapshots" / f"map-{steps[-1]:06d}.npy")
    labels = np.asarray(snapshot_files.read_sample(demo)["labels"])
    zero = np.flatnonzero(labels == 0)
    np.testing.assert_allclose(np.c_[values(last[0]["x"]), values(last[0]["y"])], xy[zero], rtol=1e-5)
    knn_marker = last[-1]
    assert knn_marker["x"] == [steps[-1]] and knn_marker["y"] == [pytest.approx(folder.read_json(demo / folder.SUMMARY)["knn_after"])]
    titles = {annotation["text"] for annotation in replay["layout"]["annotations"]}
    assert {"map: 1,000 test images", "kNN accuracy of h (validation)"} <= titles  # each figure names its split


def test_highlighting_a_label_marks_its_points_on_both_maps(monkeypatch, root):
    at = open_page(monkeypatch, root)
    at.multiselect(key="emb_highlight").set_value(["3"]).run()
    assert not at.exception, at.exception
    for figure in maps(at):
        for trace in figure["data"]:
            marked = trace.get("selectedpoints")
            assert marked is not None
            assert len(marked) == (len(trace["customdata"]) if trace["name"] == "3" else 0), trace["name"]


def test_the_neighbour_example_starts_where_training_changed_the_neighbours(monkeypatch, root):
    """Not image #0: an image whose trained neighbours share its label more often than its random-init ones."""
    at = open_page(monkeypatch, root)
    assert at.number_input(key="emb_pick").value != 0
    shares = {m.value.split("**")[1]: int(m.value.split(": ")[1].split(" of ")[0])
              for m in at.markdown if "share its colour" in m.value}
    assert shares["Trained"] > shares["Random initialisation"], shares


def test_the_stored_report_is_read_on_the_next_open_and_recomputed_for_a_new_checkpoint(monkeypatch, tmp_path):
    import streamlit as st


    make_run(tmp_path, "kept", TrainConfig(dataset="mnist-5k", max_steps=5, batch_size=32, eval_images=300),
             ModelConfig(in_channels=1, image_size=28))
    kept_file = tmp_path / "kept" / "eval-best.json"
    first = open_page(monkeypatch, tmp_path, "kept").dataframe[0].value
    written = kept_file.stat().st_mtime_ns
    st.cache_data.clear()  # as after a server restart: only the file remains
    real_score = report.report_rows
    monkeypatch.setattr(report, "report_rows", lambda *args: pytest.fail("the kept_file report was recomputed"))
    second = open_page(monkeypatch, tmp_path, "kept").dataframe[0].value
    assert second.equals(first) and kept_file.stat().st_mtime_ns == written
    monkeypatch.setattr(report, "report_rows", real_score)
    save_checkpoint(tmp_path / "kept" / folder.BEST, build_model(ModelConfig(in_channels=1, image_size=28), seed=9),
                    {"step": 7})  # the run wrote a new best.pt
    third = open_page(monkeypatch, tmp_path, "kept").dataframe[0].value
    assert third["kNN k=20 (test, 300 queries, 300 memory images)"][3] != first[
        "kNN k=20 (test, 300 queries, 300 memory images)"][3]  # trained h
    assert kept_file.stat().st_mtime_ns != written
