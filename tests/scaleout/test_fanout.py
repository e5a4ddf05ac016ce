"""The fan-out's pure parts: counting peers in a target, turning the client's error for a peer's status into a domain error."""

from __future__ import annotations

import grpc
import pytest

from planocr.client.errors import from_grpc_error
from planocr.errors import Code, FailedPrecondition, Reason, ResourceExhausted, Unavailable
from planocr.jobs.fanout import _worth_retrying, count_peers, domain_error
from planocr.rpc.grpc_errors import grpc_status
from tests.support.rpc_errors import FakeRpcError


@pytest.mark.parametrize(
    ("target", "peers"),
    [
        ("ipv4:127.0.0.1:5001,127.0.0.1:5002,127.0.0.1:5003", 3),
        ("ipv4:10.0.0.5:50051", 1),
        ("ipv6:[::1]:5001,[::1]:5002", 2),
        ("unix:/run/planocr.sock", 1),
        ("dns:///127.0.0.1:50051", 1),
        ("127.0.0.1:50051", 1),
        ("dns:///no-such-host.invalid:50051", 1),  # does not resolve (yet): one, not zero
    ],
)
def test_count_peers(target, peers):
    assert count_peers(target) == peers


def _from_peer(error):
    """What the client raises for a peer's failed call."""
    status = grpc_status(error)
    return from_grpc_error(FakeRpcError(status.code, status.details, status.trailing_metadata))


def test_a_peers_domain_error_keeps_its_code_and_reason():
    error = domain_error(_from_peer(FailedPrecondition("the page image is missing", reason=Reason.IMAGE_MISSING)))
    assert error.code is Code.FAILED_PRECONDITION and error.reason == Reason.IMAGE_MISSING
    assert "missing" in error.message and not _worth_retrying(error)


def test_a_peer_that_cannot_be_reached_is_retried_elsewhere():
    error = domain_error(from_grpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses")))
    assert isinstance(error, Unavailable) and _worth_retrying(error)


def test_a_full_peer_is_retried_but_a_peers_own_outage_is_not():
    assert _worth_retrying(domain_error(_from_peer(ResourceExhausted("queue full", reason=Reason.QUEUE_FULL))))
    database_down = domain_error(_from_peer(Unavailable("the database is unavailable", reason=Reason.DATABASE_UNAVAILABLE)))
    assert database_down.code is Code.UNAVAILABLE and not _worth_retrying(database_down)
