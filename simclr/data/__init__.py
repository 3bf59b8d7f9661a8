"""Every image source the app trains on, loaded into one `Dataset` shape.

    registry     DATASETS, load_dataset, download, load_uploads: the one entry point
    dataset      Dataset (the result every loader returns), DataError, seeded subsets
    cifar_stl    CIFAR-10 and STL-10 in torchvision's on-disk layout, and their download
    user_images  the user's own folder or uploaded files and .zip archives
    decode       safe decoding of one user image
    python -m simclr.data download cifar10 [--root DIR]    # the only code path that uses the network
"""
from simclr.data.dataset import DataError, Dataset
from simclr.data.registry import DATASETS, DatasetSpec, default_data_root, download, load_dataset, load_uploads

__all__ = ["DATASETS", "DataError", "Dataset", "DatasetSpec", "default_data_root", "download", "load_dataset",
           "load_uploads"]
