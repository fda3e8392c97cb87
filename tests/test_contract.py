"""The base classes of the contract (convzoo/contract.py) set and check what every model declares."""

from __future__ import annotations

import pytest

from convzoo.contract import Classifier, DensePredictor


class Tiny(Classifier):
    def __init__(self, num_classes, in_chans, size, min_size) -> None:
        super().__init__(num_classes, in_chans, size, min_size)


def test_the_base_sets_the_contract_attributes():
    model = Tiny(10, 1, (28, 28), 5)
    assert (model.num_classes, model.in_chans, model.default_input_size, model.min_input_size) == (
        10,
        1,
        (1, 28, 28),
        5,
    )
    assert Tiny(0, 3, (3, 32, 48), 1).default_input_size == (3, 32, 48)  # (C, H, W) is taken too


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 3, (32, 32), 1), "num_classes must be an int >= 0"),
        ((10, 0, (32, 32), 1), "in_chans must be an int >= 1"),
        ((10, 3, (1, 32, 32), 1), "has 1 channels, in_chans is 3"),
        ((10, 3, (32, 32), 33), "H, W >= min_input_size"),
        ((10, 3, (32, 32), 0), "H, W >= min_input_size >= 1"),
    ],
)
def test_the_base_refuses_a_contract_that_cannot_hold(args, message):
    with pytest.raises(ValueError, match=message):
        Tiny(*args)


def test_dense_predictors_share_the_checks():
    class Dense(DensePredictor):
        def __init__(self) -> None:
            super().__init__(2, 1, (572, 572), 188)

    assert Dense().default_input_size == (1, 572, 572)
