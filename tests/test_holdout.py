"""Which images judge a run: validation carved from the training images, the test split only for the report."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from simclr.data import load_dataset
from simclr.data.dataset import Dataset
from simclr.evaluate.splits import test_split as carve_test
from simclr.evaluate.splits import validation_split


def fingerprints(dataset: Dataset) -> set[bytes]:
    return {image.numpy().tobytes() for image in dataset.images}


class RecordingLoader:
    """mnist-5k by split, remembering which splits were asked for."""

    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, split: str) -> Dataset:
        self.asked.append(split)
        return load_dataset("mnist-5k", split=split)


def test_validation_queries_are_training_images_outside_the_memory_and_the_test_split_is_never_loaded():
    load = RecordingLoader()
    validation = validation_split("mnist-5k", load)
    assert load.asked == ["train"]
    assert (len(validation.queries), len(validation.memory)) == (400, 3600)
    train, test = fingerprints(load_dataset("mnist-5k")), fingerprints(load_dataset("mnist-5k", split="test"))
    queries, memory = fingerprints(validation.queries), fingerprints(validation.memory)
    assert queries <= train and memory <= train and not queries & memory and not (queries | memory) & test
    assert validation.label == "validation"
    assert "400 images of the 4,000 training images (seed 0), classified by 3,600 others" == validation.where


def test_the_test_report_uses_the_whole_train_split_as_memory_and_the_whole_test_split_as_queries():
    test = carve_test("mnist-5k", RecordingLoader())
    train, queries = load_dataset("mnist-5k"), load_dataset("mnist-5k", split="test")
    assert torch.equal(test.memory.images, train.images) and torch.equal(test.queries.images, queries.images)
    assert test.label == "test" and test.where.startswith("1,000 images of the MNIST 5k test split")


def test_a_cap_is_a_seeded_choice_and_is_written_in_the_label():
    capped = carve_test("mnist-5k", RecordingLoader(), limit=500)
    again = carve_test("mnist-5k", RecordingLoader(), limit=500)
    assert (len(capped.memory), len(capped.queries)) == (500, 500)
    assert torch.equal(capped.memory.images, again.memory.images)
    assert capped.label == "test, 500 queries, 500 memory images"
    assert validation_split("mnist-5k", RecordingLoader(), limit=2000).label == "validation, 2,000 memory images"


def test_a_labelled_folder_is_carved_into_memory_validation_and_test_without_overlap():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (50, 1, 6, 6), generator=g, dtype=torch.uint8)
    folder = Dataset("folder", images, torch.arange(50) % 2, ["a", "b"], "fifty noise images")
    validation, test = validation_split("folder", lambda s: folder), carve_test("folder", lambda s: folder)
    val_q, val_m = fingerprints(validation.queries), fingerprints(validation.memory)
    test_q, test_m = fingerprints(test.queries), fingerprints(test.memory)
    assert (len(test_q), len(val_q), len(val_m)) == (10, 5, 35)
    assert not test_q & (val_q | val_m)  # the test images reach neither side of validation
    assert test_m == val_q | val_m  # the test's memory: every image that is not a test image
    assert not test_q & test_m


@pytest.mark.parametrize("split", [validation_split, carve_test])
def test_no_labels_or_one_class_nothing_to_judge(split):
    images = torch.zeros(30, 1, 4, 4, dtype=torch.uint8)
    assert split("folder", lambda s: Dataset("folder", images, None, [], "")) is None
    assert split("folder", lambda s: Dataset("folder", images, torch.zeros(30, dtype=torch.long), ["a"], "")) is None


def test_pixel_knn_of_the_test_split_matches_scikit_learn_on_the_same_images():
    test = carve_test("mnist-5k", RecordingLoader())
    memory, queries = (side.images.flatten(1).numpy() / 255 for side in (test.memory, test.queries))
    reference = KNeighborsClassifier(20, metric="cosine", weights=lambda d: np.exp(-d / 0.07))
    expected = reference.fit(memory, test.memory.labels.numpy()).score(queries, test.queries.labels.numpy())
    assert test.knn(test.pixels(), [(20, 0.07)]) == [pytest.approx(expected, abs=1e-6)]
