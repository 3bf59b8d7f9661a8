"""simclr.similarity: the Similarity page's batch, checked against torch's cosine similarity, the loop ports of
Algorithm 1 that test the loss (tests/test_loss.py), Eq. 1 summed term by term, and the model's own forward pass."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from simclr.augment.views import PRESETS
from simclr.model.networks import ModelConfig, build_model
from simclr.similarity import CURVE_POINTS, similarity_view
from test_loss import algorithm_1, per_anchor_reference

CIFAR = PRESETS["paper-cifar"]


def images(m: int = 12, side: int = 32) -> torch.Tensor:
    """Smooth random uint8 colour images, each one different."""
    coarse = torch.rand(m, 3, side // 4, side // 4, generator=torch.Generator().manual_seed(0))
    smooth = F.interpolate(coarse, size=(side, side), mode="bicubic").clamp(0, 1)
    return (smooth * 255).round().to(torch.uint8)


@pytest.fixture(scope="module")
def model():
    return build_model(ModelConfig(in_channels=3, image_size=32), seed=0).eval()


def embedded(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(e1, e2): the batch's h or z, whichever its matrix and loss were computed on, view a then view b."""
    return (batch.h if batch.space == "h" else batch.z).chunk(2)


@pytest.mark.parametrize("space", ["h", "z"])
@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_matrix_loss_and_breakdown_match_independent_references(model, space, temperature):
    batch = similarity_view(images(), model, CIFAR, 6, temperature, seed=3, space=space)
    e1, e2 = embedded(batch)
    e = torch.cat([e1, e2]).double()  # (2N, D)
    sim = F.cosine_similarity(e[:, None], e[None], dim=2)  # (2N, 2N)
    assert torch.allclose(batch.sim.double(), sim, atol=1e-5)
    assert batch.loss == pytest.approx(algorithm_1(e1.numpy(), e2.numpy(), temperature), abs=1e-5)
    loss, p_positive, _, probs, _ = per_anchor_reference(e1.numpy(), e2.numpy(), temperature)
    np.testing.assert_allclose(batch.breakdown.loss.numpy(), loss, atol=1e-5)
    np.testing.assert_allclose(batch.breakdown.p_positive.numpy(), p_positive, atol=1e-5)
    np.testing.assert_allclose(batch.breakdown.probs.numpy(), probs, atol=1e-5)
    assert batch.breakdown.positive_index.tolist() == [(k + 6) % 12 for k in range(12)]


@pytest.mark.parametrize("space", ["h", "z"])
def test_eq1_terms_of_every_anchor_are_its_numerator_and_negatives(model, space):
    temperature = 0.2
    batch = similarity_view(images(), model, CIFAR, 5, temperature, seed=4, space=space)
    e = torch.cat(embedded(batch)).double()
    sim = F.cosine_similarity(e[:, None], e[None], dim=2).tolist()
    n2 = len(sim)
    for i in range(n2):
        j = (i + n2 // 2) % n2
        numerator = math.exp(sim[i][j] / temperature)
        negatives = sum(math.exp(sim[i][k] / temperature) for k in range(n2) if k not in (i, j))
        assert float(batch.positive_term[i]) == pytest.approx(numerator, rel=1e-5)
        assert float(batch.negative_terms[i]) == pytest.approx(negatives, rel=1e-5)
        assert -math.log(numerator / (numerator + negatives)) == pytest.approx(float(batch.breakdown.loss[i]), abs=1e-4)


def test_eq1_terms_stay_finite_where_float32_would_overflow(model):
    """exp(cos / tau) passes float32's 3.4e38 once cos / tau > 88.7: at the slider's 0.01, for cosines near 1."""
    batch = similarity_view(images(), model, CIFAR, 4, 0.002, seed=0, space="h")
    assert batch.positive_term.dtype == batch.negative_terms.dtype == torch.float64
    assert (batch.positive_term > torch.finfo(torch.float32).max).any()
    assert torch.isfinite(batch.positive_term).all() and torch.isfinite(batch.negative_terms).all()
    from_terms = -(batch.positive_term / (batch.positive_term + batch.negative_terms)).log()
    assert torch.allclose(from_terms, batch.breakdown.loss.double(), rtol=1e-4, atol=1e-4)


def test_the_curve_is_the_loss_at_each_of_its_log_spaced_temperatures(model):
    batch = similarity_view(images(), model, CIFAR, 5, 0.5, seed=1, curve_range=(0.05, 1.0))
    e1, e2 = embedded(batch)
    assert batch.taus.shape == batch.curve.shape == (CURVE_POINTS,)
    assert float(batch.taus[0]) == pytest.approx(0.05) and float(batch.taus[-1]) == pytest.approx(1.0)
    ratios = batch.taus[1:] / batch.taus[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios))
    for tau, value in zip(batch.taus[::10].tolist(), batch.curve[::10].tolist()):
        assert value == pytest.approx(algorithm_1(e1.numpy(), e2.numpy(), tau), abs=1e-4)


def test_shapes_and_the_embeddings_are_the_models_on_the_views(model):
    n = 4
    batch = similarity_view(images(), model, CIFAR, n, 0.5, seed=2, hardest=5)
    assert batch.picked.shape == (n,) and len(set(batch.picked.tolist())) == n
    assert batch.views.shape == (2 * n, 3, 32, 32)
    assert batch.h.shape == (2 * n, model.feature_dim) and batch.z.shape == (2 * n, model.config.head_dim)
    assert batch.sim.shape == batch.breakdown.probs.shape == (2 * n, 2 * n)
    assert batch.breakdown.hardest.shape == (2 * n, 5)
    with torch.no_grad():
        assert torch.allclose(batch.h, model.encode(batch.views), atol=1e-5)
        assert torch.allclose(batch.z, model.head(batch.h), atol=1e-5)
    assert batch.chance == pytest.approx(math.log(2 * n - 1))
    assert batch.top1 == pytest.approx(float((batch.breakdown.rank == 1).float().mean()))


def test_views_without_augmentation_are_the_picked_images_and_each_others_positive(model):
    stored = images()
    batch = similarity_view(stored, model, PRESETS["none"], 4, 0.5, seed=5)
    shown = stored[batch.picked].float() / 255  # (N, 3, 32, 32)
    assert torch.allclose(batch.views, torch.cat([shown, shown]), atol=1e-5)
    positives = batch.sim[torch.arange(8), batch.breakdown.positive_index]
    assert torch.allclose(positives, torch.ones(8), atol=1e-5)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another(model):
    args = (images(), model, CIFAR, 4, 0.5)
    first, again, other = similarity_view(*args, seed=7), similarity_view(*args, seed=7), similarity_view(*args, seed=8)
    assert torch.equal(first.picked, again.picked) and torch.equal(first.views, again.views)
    assert torch.equal(first.sim, again.sim) and first.loss == again.loss
    assert not torch.equal(first.views, other.views)


def test_a_batch_larger_than_the_images_or_an_unknown_space_is_refused(model):
    with pytest.raises(ValueError, match="12 images"):
        similarity_view(images(), model, CIFAR, 13, 0.5, seed=0)
    with pytest.raises(ValueError, match="space"):
        similarity_view(images(), model, CIFAR, 4, 0.5, seed=0, space="x")
