"""The live map's snapshots: what a run writes (checked against the evaluation code's own embedding of its
checkpoints), thinning, resume, and maps that hold still on an identical snapshot."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from simclr.data import load_dataset
from simclr.evaluate.embed import embed
from simclr.maps import live
from simclr.model.checkpoint import load_checkpoint
from simclr.model.networks import ModelConfig, build_model
from simclr.runs import folder, snapshot_files
from simclr.runs.config import TrainConfig
from simclr.train import snapshots
from simclr.train.loop import train

TINY = dict(subset=64, batch_size=32, eval_images=200, eval_every=1000, log_every=1, threads=1)


def test_a_run_snapshots_its_random_init_and_its_end_as_the_evaluation_embeds_them(tmp_path):
    run_dir = tmp_path / "run"
    list(train(TrainConfig(**TINY, max_steps=4), run_dir))
    assert snapshot_files.steps(run_dir)[0] == 0 and snapshot_files.steps(run_dir)[-1] == 4
    sample = snapshot_files.read_sample(run_dir)
    test = load_dataset("mnist-5k", split="test", subset=1000, seed=0)
    assert sample["split"] == "test" and sample["labels"] == test.labels.tolist()
    trained, _ = load_checkpoint(run_dir / folder.LAST)
    random = build_model(trained.config, seed=0)
    for step, model in ((0, random), (4, trained)):
        h = snapshot_files.read(run_dir, step)
        reference, _ = embed(model, test.images)  # simclr.evaluate's h, in eval mode
        assert h.shape == (1000, trained.feature_dim) and np.load(run_dir / "snapshots" / f"h-{step:06d}.npy").dtype == np.float16
        np.testing.assert_allclose(h, reference.numpy(), rtol=2e-3, atol=2e-3)  # float16 rounding


def test_the_live_map_embeds_the_sample_at_the_side_the_network_trains_on(tmp_path):
    """40 px views of 28 px digits: each snapshot holds h of the sample resized to 40 px, as evaluation sees it."""
    run_dir = tmp_path / "run"
    list(train(TrainConfig(**TINY, max_steps=2, augment={"size": 40}), run_dir))
    trained, _ = load_checkpoint(run_dir / folder.LAST)
    assert trained.config.image_size == 40
    test = load_dataset("mnist-5k", split="test", subset=1000, seed=0)
    x = F.interpolate(test.images.float() / 255, size=(40, 40), mode="bilinear", align_corners=False)
    with torch.no_grad():
        reference = trained.eval().encode(x)
    np.testing.assert_allclose(snapshot_files.read(run_dir, 2), reference.numpy(), rtol=2e-3, atol=2e-3)


def test_a_folder_without_a_test_split_samples_its_training_images(tmp_path):
    list(train(TrainConfig(**TINY | {"dataset": "photos", "size": 32, "batch_size": 8, "subset": None}, max_steps=2),
               tmp_path / "p"))
    sample = snapshot_files.read_sample(tmp_path / "p")
    assert sample["split"] == "train" and snapshot_files.steps(tmp_path / "p") == [0, 2]


def test_many_snapshots_are_thinned_and_a_resume_drops_the_lost_stretch(tmp_path):
    sample = load_dataset("mnist-5k", split="test", subset=20, seed=0)
    model = build_model(ModelConfig("small-cnn", 1, 28, 64, 16), seed=0)
    (tmp_path / "snapshots").mkdir()
    config = snapshots.SnapshotConfig(images=20, every_seconds=1e9, every_steps=1, max_snapshots=4)
    snaps = snapshots.Snapshots(tmp_path, sample, torch.device("cpu"), config)
    snaps.take(model, 0)
    for step in range(1, 12):
        snaps.after_step(model, step, 0.0)
    kept = snapshot_files.steps(tmp_path)
    assert kept[0] == 0 and len(kept) <= 4 + 1 and snaps.every_steps > 1
    gaps = np.diff(kept)
    assert gaps.max() <= 4 * gaps.min(), kept  # thinned evenly, not just the newest dropped
    snapshots.Snapshots.start(tmp_path, "mnist-5k", None, 0, model, torch.device("cpu"), resume_step=kept[1],
                              config=config)
    assert snapshot_files.steps(tmp_path) == kept[:2]


@pytest.mark.filterwarnings("ignore")
def test_maps_are_kept_and_an_identical_snapshot_barely_moves(tmp_path):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 32)) * 3
    h = (centres[rng.integers(0, 5, 300)] + rng.normal(size=(300, 32))).astype(np.float16)
    for step in (0, 10):
        np.save(folder / f"h-{step:06d}.npy", h)
    maps = live.maps(tmp_path)
    assert list(maps) == [0, 10] and maps[0].shape == (300, 2)
    width = np.ptp(maps[0], axis=0).max()
    # warm start + align: points stay within a small share of the map (measured 5-11% of the width over runs and
    # loads: 50 warm epochs still let UMAP's sampling nudge them); a map not started from the previous one and not
    # turned onto it lands rotated or mirrored, moving points by a large share of the width
    assert np.linalg.norm(maps[10] - maps[0], axis=1).mean() < 0.15 * width, "warm start + align: points stay"
    assert (folder / "map-000010.npy").is_file()
    (folder / "h-000010.npy").unlink()  # a kept map stands for its snapshot (the shipped demo run keeps only maps)
    again = live.maps(tmp_path)
    assert list(again) == [0, 10] and np.array_equal(again[10], maps[10])
