"""NT-Xent against a loop port of the paper's Algorithm 1 (float64 numpy) and exact cases."""
import math

import numpy as np
import pytest
import torch

from simclr.loss import anchor_breakdown, cosine_similarity_matrix, loss_by_temperature, nt_xent


def algorithm_1(z1, z2, temperature):
    """Algorithm 1 of Chen et al. 2020, loop for loop, in float64.

    Views are interleaved as in the paper: z[2k] = z1[k], z[2k + 1] = z2[k] (0-based), so the pair of
    image k is (2k, 2k + 1). Returns the mean loss L.
    """
    z1 = np.asarray(z1, dtype=np.float64)
    z2 = np.asarray(z2, dtype=np.float64)
    n = len(z1)
    z = [None] * (2 * n)
    for k in range(n):
        z[2 * k], z[2 * k + 1] = z1[k], z2[k]
    s = np.zeros((2 * n, 2 * n))
    for i in range(2 * n):
        for j in range(2 * n):
            s[i, j] = z[i] @ z[j] / (np.linalg.norm(z[i]) * np.linalg.norm(z[j]))

    def l(i, j):
        denominator = sum(math.exp(s[i, k] / temperature) for k in range(2 * n) if k != i)
        return -math.log(math.exp(s[i, j] / temperature) / denominator)

    return sum(l(2 * k, 2 * k + 1) + l(2 * k + 1, 2 * k) for k in range(n)) / (2 * n)


def per_anchor_reference(z1, z2, temperature):
    """Per-anchor terms by (view, image) loops, float64; anchors ordered all z1 then all z2."""
    views = [np.asarray(z1, dtype=np.float64), np.asarray(z2, dtype=np.float64)]
    n = len(views[0])
    anchors = [(v, i) for v in range(2) for i in range(n)]

    def sim(a, b):
        u, w = views[a[0]][a[1]], views[b[0]][b[1]]
        return u @ w / (np.linalg.norm(u) * np.linalg.norm(w))

    loss, p_positive, rank, probs, by_similarity = [], [], [], np.zeros((2 * n, 2 * n)), []
    for row, anchor in enumerate(anchors):
        positive = (1 - anchor[0], anchor[1])
        candidates = [c for c in anchors if c != anchor]
        weights = {c: math.exp(sim(anchor, c) / temperature) for c in candidates}
        total = sum(weights.values())
        for c, w in weights.items():
            probs[row, anchors.index(c)] = w / total
        p_positive.append(weights[positive] / total)
        loss.append(-math.log(weights[positive] / total))
        rank.append(1 + sum(sim(anchor, c) > sim(anchor, positive) for c in candidates))
        negatives = [c for c in candidates if c != positive]
        by_similarity.append([anchors.index(c) for c in sorted(negatives, key=lambda c: -sim(anchor, c))])
    return np.array(loss), np.array(p_positive), np.array(rank), probs, by_similarity


def randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("n", [1, 2, 8, 33])
@pytest.mark.parametrize("dim", [2, 16, 128])
@pytest.mark.parametrize("temperature", [0.05, 0.1, 0.5, 1.0])
def test_matches_algorithm_1(n, dim, temperature):
    z1, z2 = randn(n, dim, seed=1), randn(n, dim, seed=2)
    expected = algorithm_1(z1.numpy(), z2.numpy(), temperature)
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_cosine_similarity_matrix_is_z1_then_z2():
    z1, z2 = randn(3, 5, seed=3), randn(3, 5, seed=4)
    z = np.concatenate([z1.numpy(), z2.numpy()]).astype(np.float64)
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    np.testing.assert_allclose(cosine_similarity_matrix(z1, z2).numpy(), unit @ unit.T, atol=1e-6)


def test_symmetric_in_the_two_views():
    z1, z2 = randn(8, 16, seed=5), randn(8, 16, seed=6)
    assert nt_xent(z1, z2, 0.2).item() == pytest.approx(nt_xent(z2, z1, 0.2).item(), rel=1e-6)


def test_invariant_to_positive_rescaling_of_each_row():
    z1, z2 = randn(8, 16, seed=7), randn(8, 16, seed=8)
    scale1 = torch.logspace(-2, 2, 8)[:, None]
    scale2 = torch.logspace(2, -2, 8)[:, None]
    assert nt_xent(z1 * scale1, z2 * scale2, 0.1).item() == pytest.approx(nt_xent(z1, z2, 0.1).item(), rel=1e-5)


@pytest.mark.parametrize("n", [2, 8, 33])
@pytest.mark.parametrize("temperature", [0.05, 0.5])
def test_identical_embeddings_give_log_of_candidates(n, temperature):
    z = torch.ones(n, 4)
    assert nt_xent(z, z.clone(), temperature).item() == pytest.approx(math.log(2 * n - 1), rel=1e-6)


@pytest.mark.parametrize("n", [2, 5, 16])
@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0])
def test_identical_positives_orthogonal_negatives_closed_form(n, temperature):
    scales = torch.linspace(0.5, 3.0, n)[:, None]
    z1 = torch.eye(n, 2 * n) * scales  # image i is the basis vector e_i
    z2 = torch.eye(n, 2 * n) * scales.flip(0)
    expected = -math.log(math.exp(1 / temperature) / (math.exp(1 / temperature) + 2 * n - 2))
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_single_image_has_zero_loss():
    assert nt_xent(randn(1, 8, seed=9), randn(1, 8, seed=10), 0.1).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize(
    "z1, z2, temperature",
    [
        (randn(8, 16, seed=11), randn(8, 16, seed=12), 0.5),
        (torch.ones(8, 16), torch.ones(8, 16), 0.5),
        (randn(8, 16, seed=13), randn(8, 16, seed=14), 1e-3),
        (torch.ones(8, 16), torch.ones(8, 16), 1e-3),
        (torch.zeros(4, 16), randn(4, 16, seed=15), 0.1),
    ],
    ids=["random", "identical", "random-tiny-t", "identical-tiny-t", "zero-rows"],
)
def test_gradients_are_finite(z1, z2, temperature):
    z1, z2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    loss = nt_xent(z1, z2, temperature)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()


def test_gradient_matches_finite_differences():
    z1 = randn(3, 5, seed=16, dtype=torch.float64).requires_grad_()
    z2 = randn(3, 5, seed=17, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: nt_xent(a, b, 0.3), (z1, z2))


def test_autocast_keeps_logits_in_float32():
    # similarities near 1, where bfloat16 (8 bits of mantissa) is coarse and 1 / temperature magnifies it
    z1 = (randn(1, 64, seed=17) + 0.3 * randn(32, 64, seed=18)).bfloat16()
    z2 = (z1.float() + 0.1 * randn(32, 64, seed=19)).bfloat16()
    expected = algorithm_1(z1.float().numpy(), z2.float().numpy(), 0.05)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = nt_xent(z1, z2, 0.05)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("temperature", [0.0, -0.5, float("nan")])
def test_non_positive_temperature_is_rejected(temperature):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        nt_xent(randn(4, 8), randn(4, 8), temperature)


def test_an_empty_batch_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        nt_xent(torch.zeros(0, 8), torch.zeros(0, 8))


def test_the_default_temperature_is_one_half():
    """tau = 0.5 when a caller gives none (lightly's NTXentLoss default too); every caller in the app passes its own."""
    z1, z2 = randn(4, 8, seed=1), randn(4, 8, seed=2)
    assert nt_xent(z1, z2).item() == pytest.approx(algorithm_1(z1.numpy(), z2.numpy(), 0.5), rel=1e-5)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="same shape"):
        nt_xent(randn(4, 8), randn(5, 8))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_result_lives_on_the_input_device():
    z1, z2 = randn(8, 16, seed=20), randn(8, 16, seed=21)
    loss = nt_xent(z1.cuda(), z2.cuda(), 0.1)
    assert loss.device.type == "cuda"
    assert loss.item() == pytest.approx(algorithm_1(z1.numpy(), z2.numpy(), 0.1), rel=1e-5)


# anchor_breakdown


@pytest.mark.parametrize("n, temperature", [(1, 0.5), (2, 0.1), (7, 0.5), (16, 1.0)])
def test_breakdown_matches_reference(n, temperature):
    z1, z2 = randn(n, 6, seed=24), randn(n, 6, seed=25)
    loss, p_positive, rank, probs, by_similarity = per_anchor_reference(z1.numpy(), z2.numpy(), temperature)
    b = anchor_breakdown(z1, z2, temperature, k=3)
    np.testing.assert_allclose(b.loss.numpy(), loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.p_positive.numpy(), p_positive, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(b.rank.numpy(), rank)
    np.testing.assert_allclose(b.probs.numpy(), probs, atol=1e-6)
    np.testing.assert_array_equal(b.hardest.numpy(), [row[: min(3, 2 * n - 2)] for row in by_similarity])
    np.testing.assert_array_equal(b.positive_index.numpy(), [*range(n, 2 * n), *range(n)])
    assert b.loss.mean().item() == pytest.approx(algorithm_1(z1.numpy(), z2.numpy(), temperature), abs=1e-5)


def test_breakdown_probs_are_rows_of_a_softmax_without_self():
    b = anchor_breakdown(randn(9, 4, seed=26), randn(9, 4, seed=27), 0.1)
    np.testing.assert_allclose(b.probs.sum(dim=1).numpy(), np.ones(18), atol=1e-6)
    assert (b.probs.diagonal() == 0).all()


def test_breakdown_shapes_and_hardest_count():
    assert anchor_breakdown(randn(1, 4), randn(1, 4), k=3).hardest.shape == (2, 0)
    assert anchor_breakdown(randn(2, 4), randn(2, 4), k=3).hardest.shape == (4, 2)
    b = anchor_breakdown(randn(10, 4), randn(10, 4), k=5)
    assert b.loss.shape == b.p_positive.shape == b.rank.shape == (20,)
    assert b.probs.shape == (20, 20) and b.hardest.shape == (20, 5)


def test_hardest_excludes_self_and_positive_even_when_the_positive_is_least_similar():
    n = 6
    z1 = randn(n, 8, seed=28)
    b = anchor_breakdown(z1, -z1, 0.5, k=100)  # every positive is the exact opposite of its anchor
    np.testing.assert_array_equal(b.rank.numpy(), np.full(2 * n, 2 * n - 1))
    for row in range(2 * n):
        others = set(range(2 * n)) - {row, (row + n) % (2 * n)}
        assert sorted(b.hardest[row].tolist()) == sorted(others)


def test_breakdown_of_identical_embeddings():
    b = anchor_breakdown(torch.ones(4, 3), torch.ones(4, 3), 0.5)
    np.testing.assert_allclose(b.p_positive.numpy(), np.full(8, 1 / 7), rtol=1e-6)
    assert (b.rank == 1).all()  # ties count for the positive


@pytest.mark.parametrize("n", [1, 3, 8])
def test_loss_by_temperature_matches_algorithm_1_at_each_temperature(n):
    z1, z2 = randn(n, 5, seed=n), randn(n, 5, seed=n + 100)
    temperatures = torch.tensor([0.05, 0.1, 0.5, 1.0, 2.0])
    expected = [algorithm_1(z1, z2, float(t)) for t in temperatures]
    assert loss_by_temperature(z1, z2, temperatures).tolist() == pytest.approx(expected, rel=1e-4, abs=1e-5)
