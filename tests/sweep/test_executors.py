"""Executors: a Dask LocalCluster closes cleanly even when its worker processes are slow to exit."""

import asyncio
import logging

import pytest

from accelsim.sweep import get_executor


def slow_to_close(dask_worker) -> None:
    """Make this worker take 5 s to close, as a worker process on a loaded machine may: longer than the
    4 s after which Dask's nanny kills it by default."""
    close = type(dask_worker).close

    async def slow(self, *args, **kwargs):
        await asyncio.sleep(5)
        return await close(self, *args, **kwargs)

    type(dask_worker).close = slow


@pytest.mark.slow
def test_dask_close_waits_for_slow_workers(capfd, caplog):
    pytest.importorskip("distributed")
    ex = get_executor("dask", workers=2)
    ex.client.run(slow_to_close)
    with caplog.at_level(logging.INFO, logger="distributed"):
        ex.close()
    # no nanny killed its worker, so no traceback of the connections the kill broke
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    err = capfd.readouterr().err
    assert not logged and "CommClosedError" not in err and "Traceback" not in err, (logged, err)
