"""Evaluation checked against scikit-learn (kNN, logistic regression) and brute-force loops."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from torch import nn

from simclr.evaluate import (
    TRANSFER_METHODS,
    ProbeConfig,
    TransferConfig,
    embed,
    few_label_transfer,
    knn_accuracy,
    knn_predict,
    linear_probe,
    nearest_neighbours,
)
from simclr.model import ModelConfig, build_model


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


class TinyEncoder(nn.Module):
    """The simclr.model interface in miniature: encode(x) -> h (B, 8), forward(x) -> z (B, 4)."""

    def __init__(self, channels: int = 1):
        super().__init__()
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
    model = TinyEncoder(channels=3).train(training)
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
