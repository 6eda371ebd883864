"""Data for the library: the MNIST-family reader, the dataset registry, pattern generators.

* :func:`load_dataset` loads ``digits`` (embedded, no download), ``fashion-mnist``,
  ``mnist``, ``omniglot`` or ``cifar10`` as an :class:`ImageDataset` (float32 images in
  [0, 1], ``(N, H, W)`` or channel first ``(N, C, H, W)``, int64 labels, and the
  :class:`DataFile` path and SHA-256 of each file read); a file that does not match the
  dataset's known digests gives a :class:`DatasetDigestWarning`;
* :func:`read_idx` / :func:`write_idx` read and write IDX files, gzipped or raw;
* :func:`read_omniglot_archive` / :func:`write_omniglot_archive` read Omniglot's official
  zip archives and write small ones of the same layout;
* :func:`read_cifar10_archive` / :func:`write_cifar10_archive` read CIFAR-10's python
  archive (its pickles through a restricted unpickler) and write small ones;
* :func:`download_file` fetches a file from mirrors with a checksum and an atomic write;
* :mod:`hebbian.data.patterns` draws binary memories, Gaussian clouds and clusters, and
  Poisson spike trains from a ``torch.Generator``.
"""

from hebbian.data.cifar10 import (
    Cifar10FormatError,
    read_cifar10_archive,
    write_cifar10_archive,
)
from hebbian.data.download import DownloadError, download_file, sha256_of
from hebbian.data.idx import IdxFormatError, read_idx, read_idx_with_digests, write_idx
from hebbian.data.omniglot import (
    OmniglotFormatError,
    area_downscale,
    read_omniglot_archive,
    write_omniglot_archive,
)
from hebbian.data.patterns import (
    correlated_gaussian,
    default_spectrum,
    gaussian_clusters,
    poisson_spike_trains,
    random_binary_patterns,
)
from hebbian.data.registry import (
    DATASETS,
    DataFile,
    DatasetDigestWarning,
    DatasetNotFoundError,
    EmbeddedDatasetSpec,
    IdxDatasetSpec,
    IdxFile,
    IdxSplit,
    ImageDataset,
    cache_root,
    dataset_names,
    dataset_spec,
    load_dataset,
    search_folders,
)

__all__ = [
    "DATASETS",
    "Cifar10FormatError",
    "DataFile",
    "DatasetDigestWarning",
    "DatasetNotFoundError",
    "DownloadError",
    "EmbeddedDatasetSpec",
    "IdxDatasetSpec",
    "IdxFile",
    "IdxFormatError",
    "IdxSplit",
    "ImageDataset",
    "OmniglotFormatError",
    "area_downscale",
    "cache_root",
    "correlated_gaussian",
    "dataset_names",
    "dataset_spec",
    "default_spectrum",
    "download_file",
    "gaussian_clusters",
    "load_dataset",
    "poisson_spike_trains",
    "random_binary_patterns",
    "read_cifar10_archive",
    "read_idx",
    "read_idx_with_digests",
    "read_omniglot_archive",
    "search_folders",
    "sha256_of",
    "write_cifar10_archive",
    "write_idx",
    "write_omniglot_archive",
]
