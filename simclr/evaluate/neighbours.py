"""How an image's nearest neighbours changed between two encoders (before and after training)."""

import torch
from torch import Tensor

from simclr.evaluate.knn import nearest_neighbours


def most_changed(before: Tensor, after: Tensor, groups: Tensor, k: int = 8) -> int:
    """The row whose k cosine-nearest neighbours changed most, for the better: the most neighbours sharing its
    group (label or cluster) gained from `before` to `after`, ties broken by the fewest neighbours kept.

    before, after (N, D): the same N images through two encoders; groups (N,) int. Returns a row index.
    """
    rows = torch.arange(len(before))
    old, new = nearest_neighbours(before, rows, k), nearest_neighbours(after, rows, k)  # (N, k) each
    gained = (groups[new] == groups[:, None]).sum(1) - (groups[old] == groups[:, None]).sum(1)  # (N,)
    kept = (old[:, :, None] == new[:, None, :]).any(2).sum(1)  # (N,) neighbours in both lists
    score = gained * (k + 1) - kept  # gain first; among equal gains, fewer kept
    return int(score.argmax())
