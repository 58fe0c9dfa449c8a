"""The host protocol's client: the exact bytes of each request, and replies it refuses."""

import numpy as np
import pytest

from accelsim.rtl.topk.protocol import NAK, REPLY, SYNC, ProtocolError, TopKClient, run_jobs


class ScriptedLink:
    """A transport that records what the client writes and answers from a script of replies."""

    def __init__(self, replies: bytes) -> None:
        self.sent = bytearray()
        self.replies = bytearray(replies)

    def write(self, data: bytes) -> None:
        self.sent += data

    def read(self, size: int) -> bytes:
        if len(self.replies) < size:
            raise TimeoutError(f"{len(self.replies)} of {size} bytes")
        out, self.replies = bytes(self.replies[:size]), self.replies[size:]
        return out


def ack(op: str, payload: bytes = b"") -> bytes:
    return bytes([REPLY, ord(op)]) + payload


def test_one_job_on_the_wire():
    # scores 3, 258 (0x0102), k = 1, z = -2; the board answers one item, index 1, after 7 cycles
    link = ScriptedLink(
        ack("L") + ack("K") + ack("S", b"\x01\x00") + ack("R", b"\x01\x00\x01\x00") + ack("C", b"\x07\x00\x00\x00")
    )
    res = TopKClient(link).run_job(np.array([3, 258]), 1, -2)
    assert bytes(link.sent) == bytes(
        [
            SYNC,
            ord("L"),
            2,
            0,
            3,
            0,
            2,
            1,
            SYNC,
            ord("K"),
            1,
            0,
            0xFE,
            0xFF,
            SYNC,
            ord("S"),
            SYNC,
            ord("R"),
            SYNC,
            ord("C"),
        ]
    )
    assert res.indices.tolist() == [1] and res.cycles == 7
    assert not link.replies  # every reply byte consumed


def test_nak_is_a_protocol_error():
    link = ScriptedLink(bytes([REPLY, NAK]))
    with pytest.raises(ProtocolError, match=r"^expected reply 5a4c to op 'L', got 5a3f$"):
        TopKClient(link).load(np.array([1]))


def test_count_disagreement_is_a_protocol_error():
    link = ScriptedLink(ack("L") + ack("K") + ack("S", b"\x02\x00") + ack("R", b"\x01\x00\x05\x00"))
    with pytest.raises(ProtocolError, match=r"^start reported 2 items, read returned 1$"):
        TopKClient(link).run_job(np.array([1, 2]), 2)


def test_silence_is_a_timeout():
    with pytest.raises(TimeoutError):
        TopKClient(ScriptedLink(b"")).read_cycles()


def test_run_jobs_sends_each_row_up_to_its_n():
    replies = b"".join(
        ack("L") + ack("K") + ack("S", b"\x00\x00") + ack("R", b"\x00\x00") + ack("C", bytes([c, 0, 0, 0]))
        for c in (5, 9)
    )
    link = ScriptedLink(replies)
    scores = np.array([[1, 2, 3], [4, 5, 6]])
    items, cycles = run_jobs(TopKClient(link), scores, np.array([1, 3]), np.array([0, 0]), np.array([0, 0]))
    assert cycles.tolist() == [5, 9] and [len(i) for i in items] == [0, 0]
    assert bytes(link.sent).count(bytes([SYNC, ord("L")])) == 2
    assert bytes(link.sent)[:6] == bytes([SYNC, ord("L"), 1, 0, 1, 0])
