"""PyTorch DataLoaders over in-memory arrays, with seeded shuffling, shared by every pillar.

The samples of every network here fit in memory (feature tables, κ maps, waveform images,
pixel maps), so a batch is one gather from each tensor (:class:`ArrayBatches`), not one Python
call per sample and a collate: at a million rows on a CPU that is the difference between the
loader and the network dominating an epoch.

Shuffling is reproducible: a ``torch.Generator`` seeded with ``seed`` draws the permutation of
each epoch. By default it is also the DataLoader's generator, from which PyTorch draws each
epoch's worker base seed (``DataLoader(generator=...)``); ``loader_generator=False`` leaves that
draw to torch's global generator instead. The two give different (equally reproducible) batch
orders; the choice is kept per model so that a seed trains the same network as before the
loaders were shared.

>>> import numpy as np
>>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
>>> [b[1].tolist() for b in array_loader(x, y, batch_size=2)]
[[0, 1], [2, 3], [4]]
>>> from nulearn.ml.splits import shuffled_holdout
>>> train, val = holdout_loaders((x, y), shuffled_holdout(5, 1, seed=0), batch_size=2, seed=0)
>>> sum(len(b[1]) for b in train), sum(len(b[1]) for b in val)
(4, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from nulearn.ml.splits import Holdout

__all__ = ["ArrayBatches", "array_loader", "holdout_loaders"]


def _tensor(array: Any) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        return array
    return torch.from_numpy(np.ascontiguousarray(array))


class ArrayBatches(Dataset[tuple[torch.Tensor, ...]]):
    """Equal-length tensors indexed together; a list of indices is served by one gather per tensor.

    Args:
        *arrays: tensors or NumPy arrays with the samples along the first axis (NumPy arrays are
            shared with torch, not copied, when contiguous).
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("ArrayBatches needs at least one array")
        self.tensors = tuple(_tensor(a) for a in arrays)
        n = {int(t.shape[0]) for t in self.tensors}
        if len(n) != 1:
            raise ValueError(f"arrays differ in length along the first axis: {sorted(n)}")

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getitem__(self, index: Any) -> tuple[torch.Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return tuple(t[idx] for t in self.tensors)


def _whole_batch(batch: Any) -> Any:
    """The collate function of :class:`ArrayBatches`: a batch is already gathered."""
    return batch


def array_loader(
    *arrays: Any,
    batch_size: int,
    shuffle: bool = False,
    seed: int | None = None,
    drop_last: bool = False,
    loader_generator: bool = True,
) -> DataLoader[Any]:
    """A DataLoader of tuples ``(arrays[0][batch], arrays[1][batch], ...)``.

    Args:
        *arrays: tensors or NumPy arrays with the samples along the first axis.
        batch_size: samples per batch.
        shuffle: draw a new permutation every epoch (needs ``seed``).
        seed: seed of the ``torch.Generator`` of the shuffling (and, with ``loader_generator``,
            of the DataLoader); ``None`` (only without shuffling): no generator of its own.
        drop_last: drop the last, incomplete batch (e.g. so that batch normalisation never sees
            a batch of one).
        loader_generator: see the module docstring.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size = {batch_size} must be >= 1")
    if shuffle and seed is None:
        raise ValueError("a shuffled loader needs a seed (reproducible batch order)")
    data = ArrayBatches(*arrays)
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    if shuffle and not loader_generator:
        return DataLoader(
            data,
            batch_size=batch_size,
            sampler=RandomSampler(data, generator=generator),
            drop_last=drop_last,
            collate_fn=_whole_batch,
        )
    return DataLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        drop_last=drop_last,
        collate_fn=_whole_batch,
    )


def holdout_loaders(
    arrays: Sequence[Any],
    holdout: Holdout,
    batch_size: int,
    seed: int,
    *,
    val_batch_size: int = 256,
    val_seed: int | None = None,
    drop_last: bool = False,
    loader_generator: bool = True,
) -> tuple[DataLoader[Any], DataLoader[Any]]:
    """Training loader (shuffled with ``seed``) and validation loader (in order) of a holdout.

    Args:
        arrays: tensors or NumPy arrays with the samples along the first axis.
        holdout: which samples train and which are held out.
        batch_size: training batch size.
        seed: shuffling seed of the training loader.
        val_batch_size: validation batch size (larger: no gradients are kept).
        val_seed: seed of the validation loader's own generator (``None``: none).
        drop_last: drop the last incomplete training batch.
        loader_generator: see :func:`array_loader`.
    """

    def take(index: Any) -> list[Any]:
        return [
            a[torch.as_tensor(index)] if isinstance(a, torch.Tensor) else a[index] for a in arrays
        ]

    train = array_loader(
        *take(holdout.train),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        drop_last=drop_last,
        loader_generator=loader_generator,
    )
    val = array_loader(*take(holdout.val), batch_size=val_batch_size, seed=val_seed)
    return train, val
