"""DataLoaders over arrays: whole-batch gathers, seeded shuffling, the two generator conventions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nulearn.ml.loaders import ArrayBatches, array_loader, holdout_loaders
from nulearn.ml.splits import Holdout


def _epochs(loader: DataLoader, n: int = 2) -> list[list[int]]:  # type: ignore[type-arg]
    return [torch.cat([b[1] for b in loader]).tolist() for _ in range(n)]


def test_shuffled_batches_match_torchs_own_seeded_loader() -> None:
    x = torch.arange(40.0).reshape(20, 2)
    y = torch.arange(20)
    ours = array_loader(x, y, batch_size=6, shuffle=True, seed=5)
    theirs = DataLoader(
        TensorDataset(x, y), batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(5)
    )
    assert _epochs(ours) == _epochs(theirs)
    first = next(iter(array_loader(x, y, batch_size=6, shuffle=True, seed=5)))
    torch.testing.assert_close(first[0], x[first[1]])  # rows stay paired


def test_sampler_only_generator_gives_its_own_reproducible_order() -> None:
    y = np.arange(30)
    a = _epochs(array_loader(y, y, batch_size=7, shuffle=True, seed=1, loader_generator=False))
    b = _epochs(array_loader(y, y, batch_size=7, shuffle=True, seed=1, loader_generator=False))
    assert a == b and sorted(a[0]) == list(range(30)) and a[0] != a[1]


def test_in_order_loader_drop_last_and_validation() -> None:
    y = np.arange(7)
    assert [b[0].tolist() for b in array_loader(y, batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(array_loader(y, batch_size=3, shuffle=True, seed=0, drop_last=True))) == 2
    with pytest.raises(ValueError, match="seed"):
        array_loader(y, batch_size=3, shuffle=True)
    with pytest.raises(ValueError, match="length"):
        ArrayBatches(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        array_loader(y, batch_size=0)


def test_holdout_loaders_serve_each_side() -> None:
    x = np.arange(10.0)[:, None]
    split = Holdout(train=np.array([4, 0, 7, 1, 2, 9]), val=np.array([3, 5, 6, 8]))
    train, val = holdout_loaders((x, np.arange(10)), split, batch_size=4, seed=0)
    assert sorted(torch.cat([b[1] for b in train]).tolist()) == [0, 1, 2, 4, 7, 9]
    assert torch.cat([b[1] for b in val]).tolist() == [3, 5, 6, 8]
