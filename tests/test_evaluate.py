"""Evaluation checked against scikit-learn (kNN, logistic regression) and brute-force loops."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from torch import nn

from simclr.evaluate.embed import as_input, embed
from simclr.evaluate.knn import knn_accuracy, knn_predict, knn_predictions, nearest_neighbours
from simclr.evaluate.linear_probe import ProbeConfig, linear_probe
from simclr.evaluate.transfer import TRANSFER_METHODS, TransferConfig, few_label_transfer
from simclr.model.networks import ModelConfig, build_model


def blobs(n_train: int, n_test: int, dim: int, classes: int, spread: float, seed: int) -> tuple[torch.Tensor, ...]:
    """Gaussian clusters around random centres -> train_x, train_y, test_x, test_y (x float64, y int64)."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, dim, generator=g, dtype=torch.float64)
    labels = torch.randint(classes, (n_train + n_test,), generator=g)
    x = centres[labels] + spread * torch.randn(n_train + n_test, dim, generator=g, dtype=torch.float64)
    return x[:n_train], labels[:n_train], x[n_train:], labels[n_train:]


@pytest.mark.parametrize("k", [1, 5, 20])
def test_knn_uniform_vote_matches_sklearn(k):
    train_x, train_y, test_x, test_y = blobs(400, 150, 16, 5, 1.0, seed=0)
    sklearn = KNeighborsClassifier(n_neighbors=k, metric="cosine", weights="uniform").fit(train_x, train_y)
    ours = knn_predict(train_x, train_y, test_x, k=k, temperature=None, chunk_size=7)
    np.testing.assert_array_equal(ours.numpy(), sklearn.predict(test_x))
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=k, temperature=None) == pytest.approx(
        sklearn.score(test_x, test_y)
    )


@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_knn_weighted_vote_matches_sklearn(temperature):
    # weight exp(sim / T) = exp((1 - d) / T) is proportional to exp(-d / T), d the cosine distance
    train_x, train_y, test_x, test_y = blobs(400, 150, 16, 5, 1.5, seed=2)
    sklearn = KNeighborsClassifier(
        n_neighbors=20, metric="cosine", weights=lambda d: np.exp(-d / temperature)
    ).fit(train_x, train_y)
    ours = knn_predict(train_x, train_y, test_x, k=20, temperature=temperature, chunk_size=64)
    np.testing.assert_array_equal(ours.numpy(), sklearn.predict(test_x))
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=20, temperature=temperature) == pytest.approx(
        sklearn.score(test_x, test_y)
    )


def test_several_votes_from_one_pass_match_sklearn_each():
    """DINO's k = 20 (T 0.07), lightly's k = 200 (T 0.1) and a uniform vote, each against its own sklearn classifier."""
    train_x, train_y, test_x, _ = blobs(600, 150, 16, 5, 2.0, seed=3)
    votes = [(20, 0.07), (200, 0.1), (7, None)]
    ours = knn_predictions(train_x, train_y, test_x, votes, chunk_size=40)
    for (k, temperature), predicted in zip(votes, ours):
        weights = "uniform" if temperature is None else (lambda d, t=temperature: np.exp(-d / t))
        sklearn = KNeighborsClassifier(n_neighbors=k, metric="cosine", weights=weights).fit(train_x, train_y)
        np.testing.assert_array_equal(predicted.numpy(), sklearn.predict(test_x))
    assert not torch.equal(ours[0], ours[1])  # the two protocols do not agree everywhere on these blobs


def test_weighted_vote_differs_from_uniform_when_it_should():
    # 3 neighbours: two of class 0 far off, one of class 1 almost identical to the query
    train_x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    train_y = torch.tensor([1, 0, 0])
    query = torch.tensor([[1.0, 0.05]], dtype=torch.float64)
    assert knn_predict(train_x, train_y, query, k=3, temperature=None).item() == 0
    assert knn_predict(train_x, train_y, query, k=3, temperature=0.07).item() == 1


def test_nearest_neighbours_match_a_loop():
    x = torch.randn(60, 8, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    for i in (0, 17, 59):
        sims = [float(x[i] @ x[j] / (x[i].norm() * x[j].norm())) for j in range(len(x))]
        expected = [j for j in sorted(range(len(x)), key=lambda j: -sims[j]) if j != i][:5]
        assert nearest_neighbours(x, i, 5).tolist() == expected
    both = nearest_neighbours(x, torch.tensor([0, 17]), 5)
    assert both.shape == (2, 5) and both[1].tolist() == nearest_neighbours(x, 17, 5).tolist()


@pytest.mark.parametrize("spread, weight_decay", [(0.3, 1e-4), (2.5, 1e-2), (2.5, 1e-4)])
def test_linear_probe_agrees_with_sklearn_logistic_regression(spread, weight_decay):
    train_x, train_y, test_x, test_y = blobs(800, 400, 20, 4, spread, seed=5)
    cfg = ProbeConfig(weight_decay=weight_decay)
    ours = linear_probe(train_x.float(), train_y, test_x.float(), test_y, cfg)

    mean, std = train_x.mean(0), train_x.std(0)
    reference = LogisticRegression(C=1 / (cfg.weight_decay * len(train_x)), max_iter=2000)
    reference.fit((train_x - mean) / std, train_y)
    expected = reference.score((test_x - mean) / std, test_y)
    assert expected > 0.5  # chance is 0.25
    assert ours == pytest.approx(expected, abs=0.006)  # at most 2 of the 400 test points differ


def test_the_probe_stops_where_scikit_learn_does_on_a_wide_problem():
    """The defaults (scikit-learn's tol, its max_iter) on 2,000 rows of 96-d features in 10 classes, where the
    fit stops on the tolerance: the same accuracy as scikit-learn's own fit to convergence."""
    train_x, train_y, test_x, test_y = blobs(2000, 1000, 96, 10, 4.0, seed=6)
    ours = linear_probe(train_x.float(), train_y, test_x.float(), test_y)
    mean, std = train_x.mean(0), train_x.std(0)
    reference = LogisticRegression(C=1 / (ProbeConfig().weight_decay * len(train_x)), max_iter=5000, tol=1e-8)
    expected = reference.fit((train_x - mean) / std, train_y).score((test_x - mean) / std, test_y)
    assert 0.3 < expected < 0.95  # neither chance (0.1) nor trivially separable
    assert ours == pytest.approx(expected, abs=0.004)  # at most 4 of the 1,000 test points differ


class TinyEncoder(nn.Module):
    """The simclr.model interface in miniature: encode(x) -> h (B, 8), forward(x) -> z (B, 4), config.image_size."""

    def __init__(self, channels: int = 1, side: int = 8):
        super().__init__()
        self.config = ModelConfig(in_channels=channels, image_size=side)  # the side it reads: no resizing
        self.f = nn.Sequential(
            nn.Conv2d(channels, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        )
        self.fc = nn.Linear(32, 8)
        self.head = nn.Linear(8, 4)  # g
        self.modes_seen: list[bool] = []

    def encode(self, x):
        self.modes_seen.append(self.training)
        return self.fc(self.f(x))

    def forward(self, x):
        return self.head(self.encode(x))


@pytest.mark.parametrize("training", [True, False])
def test_embed_shapes_values_and_mode(training):
    torch.manual_seed(0)
    model = TinyEncoder(channels=3, side=6).train(training)
    images = torch.randint(0, 256, (10, 3, 6, 6), dtype=torch.uint8)
    h, z = embed(model, images, batch_size=4)
    assert h.shape == (10, 8) and z.shape == (10, 4)
    assert h.dtype == z.dtype == torch.float32 and h.device.type == "cpu"
    assert model.training is training
    assert not any(model.modes_seen)  # every batch ran in eval mode
    model.eval()
    with torch.no_grad():
        x = images.float() / 255
        torch.testing.assert_close(h, model.encode(x))
        torch.testing.assert_close(z, model.head(model.encode(x)))


def test_embed_runs_the_encoder_once_per_batch():
    model = build_model(ModelConfig(in_channels=1, image_size=28), seed=0)
    calls = []
    model.encoder.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    images = torch.randint(0, 256, (10, 1, 28, 28), dtype=torch.uint8)
    h, z = embed(model, images, batch_size=4)
    assert calls == [4, 4, 2]  # three batches, one pass of f each
    with torch.no_grad():
        torch.testing.assert_close(z, model.eval()(images.float() / 255))  # z = g(f(x)) all the same


def resized(images: torch.Tensor, side: int) -> torch.Tensor:
    """The oracle: uint8 images to float [0, 1], resized by torch's bilinear interpolation (no antialiasing)."""
    return F.interpolate(images.float() / 255, size=(side, side), mode="bilinear", align_corners=False)


def sides_seen(model: nn.Module) -> list[tuple[int, int]]:
    """A list that fills with the (H, W) of every batch the model's encoder f receives."""
    seen = []
    model.encoder.register_forward_hook(lambda module, inputs, output: seen.append(tuple(inputs[0].shape[-2:])))
    return seen


@pytest.mark.parametrize("encoder", ["small-cnn", "resnet18"])
def test_embed_reads_the_images_at_the_side_the_model_trained_on(encoder):
    """A network trained on 64 px views of 32 px images is judged at 64 px, as the views it learned from."""
    model = build_model(ModelConfig(encoder, in_channels=3, image_size=64), seed=0)
    images = torch.randint(0, 256, (6, 3, 32, 32), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    seen = sides_seen(model)
    h, z = embed(model, images, batch_size=4)
    assert seen == [(64, 64), (64, 64)]
    with torch.no_grad():
        x = resized(images, 64)
        torch.testing.assert_close(h, model.eval().encode(x), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(z, model(x), rtol=1e-4, atol=1e-4)
        assert not torch.allclose(h, model.encode(images.float() / 255), atol=1e-3)  # at the stored 32 px it differs


def test_as_input_resizes_as_the_views_are_made_and_leaves_the_trained_side_alone():
    images = torch.randint(0, 256, (3, 3, 20, 20), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    for side in (7, 48):  # down (without antialiasing, as the views) and up
        torch.testing.assert_close(as_input(images, side, "cpu"), resized(images, side), rtol=0, atol=1e-5)
    assert torch.equal(as_input(images, 20, "cpu"), images.float() / 255)


def quadrant_images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (n, 1, 8, 8) noise images whose class (0-3) is the one bright quadrant."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(4, (n,), generator=g)
    images = torch.randint(0, 100, (n, 1, 8, 8), generator=g)
    for c in range(4):
        rows, cols = divmod(c, 2)
        images[labels == c, :, 4 * rows : 4 * rows + 4, 4 * cols : 4 * cols + 4] += 150
    return images.to(torch.uint8), labels


def make_tiny(seed: int) -> TinyEncoder:
    torch.manual_seed(seed)
    return TinyEncoder()


def test_few_label_transfer_rows_and_learning():
    train_images, train_labels = quadrant_images(400, seed=0)
    test_images, test_labels = quadrant_images(200, seed=1)
    pretrained = make_tiny(123)
    before = {name: value.clone() for name, value in pretrained.state_dict().items()}
    data = (train_images, train_labels, test_images, test_labels)
    rows = few_label_transfer(make_tiny, pretrained, *data, (1, 5, 20), TransferConfig(steps=20), seed=7)
    assert [(r["labels_per_class"], r["method"]) for r in rows] == [
        (n, m) for n in (1, 5, 20) for m in TRANSFER_METHODS
    ]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in rows)
    best = {r["method"]: r["accuracy"] for r in rows if r["labels_per_class"] == 20}
    assert best["linear"] > 0.6 and best["fine-tune"] > 0.6  # chance is 0.25
    quick = TransferConfig(steps=5)
    assert few_label_transfer(make_tiny, pretrained, *data, (2,), quick, seed=7) == few_label_transfer(
        make_tiny, pretrained, *data, (2,), quick, seed=7
    )  # same seed, same numbers
    for name, value in pretrained.state_dict().items():
        torch.testing.assert_close(value, before[name])  # the pretrained model is only read


def test_few_label_transfer_trains_and_tests_every_method_at_the_pretrained_side():
    train_images, train_labels = quadrant_images(80, seed=0)  # 8 px
    test_images, test_labels = quadrant_images(40, seed=1)
    seen = []

    def make_model(seed: int) -> nn.Module:  # a network trained on 16 px views of the 8 px images
        model = build_model(ModelConfig(in_channels=1, image_size=16, width=4), seed=seed)
        seen.append(sides_seen(model))
        return model

    rows = few_label_transfer(make_model, make_model(3), train_images, train_labels, test_images, test_labels, (2,),
                              TransferConfig(steps=3, batch_size=8), seed=0)
    assert len(rows) == len(TRANSFER_METHODS)
    assert len(seen) == 4 and all(seen[1:])  # the pretrained model, its frozen and fine-tuned copies, scratch
    assert {side for model_sides in seen for side in model_sides} == {(16, 16)}
