"""check_memory refuses allocations larger than the machine before they are tried."""

import pytest

from hebbian._checks import check_memory, physical_memory


def test_an_allocation_larger_than_the_machine_is_refused_naming_both_sizes():
    total = physical_memory()
    assert total is not None and total > 0
    with pytest.raises(
        ValueError,
        match=r"^neurons=9 \(weights\) would need [\d.]+ GB but "
        r"this machine has [\d.]+ GB$",
    ):
        check_memory("neurons=9 (weights)", 10 * total)


def test_an_allocation_that_fits_is_returned_unchanged():
    assert check_memory("a vector", 4096) == 4096
