"""How good are the learned features? Embeddings, kNN, linear probe and few-label transfer.

Pure tensor functions in the spirit of DINO's eval_knn.py: the device and seeds come in as arguments,
nothing is printed. Models follow simclr.model: encode(x) -> h, forward(x) -> z, x float [0, 1] (B, C, S, S),
and config.image_size = S, the side of the views they trained on: stored images of another side are resized
to it (`as_input`), so a network trained on 128 px views of 32 px images is judged at 128 px.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from simclr.pixel_ops import resize

TRANSFER_METHODS = ("linear", "fine-tune", "scratch")


def as_input(images: Tensor, side: int, device: torch.device | str) -> Tensor:
    """uint8 (B, C, H, W) -> float [0, 1] (B, C, side, side) on device: what a model trained at `side` px reads.

    Another side is resized bilinearly, as the training views are (simclr.pixel_ops.resize).
    """
    x = images.to(device).float().div_(255.0)
    return x if x.shape[-2:] == (side, side) else resize(x, side)


def _batches(images: Tensor, side: int, batch_size: int, device: torch.device | str) -> Iterator[Tensor]:
    """uint8 (N, C, H, W) -> float [0, 1] batches (B, C, side, side) on device."""
    for start in range(0, len(images), batch_size):
        yield as_input(images[start : start + batch_size], side, device)


@torch.no_grad()  # not inference_mode: its tensors could not be fed to the probe's autograd later
def embed(
    model: nn.Module, images: Tensor, batch_size: int = 512, device: torch.device | str = "cpu"
) -> tuple[Tensor, Tensor]:
    """Representations h = f(x) and projections z = g(h) for uint8 images (N, C, H, W).

    Returns h (N, feature_dim) and z (N, head_dim), float32 on the CPU. The model must already be on
    `device`; it runs in eval mode (BatchNorm uses its running statistics) and gets its mode back after.
    The images are resized to the side it trained on (`as_input`).
    Each batch goes through the encoder once: z = model.head(h), as in simclr.model's forward.
    """
    was_training = model.training
    model.eval()
    try:
        hs, zs = [], []
        for x in _batches(images, model.config.image_size, batch_size, device):
            h = model.encode(x)  # (B, feature_dim)
            hs.append(h.float().cpu())
            zs.append(model.head(h).float().cpu())
        return torch.cat(hs), torch.cat(zs)
    finally:
        model.train(was_training)


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


@dataclass
class ProbeConfig:
    weight_decay: float = 1e-3  # L2 on the weights, added to the mean cross-entropy as wd/2 * ||W||^2
    max_iter: int = 100  # L-BFGS iterations at most, scikit-learn's default; on CIFAR-10 h and z converge in
    # 60-80, the 3,072 raw pixels do not (ill-conditioned): they stop here, 0.3 points from their 200-iteration figure
    tolerance: float = 1e-4  # stop once no gradient entry exceeds it: scikit-learn's tol (its lbfgs gtol) on the
    # same mean loss


def linear_probe(
    train_h: Tensor, train_y: Tensor, test_h: Tensor, test_y: Tensor, cfg: ProbeConfig | None = None
) -> float:
    """Test accuracy of logistic regression on frozen features (the paper's linear evaluation, Sec. 4).

    train_h (N, D), test_h (M, D). Features are standardised with the training mean and std; the weights
    start at zero and full-batch L-BFGS minimises a convex loss, so the result needs no seed.
    Equivalent to scikit-learn's LogisticRegression(C=1 / (weight_decay * N)) with its default tol and max_iter.
    The weight is (C, D), as nn.Linear's: its gradient is then (C, N) @ (N, D), which a CPU computes 10x faster
    than the (D, N) @ (N, C) of a (D, C) weight (50,000 CIFAR-10 pixel rows: 0.1 s against 1.2 s).
    """
    cfg = cfg or ProbeConfig()
    train_h, test_h = train_h.float(), test_h.float().to(train_h.device)
    mean, std = train_h.mean(dim=0), train_h.std(dim=0).clamp_min(1e-8)
    x, x_test = (train_h - mean) / std, (test_h - mean) / std
    y = train_y.to(x.device)
    num_classes = int(y.max()) + 1
    weight = torch.zeros(num_classes, x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=x.dtype, device=x.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=cfg.max_iter, tolerance_grad=cfg.tolerance,
                                  line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(F.linear(x, weight, bias), y) + cfg.weight_decay / 2 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        predictions = F.linear(x_test, weight, bias).argmax(dim=1)
    return (predictions.cpu() == test_y.cpu()).float().mean().item()


@dataclass
class TransferConfig:
    steps: int = 100  # Adam steps per budget and method; a quick look, not a converged result
    batch_size: int = 64  # labelled images per step (all of them when fewer)
    head_lr: float = 1e-2  # the new linear head (zero-initialised, as in BiT)
    finetune_lr: float = 1e-4  # pretrained backbone: small, so the features are adjusted, not overwritten
    scratch_lr: float = 1e-3  # randomly initialised backbone: Adam's usual rate, a fair baseline
    eval_batch_size: int = 512  # test images per forward pass
    probe: ProbeConfig = field(default_factory=ProbeConfig)  # the "linear" method's logistic regression


class _Classifier(nn.Module):
    """encode(x) -> h followed by a new zero-initialised linear head (B, num_classes)."""

    def __init__(self, backbone: nn.Module, feature_dim: int, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(feature_dim, num_classes)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.backbone.encode(x))


def _train_and_test(
    model: _Classifier,
    backbone_lr: float,
    images: Tensor,
    labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    cfg: TransferConfig,
    generator: torch.Generator,
    device: torch.device | str,
) -> float:
    """Train all layers with Adam on the labelled images, then return test accuracy."""
    optimizer = torch.optim.Adam([
        {"params": model.backbone.parameters(), "lr": backbone_lr},
        {"params": model.head.parameters(), "lr": cfg.head_lr},
    ])
    side = model.backbone.config.image_size
    model.train()
    for _ in range(cfg.steps):
        batch = torch.randperm(len(images), generator=generator)[: cfg.batch_size]
        loss = F.cross_entropy(model(as_input(images[batch], side, device)), labels[batch].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        batches = _batches(test_images, side, cfg.eval_batch_size, device)
        predictions = torch.cat([model(x).argmax(dim=1).cpu() for x in batches])
    return (predictions == test_labels.cpu()).float().mean().item()


def few_label_transfer(
    make_model: Callable[[int], nn.Module],
    pretrained_model: nn.Module,
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    labels_per_class: tuple[int, ...] = (1, 10, 100),
    cfg: TransferConfig | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> list[dict]:
    """Accuracy with few labels: linear probe on frozen h, fine-tuning all layers, training from scratch.

    The paper's semi-supervised experiment (Sec. 7, Table 7) in miniature. make_model(seed) builds a new
    randomly initialised model of the pretrained model's architecture; pretrained_model is only read.
    Images are uint8 (N, C, H, W). For each budget the same labelled images (drawn with `seed`) serve all
    three methods, all trained and tested at the pretrained model's side (`as_input`).
    Returns rows {"labels_per_class", "method", "accuracy"}, methods as in TRANSFER_METHODS.
    """
    cfg = cfg or TransferConfig()
    generator = torch.Generator().manual_seed(seed)
    num_classes = int(train_labels.max()) + 1
    # Each class's ids in one shuffled order; a budget takes the first few, so budgets nest (1 in 10 in 100).
    class_ids = [torch.nonzero(train_labels == c).flatten() for c in range(num_classes)]
    order = [ids[torch.randperm(len(ids), generator=generator)] for ids in class_ids]

    def pretrained_copy() -> nn.Module:
        model = make_model(seed)
        model.load_state_dict(pretrained_model.state_dict())
        return model.to(device)

    frozen = pretrained_copy()
    train_h, _ = embed(frozen, train_images, cfg.eval_batch_size, device)
    test_h, _ = embed(frozen, test_images, cfg.eval_batch_size, device)
    feature_dim = train_h.shape[1]

    rows = []
    for per_class in labels_per_class:
        ids = torch.cat([class_order[:per_class] for class_order in order])
        images, labels = train_images[ids], train_labels[ids]
        accuracy = {"linear": linear_probe(train_h[ids], labels, test_h, test_labels, cfg.probe)}
        starts = {
            "fine-tune": (pretrained_copy(), cfg.finetune_lr),
            "scratch": (make_model(seed).to(device), cfg.scratch_lr),
        }
        for method, (backbone, backbone_lr) in starts.items():
            model = _Classifier(backbone, feature_dim, num_classes).to(device)
            accuracy[method] = _train_and_test(
                model, backbone_lr, images, labels, test_images, test_labels, cfg, generator, device
            )
        rows += [{"labels_per_class": per_class, "method": m, "accuracy": accuracy[m]} for m in TRANSFER_METHODS]
    return rows
