"""kNN classification on frozen features (cosine similarity, weighted votes), as DINO's eval_knn.py.

Pure tensor functions: the device comes in with the tensors, nothing is printed.
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

KNN_TEMPERATURE = 0.07  # DINO's eval_knn.py (after Wu et al., 2018); lightly's benchmarks use 0.1 with k = 200
Vote = tuple[int, float | None]  # how a kNN classifier votes: (k, temperature), see knn_predict


def knn_predict(
    train_features: Tensor,
    train_labels: Tensor,
    test_features: Tensor,
    k: int = 20,
    temperature: float | None = KNN_TEMPERATURE,
    num_classes: int | None = None,
    chunk_size: int = 1024,
) -> Tensor:
    """Class of each test row by a vote of its k most cosine-similar training rows -> int64 (M,).

    train_features (N, D), test_features (M, D). Each neighbour votes with weight exp(sim / temperature),
    as in DINO's eval_knn.py (Wu et al., 2018); temperature=None gives every neighbour one vote.
    Ties go to the smaller class id. Test rows are processed chunk_size at a time so memory stays
    O(chunk_size * N).
    """
    return knn_predictions(train_features, train_labels, test_features, [(k, temperature)], num_classes, chunk_size)[0]


def knn_predictions(
    train_features: Tensor,
    train_labels: Tensor,
    test_features: Tensor,
    votes: Sequence[Vote],
    num_classes: int | None = None,
    chunk_size: int = 1024,
) -> list[Tensor]:
    """knn_predict for each (k, temperature) of `votes` -> one int64 (M,) per vote, from one similarity pass.

    The similarities cost N * M * D multiply-adds (50,000 x 10,000 x 3,072 for CIFAR-10's pixels: most of a
    report's time); the votes only re-read the top max(k) of each row.
    """
    train = F.normalize(train_features, dim=1)
    test = F.normalize(test_features.to(train.device, train.dtype), dim=1)
    train_labels = train_labels.to(train.device)
    num_classes = num_classes or int(train_labels.max()) + 1
    ks = [min(k, len(train)) for k, _ in votes]
    predictions: list[list[Tensor]] = [[] for _ in votes]
    for start in range(0, len(test), chunk_size):
        sim = test[start : start + chunk_size] @ train.T  # (B, N) cosine similarities
        top_sim, top_idx = sim.topk(max(ks), dim=1)  # (B, max k), most similar first
        for found, k, (_, temperature) in zip(predictions, ks, votes):
            near_sim, near_idx = top_sim[:, :k], top_idx[:, :k]  # (B, k)
            weights = torch.ones_like(near_sim) if temperature is None else (near_sim / temperature).exp()
            tally = torch.zeros(len(sim), num_classes, dtype=sim.dtype, device=sim.device)
            tally.scatter_add_(1, train_labels[near_idx], weights)  # (B, C)
            found.append(tally.argmax(dim=1))
    return [torch.cat(found) for found in predictions]


def knn_accuracy(
    train_features: Tensor,
    train_labels: Tensor,
    test_features: Tensor,
    test_labels: Tensor,
    k: int = 20,
    temperature: float | None = KNN_TEMPERATURE,
    num_classes: int | None = None,
) -> float:
    """Fraction of test rows whose kNN vote (see knn_predict) gives their label."""
    predictions = knn_predict(train_features, train_labels, test_features, k, temperature, num_classes)
    return (predictions.cpu() == test_labels.cpu()).float().mean().item()


def nearest_neighbours(features: Tensor, index: int | Tensor, k: int) -> Tensor:
    """The k rows most cosine-similar to row(s) `index`, most similar first, the row itself left out.

    features (N, D); index an int -> int64 (k,), or a tensor of Q ids -> (Q, k).
    """
    x = F.normalize(features, dim=1)
    query = torch.as_tensor(index, device=x.device).reshape(-1)  # (Q,)
    sim = x[query] @ x.T  # (Q, N)
    sim[torch.arange(len(query)), query] = -float("inf")
    neighbours = sim.topk(min(k, len(x) - 1), dim=1).indices
    return neighbours[0] if isinstance(index, int) else neighbours

