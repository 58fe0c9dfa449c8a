"""Pausing the cyclic garbage collector (``accelsim.gcpause``) restores its state, and ``settle`` freezes."""

import gc

import pytest

from accelsim.gcpause import paused
from tests.conftest import CSV_PRUNED, cli


@pytest.fixture
def unfrozen():
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
    before = gc.get_freeze_count()
    with paused(settle=True):
        built = [[i] for i in range(1000)]
    assert gc.get_freeze_count() >= before + len(built) and gc.isenabled()


def test_a_run_leaves_the_collector_on(unfrozen):
    assert cli("run", "-w", CSV_PRUNED, "--json").returncode == 0
    assert gc.isenabled()
