"""Make the Fashion-MNIST subset that ships with topgap_mm.

Reads the IDX ``.gz`` files of the Debian package ``dataset-fashion-mnist``
(``apt-get install dataset-fashion-mnist``) and writes the first
``--per-class`` test-set images of each chosen class to a compressed npz:

- ``images``: (N, 28, 28) uint8, the original pixels;
- ``labels``: (N,) uint8, the original Fashion-MNIST labels;
- ``indices``: (N,) int32, the position of each image in the source file.

Images are grouped by class, in the order of ``--classes``, and keep the
source order inside a class, so the file is reproducible and a split can be
taken as a contiguous block. The default reproduces
``topgap_mm/datasets/assets/fashion_mnist_subset.npz``::

    python tools/dataset_converters/make_fashion_subset.py
"""
import argparse
import gzip
import os.path as osp
from typing import Sequence, Tuple

import numpy as np

DEFAULT_SRC = '/usr/share/datasets/fashion-mnist'
DEFAULT_OUT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'topgap_mm', 'datasets', 'assets', 'fashion_mnist_subset.npz')
# T-shirt/top, Trouser, Sneaker, Bag: the classes whose silhouettes differ
# most, so the object carries a signal as clear as the background's.
DEFAULT_CLASSES = (0, 1, 7, 8)

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049


def read_idx(path: str, magic: int) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes.

    Args:
        path (str): Path of the ``.gz`` file.
        magic (int): Expected magic number (2051 images, 2049 labels).

    Returns:
        np.ndarray: uint8 array with the shape stored in the header.
    """
    with gzip.open(path, 'rb') as f:
        data = f.read()
    header = np.frombuffer(data, dtype='>i4', count=1)[0]
    if header != magic:
        raise ValueError(f'{path}: magic number {header}, expected {magic}.')
    ndim = magic - 2048
    shape = tuple(np.frombuffer(data, dtype='>i4', count=ndim, offset=4))
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f'{path}: {array.size} bytes for shape {shape}.')
    return array.reshape(shape)


def make_subset(images: np.ndarray, labels: np.ndarray,
                classes: Sequence[int],
                per_class: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Take the first ``per_class`` images of each class.

    Args:
        images (np.ndarray): (N, 28, 28) uint8 images.
        labels (np.ndarray): (N,) uint8 labels.
        classes (Sequence[int]): Fashion-MNIST labels to keep, in order.
        per_class (int): Number of images per class.

    Returns:
        tuple: ``images``, ``labels`` and ``indices`` of the subset.
    """
    indices = []
    for label in classes:
        found = np.flatnonzero(labels == label)
        if found.size < per_class:
            raise ValueError(f'Class {label} has only {found.size} images, '
                             f'{per_class} requested.')
        indices.append(found[:per_class])
    indices = np.concatenate(indices).astype(np.int32)
    return images[indices], labels[indices], indices


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--src', default=DEFAULT_SRC, help='folder of the IDX .gz files')
    parser.add_argument(
        '--set',
        default='t10k',
        choices=('t10k', 'train'),
        help='which Fashion-MNIST set to read')
    parser.add_argument(
        '--classes',
        type=int,
        nargs='+',
        default=list(DEFAULT_CLASSES),
        help='Fashion-MNIST labels to keep')
    parser.add_argument('--per-class', type=int, default=500)
    parser.add_argument('--out', default=DEFAULT_OUT, help='npz to write')
    return parser.parse_args()


def main():
    args = parse_args()
    images = read_idx(
        osp.join(args.src, f'{args.set}-images-idx3-ubyte.gz'),
        IDX_IMAGES_MAGIC)
    labels = read_idx(
        osp.join(args.src, f'{args.set}-labels-idx1-ubyte.gz'),
        IDX_LABELS_MAGIC)
    images, labels, indices = make_subset(images, labels, args.classes,
                                          args.per_class)
    np.savez_compressed(
        args.out, images=images, labels=labels, indices=indices)
    print(f'Wrote {len(images)} images ({osp.getsize(args.out)} bytes) to '
          f'{args.out}')


if __name__ == '__main__':
    main()
