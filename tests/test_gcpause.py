"""Pausing the cyclic garbage collector (``accelsim.gcpause``) restores its state, ``settle`` freezes, and
what a caller froze stays frozen."""

import gc

import pytest

from accelsim.gcpause import frozen, paused
from tests.conftest import CSV_PRUNED, cli


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_restores_the_collectors_state(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), paused():
            assert not gc.isenabled()
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_settle_freezes_what_the_block_built(unfrozen):
    with paused(settle=True):
        built = [[i] for i in range(1000)]
    assert gc.get_freeze_count() >= len(built) and gc.isenabled()


def test_a_run_leaves_the_collector_on(unfrozen):
    assert cli("run", "-w", CSV_PRUNED, "--json").returncode == 0
    assert gc.isenabled()


@pytest.mark.parametrize("caller_froze", [False, True])
def test_frozen_keeps_what_the_caller_froze(unfrozen, caller_froze):
    if caller_froze:
        gc.freeze()
    with frozen():
        assert gc.get_freeze_count() > 0
        made = [[i] for i in range(1000)]
    # the frozen objects that die meanwhile leave the count: unfrozen, it is 0
    assert (gc.get_freeze_count() > 0) is caller_froze
    assert made

