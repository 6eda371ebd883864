"""Data for the library: the MNIST-family reader, the dataset registry, pattern generators.

* :func:`load_dataset` loads ``digits`` (embedded, no download), ``fashion-mnist`` or
  ``mnist`` as an :class:`ImageDataset` (float32 images in [0, 1], int64 labels);
* :func:`read_idx` / :func:`write_idx` read and write IDX files, gzipped or raw;
* :func:`download_file` fetches a file from mirrors with a checksum and an atomic write;
* :mod:`hebbian.data.patterns` draws binary memories, Gaussian clouds and clusters, and
  Poisson spike trains from a ``torch.Generator``.
"""

from hebbian.data.download import DownloadError, download_file, sha256_of
from hebbian.data.idx import IdxFormatError, read_idx, write_idx
from hebbian.data.patterns import (
    correlated_gaussian,
    default_spectrum,
    gaussian_clusters,
    poisson_spike_trains,
    random_binary_patterns,
)
from hebbian.data.registry import (
    DATASETS,
    DatasetNotFoundError,
    EmbeddedDatasetSpec,
    IdxDatasetSpec,
    IdxFile,
    IdxSplit,
    ImageDataset,
    cache_root,
    dataset_names,
    load_dataset,
    search_folders,
)

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "DownloadError",
    "EmbeddedDatasetSpec",
    "IdxDatasetSpec",
    "IdxFile",
    "IdxFormatError",
    "IdxSplit",
    "ImageDataset",
    "cache_root",
    "correlated_gaussian",
    "dataset_names",
    "default_spectrum",
    "download_file",
    "gaussian_clusters",
    "load_dataset",
    "poisson_spike_trains",
    "random_binary_patterns",
    "read_idx",
    "search_folders",
    "sha256_of",
    "write_idx",
]
