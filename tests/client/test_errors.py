"""planocr.client.errors: status codes to classes, rich status details to attributes."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from planocr.client import errors
from tests.support.rpc_errors import FakeRpcError


def _packed(message) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def test_every_error_code_has_its_own_class() -> None:
    classes = {
        code: errors.exception_class_for(code) for code in grpc.StatusCode if code is not grpc.StatusCode.OK
    }

    assert len(set(classes.values())) == 16
    for code, cls in classes.items():
        assert cls.code is code
        assert issubclass(cls, errors.PlanocrError)
        assert errors.exception_class_for(code.value[0]) is cls
    assert errors.exception_class_for(grpc.StatusCode.OK) is errors.Unknown
    assert errors.exception_class_for(99) is errors.Unknown


def test_from_status_prefers_the_planocr_error_info_and_unpacks_details() -> None:
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT,
        message="bad page size",
        details=[
            _packed(error_details_pb2.ErrorInfo(reason="PROXY_SAYS", domain="proxy.example")),
            _packed(
                error_details_pb2.ErrorInfo(
                    reason="INVALID_ARGUMENT", domain=errors.DOMAIN, metadata={"field": "page_size"}
                )
            ),
            _packed(
                error_details_pb2.BadRequest(
                    field_violations=[error_details_pb2.BadRequest.FieldViolation(field="page_size")]
                )
            ),
            _packed(duration_pb2.Duration(seconds=1)),
        ],
    )

    error = errors.from_status(status)

    assert type(error) is errors.InvalidArgument
    assert (error.reason, error.domain, error.metadata) == (
        "INVALID_ARGUMENT",
        errors.DOMAIN,
        {"field": "page_size"},
    )
    assert isinstance(error.details[2], error_details_pb2.BadRequest)
    assert error.details[2].field_violations[0].field == "page_size"
    assert isinstance(error.details[3], any_pb2.Any), "unknown detail types stay packed"
    assert error.status == status
    assert error.retryable is False


def test_retry_info_sets_the_delay_and_makes_the_error_retryable() -> None:
    status = status_pb2.Status(
        code=code_pb2.FAILED_PRECONDITION,
        message="try later",
        details=[
            _packed(
                error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000))
            )
        ],
    )

    error = errors.from_status(status)

    assert error.retry_delay == 2.5
    assert error.retryable is True
    assert error.reason == ""


@pytest.mark.parametrize(
    ("reason", "retryable"), [("QUEUE_FULL", True), ("UPLOAD_TOO_LARGE", False), ("", False)]
)
def test_resource_exhausted_is_retryable_only_when_busy(reason: str, retryable: bool) -> None:
    details = [_packed(error_details_pb2.ErrorInfo(reason=reason, domain=errors.DOMAIN))] if reason else []
    error = errors.from_status(
        status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="m", details=details)
    )
    assert isinstance(error, errors.ResourceExhausted)
    assert error.retryable is retryable


def test_unavailable_and_aborted_are_retryable_others_not() -> None:
    assert errors.Unavailable("x").retryable
    assert errors.Aborted("x").retryable
    assert not errors.NotFound("x").retryable
    assert not errors.DeadlineExceeded("x").retryable


def test_rich_status_with_a_different_code_is_ignored() -> None:
    stale = status_pb2.Status(
        code=code_pb2.NOT_FOUND,
        message="page not found",
        details=[_packed(error_details_pb2.ErrorInfo(reason="PAGE_NOT_FOUND", domain=errors.DOMAIN))],
    )
    rpc_error = FakeRpcError(
        grpc.StatusCode.INTERNAL, "proxy failure", (("grpc-status-details-bin", stale.SerializeToString()),)
    )

    error = errors.from_grpc_error(rpc_error)

    assert type(error) is errors.Internal
    assert error.message == "proxy failure"
    assert error.reason == "" and error.status is None


def test_undecodable_details_are_ignored() -> None:
    rpc_error = FakeRpcError(
        grpc.StatusCode.UNAVAILABLE, "down", (("grpc-status-details-bin", b"\xff\xff\xff"),)
    )

    error = errors.from_grpc_error(rpc_error)

    assert type(error) is errors.Unavailable
    assert error.reason == ""


def test_rpc_error_that_is_not_a_call() -> None:
    error = errors.from_grpc_error(grpc.RpcError("channel closed"))
    assert type(error) is errors.Unknown
    assert error.message == "channel closed"


def test_str_and_repr() -> None:
    error = errors.NotFound("page not found", reason="PAGE_NOT_FOUND")
    assert str(error) == "NOT_FOUND PAGE_NOT_FOUND: page not found"
    assert repr(error) == "NotFound(message='page not found', reason='PAGE_NOT_FOUND')"
    assert str(errors.DeadlineExceeded("Deadline Exceeded")) == "DEADLINE_EXCEEDED: Deadline Exceeded"
