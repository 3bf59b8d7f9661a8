"""most_changed against a plain-Python port with brute-force neighbours."""

import numpy as np
import torch

from simclr.evaluate.neighbours import most_changed


def reference(before, after, groups, k):
    def knn(x, i):
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        sims = [(float(x[i] @ x[j]), j) for j in range(len(x)) if j != i]
        return [j for _, j in sorted(sims, reverse=True)[:k]]

    best, best_score = None, None
    for i in range(len(before)):
        old, new = knn(before, i), knn(after, i)
        gained = sum(groups[j] == groups[i] for j in new) - sum(groups[j] == groups[i] for j in old)
        kept = len(set(old) & set(new))
        score = (gained, -kept)
        if best_score is None or score > best_score:
            best, best_score = i, score
    return best


def test_matches_a_brute_force_port():
    generator = np.random.default_rng(0)
    for trial in range(5):
        before, after = generator.normal(size=(40, 6)), generator.normal(size=(40, 6))
        groups = generator.integers(0, 3, 40)
        found = most_changed(torch.tensor(before), torch.tensor(after), torch.tensor(groups), k=5)
        assert found == reference(before, after, groups, 5), trial


def test_an_image_pulled_into_its_class_is_found():
    """Two tight classes after training; before, image 3 sat among class 1 although it belongs to class 0."""
    groups = torch.tensor([0] * 6 + [1] * 6)
    after = torch.cat([torch.tensor([[1.0, 0.0]]).repeat(6, 1), torch.tensor([[0.0, 1.0]]).repeat(6, 1)])
    after = after + 0.01 * torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    before = after.clone()
    before[3] = torch.tensor([0.05, 1.0])  # among class 1
    assert most_changed(before, after, groups, k=4) == 3
