"""Embeddings of stored images: h = f(x) and z = g(h) of uint8 images, at the side the model trained on.

Models follow simclr.model.networks: encode(x) -> h, forward(x) -> z, x float [0, 1] (B, C, S, S), and
config.image_size = S, the side of the views they trained on: stored images of another side are resized to it
(`as_input`), so a network trained on 128 px views of 32 px images is judged at 128 px.
"""

from collections.abc import Iterator

import torch
from torch import Tensor, nn

from simclr.augment.pixel_ops import resize


def as_input(images: Tensor, side: int, device: torch.device | str) -> Tensor:
    """uint8 (B, C, H, W) -> float [0, 1] (B, C, side, side) on device: what a model trained at `side` px reads.

    Another side is resized bilinearly, as the training views are (simclr.augment.pixel_ops.resize).
    """
    x = images.to(device).float().div_(255.0)
    return x if x.shape[-2:] == (side, side) else resize(x, side)



def input_batches(images: Tensor, side: int, batch_size: int, device: torch.device | str) -> Iterator[Tensor]:
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
    Each batch goes through the encoder once: z = model.head(h), as in SimCLRModel.forward.
    """
    was_training = model.training
    model.eval()
    try:
        hs, zs = [], []
        for x in input_batches(images, model.config.image_size, batch_size, device):
            h = model.encode(x)  # (B, feature_dim)
            hs.append(h.float().cpu())
            zs.append(model.head(h).float().cpu())
        return torch.cat(hs), torch.cat(zs)
    finally:
        model.train(was_training)

