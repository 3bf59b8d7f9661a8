"""NT-Xent, the contrastive loss of SimCLR (Chen et al. 2020, arXiv 2002.05709, Eq. 1 and Algorithm 1).

z1[i] and z2[i] are the projections of two augmented views of image i. The 2N views are stacked as
z = [z1; z2], so view k's positive is view (k + N) mod 2N and its 2N - 2 other partners are negatives.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _check(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> None:
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(
            f"z1 and z2 must both be (N, D) with the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.shape[0] == 0:
        raise ValueError("z1 and z2 are empty: NT-Xent needs at least one image (N >= 1)")
    if not temperature > 0:
        raise ValueError(
            f"temperature must be > 0, got {temperature}; the paper uses 0.1 to 1.0 (0.5 on CIFAR-10)"
        )


def cosine_similarity_matrix(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Cosine similarity sim(u, v) = u.v / (|u| |v|) of every pair of the 2N views (paper Sec. 2.1).

    z1, z2: (N, D), any norm. Returns (2N, 2N), float64 for float64 input and float32 otherwise;
    rows and columns are z1 then z2. Never 16-bit, even under autocast: a 16-bit dot product
    divided by a small temperature loses the differences the loss is made of.
    """
    z = torch.cat([z1, z2])  # (2N, D)
    with torch.autocast(device_type=z.device.type, enabled=False):
        z = F.normalize(z.to(torch.promote_types(z.dtype, torch.float32)), dim=1)  # (2N, D), unit rows
        return z @ z.T  # (2N, 2N)


def logits(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits sim(z_i, z_k) / tau of Eq. 1 for every anchor i, and the index of its positive.

    z1, z2: (N, D). Returns logits (2N, 2N), dtype as cosine_similarity_matrix, with -inf on the
    diagonal (Eq. 1's indicator 1[k != i] drops the anchor from its own denominator), and
    positive (2N,) int64, positive[i] = (i + N) mod 2N.
    """
    _check(z1, z2, temperature)
    n = z1.shape[0]
    sim = cosine_similarity_matrix(z1, z2)  # (2N, 2N)
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=sim.device)
    masked = (sim / temperature).masked_fill(self_mask, float("-inf"))  # (2N, 2N)
    positive = torch.arange(2 * n, device=sim.device).roll(n)  # (2N,)
    return masked, positive


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """The SimCLR loss L: the mean over all 2N anchors of Eq. 1.

    l(i, j) = -log( exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau) ),
    L = 1/(2N) sum_k [l(2k-1, 2k) + l(2k, 2k-1)]   (Algorithm 1).
    z1, z2: (N, D) on any device, any norm. Returns a scalar (float32, or float64 for float64
    input); 0 when N = 1, where each anchor's only candidate is its positive.
    The reference code (google-research/simclr tf2/objective.py add_contrastive_loss) returns
    loss_a + loss_b, each a mean over the N anchors of one view: 2 L. Only the gradient's scale differs:
    Adam (up to its eps) and LARS's trust ratio on weight matrices undo it; SGD's steps, LARS's plain
    momentum steps on biases and BatchNorm, and weight decay's weight against the loss do not (simclr.train.recipes).
    """
    anchor_logits, positive = logits(z1, z2, temperature)  # (2N, 2N), (2N,)
    return F.cross_entropy(anchor_logits, positive)


@dataclass
class AnchorBreakdown:
    """What the loss sees for each of the 2N anchors (rows ordered z1 then z2)."""

    loss: torch.Tensor  # (2N,) l(k, positive[k]) of Eq. 1; its mean is nt_xent
    p_positive: torch.Tensor  # (2N,) softmax probability of the positive among the 2N - 1 candidates
    rank: torch.Tensor  # (2N,) int64, 1 + number of negatives strictly more similar than the positive
    probs: torch.Tensor  # (2N, 2N) softmax over candidates per row; diagonal exactly 0
    hardest: torch.Tensor  # (2N, k') int64 indices of the most similar negatives, k' = min(k, 2N - 2)
    positive_index: torch.Tensor  # (2N,) int64, (k + N) mod 2N


@torch.no_grad()
def anchor_breakdown(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5, k: int = 3
) -> AnchorBreakdown:
    """Per-anchor terms of Eq. 1 for display: loss, probability and rank of the positive, hardest negatives.

    z1, z2: (N, D). All outputs have 2N rows and live on the input's device; no gradient is kept.
    """
    if k < 0:
        raise ValueError(f"k (number of hardest negatives) must be >= 0, got {k}")
    anchor_logits, positive = logits(z1, z2, temperature)  # (2N, 2N), (2N,)
    rows = torch.arange(anchor_logits.shape[0], device=anchor_logits.device)
    log_probs = anchor_logits.log_softmax(dim=1)  # (2N, 2N)
    loss = -log_probs[rows, positive]  # (2N,)
    positive_logit = anchor_logits[rows, positive]  # (2N,)
    rank = 1 + (anchor_logits > positive_logit[:, None]).sum(dim=1)  # (2N,); the positive never beats itself
    negative_logits = anchor_logits.clone()
    negative_logits[rows, positive] = float("-inf")  # (2N, 2N), only the 2N - 2 negatives are finite
    k_eff = min(k, anchor_logits.shape[0] - 2)
    hardest = negative_logits.topk(k_eff, dim=1).indices  # (2N, k')
    return AnchorBreakdown(
        loss=loss,
        p_positive=loss.neg().exp(),
        rank=rank,
        probs=log_probs.exp(),
        hardest=hardest,
        positive_index=positive,
    )


def loss_by_temperature(z1: torch.Tensor, z2: torch.Tensor, temperatures: torch.Tensor) -> torch.Tensor:
    """NT-Xent of one batch at each temperature, to plot how tau shapes the loss. (T,) -> (T,).

    z1, z2: (N, D). The cosine similarities are computed once; only the division by tau changes.
    """
    sim = cosine_similarity_matrix(z1, z2)  # (2N, 2N)
    n2 = sim.shape[0]
    positive = torch.arange(n2, device=sim.device).roll(n2 // 2)  # (2N,): view i of one image pairs with i +- N
    self_mask = torch.eye(n2, dtype=torch.bool, device=sim.device)
    scaled = sim[None] / temperatures.to(sim)[:, None, None]  # (T, 2N, 2N)
    scaled = scaled.masked_fill(self_mask, float("-inf"))  # an anchor is never its own candidate
    log_probs = scaled.log_softmax(dim=2)  # (T, 2N, 2N)
    return -log_probs[:, torch.arange(n2), positive].mean(dim=1)  # (T,)
