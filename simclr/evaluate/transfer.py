"""Few labels: a linear probe on frozen h, fine-tuning all layers, or training from scratch (paper Sec. 7, Table 7).

Pure functions in the spirit of DINO's eval_knn.py: the device and seeds come in as arguments, nothing is printed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from simclr.evaluate.embed import as_input, embed, input_batches
from simclr.evaluate.linear_probe import ProbeConfig, linear_probe

TRANSFER_METHODS = ("linear", "fine-tune", "scratch")


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
        batches = input_batches(test_images, side, cfg.eval_batch_size, device)
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
