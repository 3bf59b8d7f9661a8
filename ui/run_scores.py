"""What a run learned, in numbers: kNN and linear-probe accuracy, and few-label transfer, cached per run."""

from dataclasses import dataclass

import streamlit as st
import torch

from simclr.evaluate import TransferConfig, embed, few_label_transfer, knn_accuracy, linear_probe
from simclr.model import build_model
from ui.run_embeddings import Shown, encoders, held_out_images, run_images, shown_ids

HOLD_OUT = 0.2  # share of the shown images kept for testing when the dataset has no test split
TRANSFER_BUDGETS = (1, 10, 100)  # labelled images per class, as in the paper's 1% / 10% comparison (Table 7)


@dataclass
class LabelledSplit:
    """Labelled images to fit on and to test on, uint8 (N, C, H, W) with int64 labels (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    description: str  # where each side comes from, for the page

    def budgets(self) -> tuple[int, ...]:
        """The transfer budgets every class can fill from the training side."""
        counts = torch.bincount(self.train_labels)
        smallest = int(counts[counts > 0].min())
        return tuple(b for b in TRANSFER_BUDGETS if b <= smallest) or (1,)


def labelled_split(shown: Shown) -> LabelledSplit | None:
    """The shown images to fit on and the test split (as many images) to test on, else a seeded 80/20 split.

    None when the shown images have no labels, or all have the same one (nothing to tell apart).
    """
    config = shown.checkpoint.config()
    dataset = run_images(config)
    if dataset.labels is None:
        return None
    ids = torch.from_numpy(shown_ids(len(dataset), shown.count))
    images, labels = dataset.images[ids], dataset.labels[ids]
    if len(labels.unique()) < 2:
        return None
    test = held_out_images(config, shown.count)
    if test is not None and test.labels is not None:
        where = f"fitted on the {len(images):,} shown images, tested on {len(test):,} images of the test split"
        return LabelledSplit(images, labels, test.images, test.labels, where)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(config.seed))
    cut = max(1, round(len(images) * HOLD_OUT))
    test_ids, train_ids = order[:cut], order[cut:]
    where = (f"no test split of {config.dataset} here: fitted on {len(train_ids):,} of the shown images, "
             f"tested on the other {cut:,}")
    return LabelledSplit(images[train_ids], labels[train_ids], images[test_ids], labels[test_ids], where)


@st.cache_data(show_spinner="Scoring raw pixels, the random and the trained encoder (kNN and linear probe)…")
def accuracy_table(shown: Shown) -> list[dict]:
    """Rows {"features", "space", "kNN", "linear probe"}: raw pixels, then random init and trained, each h and z."""
    split = labelled_split(shown)
    rows = []

    def score(features: str, space: str, train: torch.Tensor, test: torch.Tensor) -> None:
        knn = knn_accuracy(train, split.train_labels, test, split.test_labels)
        linear = linear_probe(train, split.train_labels, test, split.test_labels)
        rows.append({"features": features, "space": space, "kNN": knn, "linear probe": linear})

    def pixels(images: torch.Tensor) -> torch.Tensor:
        return images.flatten(1).float() / 255  # (N, C*H*W)

    score("raw pixels", "pixels", pixels(split.train_images), pixels(split.test_images))
    random, trained, _ = encoders(shown.checkpoint, shown.device)
    for name, model in (("random init", random), ("trained", trained)):
        train_h, train_z = embed(model, split.train_images, device=shown.device)
        test_h, test_z = embed(model, split.test_images, device=shown.device)
        score(name, "h", train_h, test_h)
        score(name, "z", train_z, test_z)
    return rows


@st.cache_data(show_spinner="Training classifiers with 1, 10 and 100 labels per class (linear, fine-tune, scratch)…")
def transfer(shown: Shown) -> list[dict]:
    """few_label_transfer rows {"labels_per_class", "method", "accuracy"} for the trained checkpoint."""
    split = labelled_split(shown)
    _, trained, _ = encoders(shown.checkpoint, shown.device)
    return few_label_transfer(
        lambda seed: build_model(trained.config, seed=seed), trained,
        split.train_images, split.train_labels, split.test_images, split.test_labels,
        labels_per_class=split.budgets(), cfg=TransferConfig(), seed=shown.checkpoint.config().seed,
        device=shown.device,
    )
