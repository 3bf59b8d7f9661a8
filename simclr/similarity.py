"""What the Similarity and loss page shows, computable from a script: one batch of 2N views through an encoder,
the cosine similarity of every pair, and every term of NT-Xent (paper Eq. 1) for every anchor.

    batch = similarity_view(dataset.images, model, PRESETS["paper-cifar"], n=8, temperature=0.5, seed=0)
    batch.loss, batch.sim, batch.breakdown.rank, batch.negative_terms
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from simclr.augment.views import AugmentConfig, two_views
from simclr.loss import AnchorBreakdown, anchor_breakdown, cosine_similarity_matrix, logits, loss_by_temperature, nt_xent
from simclr.model.networks import SimCLRModel

SPACES = ("h", "z")  # f's representation, or g's projection (what the loss sees in training)
CURVE_POINTS = 60  # temperatures on the loss-vs-tau curve, log-spaced


@dataclass
class SimilarityView:
    """N picked images, their 2N views (view a of every image, then view b) and what NT-Xent sees of them.

    Every (2N, ...) row is one view in that order; view k's positive is breakdown.positive_index[k] = (k + N) mod 2N.
    """

    picked: torch.Tensor  # (N,) int64: where the batch's images sit in the dataset
    views: torch.Tensor  # (2N, C, S, S) float in [0, 1]
    h: torch.Tensor  # (2N, feature_dim) f(views)
    z: torch.Tensor  # (2N, head_dim) g(h)
    space: str  # "h" or "z": the embedding everything below is computed on
    sim: torch.Tensor  # (2N, 2N) cosine similarity of every pair of views, self-similarity on the diagonal
    loss: float  # NT-Xent: the mean of the 2N anchors' terms
    breakdown: AnchorBreakdown  # per anchor: loss term, p and rank of the positive, softmax row, hardest negatives
    positive_term: torch.Tensor  # (2N,) float64 exp(sim(i, positive) / tau): Eq. 1's numerator
    negative_terms: torch.Tensor  # (2N,) float64 sum over the 2N - 2 negatives k of exp(sim(i, k) / tau)
    taus: torch.Tensor  # (T,) temperatures of the loss curve, log-spaced
    curve: torch.Tensor  # (T,) this batch's NT-Xent at each of them

    @property
    def chance(self) -> float:
        """ln(2N - 1): the loss when every candidate looks alike."""
        return math.log(len(self.views) - 1)

    @property
    def top1(self) -> float:
        """The fraction of the 2N anchors whose positive ranks first among their 2N - 1 candidates."""
        return float((self.breakdown.rank == 1).float().mean())


@torch.no_grad()
def eq1_terms(e1: torch.Tensor, e2: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 1's numerator exp(sim(i, j) / tau) and the sum of its 2N - 2 negatives' terms, for every anchor i.

    e1, e2: (N, D). Returns two (2N,) float64 tensors: exp(1 / 0.01) = e^100 overflows float32. The anchor's
    term is -log(positive / (positive + negatives)).
    """
    anchor_logits, positive = logits(e1, e2, temperature)  # (2N, 2N) with -inf on the diagonal, (2N,)
    terms = anchor_logits.double().exp()  # (2N, 2N), 0 on the diagonal
    rows = torch.arange(len(terms), device=terms.device)
    positive_term = terms[rows, positive]  # (2N,), a copy
    terms[rows, positive] = 0.0  # summed apart: positive + negatives - positive would cancel the negatives away
    return positive_term, terms.sum(dim=1)


@torch.no_grad()
def similarity_view(
    images: torch.Tensor, model: SimCLRModel, cfg: AugmentConfig, n: int, temperature: float, seed: int,
    space: str = "z", hardest: int = 3, curve_range: tuple[float, float] = (0.01, 2.0),
) -> SimilarityView:
    """Pick n of the (M, C, H, W) images and draw two views of each, both with one generator seeded by `seed`;
    encode them with `model` as it is (eval mode for display); compute Eq. 1 on h or z (`space`) at `temperature`.

    `hardest`: negatives listed per anchor. `curve_range`: the loss curve's lowest and highest temperature.
    The same arguments give the same result. Views are drawn on the CPU and encoded on the model's device.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    if not 1 <= n <= len(images):
        raise ValueError(f"n = {n} images in the batch: there are {len(images)} images, and at least one is needed")
    generator = torch.Generator().manual_seed(seed)
    picked = torch.randperm(len(images), generator=generator)[:n]  # (N,)
    x1, x2 = two_views(images[picked], cfg, generator)  # (N, C, S, S) each
    device = next(model.parameters()).device
    h1, h2 = model.encode(x1.to(device)), model.encode(x2.to(device))  # (N, feature_dim) each
    z1, z2 = model.head(h1), model.head(h2)  # (N, head_dim) each
    e1, e2 = (h1, h2) if space == "h" else (z1, z2)
    taus = torch.logspace(math.log10(curve_range[0]), math.log10(curve_range[1]), CURVE_POINTS)  # (T,)
    positive_term, negative_terms = eq1_terms(e1, e2, temperature)
    return SimilarityView(
        picked=picked,
        views=torch.cat([x1, x2]),
        h=torch.cat([h1, h2]),
        z=torch.cat([z1, z2]),
        space=space,
        sim=cosine_similarity_matrix(e1, e2),
        loss=float(nt_xent(e1, e2, temperature)),
        breakdown=anchor_breakdown(e1, e2, temperature, k=hardest),
        positive_term=positive_term,
        negative_terms=negative_terms,
        taus=taus,
        curve=loss_by_temperature(e1, e2, taus),
    )
