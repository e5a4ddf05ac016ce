"""S3Storage beyond the shared contract: URL parsing, bucket creation, outages, secrets.

Outage tests run their own moto server process so stopping it cannot disturb
the session server the contract tests share. The error-status tests use a
tiny HTTP server that answers every request with one fixed S3 error.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from minio import Minio

from planocr.errors import Code, InvalidArgument, NotFound, PlanocrError, Reason, Unavailable
from planocr.storage import open_storage
from planocr.storage.s3 import S3Storage
from tests.support.s3server import MotoServer

SECRET = MotoServer.secret_key


def raw_client(server: MotoServer) -> Minio:
    return Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region=server.region,
    )


def assert_secret_free(*things: object) -> None:
    """The secret is in no repr/str of these, nor anywhere in an exception's formatted chain."""
    for thing in things:
        assert SECRET not in repr(thing)
        assert SECRET not in str(thing)
        if isinstance(thing, BaseException):
            assert SECRET not in "".join(traceback.format_exception(thing))


def assert_unavailable(call: Callable[[], object], within: float = 5.0) -> Unavailable:
    started = time.monotonic()
    with pytest.raises(Unavailable) as info:
        call()
    elapsed = time.monotonic() - started
    assert elapsed < within, f"took {elapsed:.1f} s to report the outage"
    assert info.value.reason == Reason.STORAGE_UNAVAILABLE
    assert info.value.code == Code.UNAVAILABLE
    assert info.value.retryable
    return info.value


# -- URL parsing (no server needed) --------------------------------------------------


def test_url_defaults() -> None:
    store = S3Storage.from_url("s3://plans")
    assert (store.bucket, store.prefix) == ("plans", "")
    assert store.endpoint == "s3.amazonaws.com"
    assert store.secure is True
    assert store.region is None


def test_url_with_every_part() -> None:
    store = S3Storage.from_url(
        "s3://plans/tenants/acme/?endpoint=minio.local:9000&secure=false&region=eu-west-3"
    )
    assert (store.bucket, store.prefix) == ("plans", "tenants/acme/")
    assert store.endpoint == "minio.local:9000"
    assert store.secure is False
    assert store.region == "eu-west-3"


def test_open_storage_builds_s3_storage() -> None:
    store = open_storage("s3://plans?endpoint=127.0.0.1:9&secure=false", access_key="k", secret_key="s")
    assert isinstance(store, S3Storage)
    assert store.kind == "s3"


@pytest.mark.parametrize(
    "url",
    [
        "s3://",
        "s3:///prefix",
        "s3://plans/../other",
        "s3://plans?endpoint=host:9000&secure=maybe",
        "s3://plans?endpont=host:9000",
        "s3://plans?endpoint=",
        "s3://plans?secure=true&secure=false",
        "s3://plans?endpoint=http://host:9000/path",
        "s3://b",
        "s3://Not_A_Valid..Bucket",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        S3Storage.from_url(url)
    assert info.value.reason == Reason.INVALID_ARGUMENT


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(InvalidArgument) as info:
        S3Storage.from_url(f"s3://AKIA:{SECRET}@plans?endpoint=host:9000")
    assert_secret_free(info.value)


def test_access_key_without_secret_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        S3Storage.from_url("s3://plans", access_key="only-the-key")


def test_repr_names_the_bucket_but_not_the_secret() -> None:
    store = S3Storage.from_url(
        "s3://plans/p?endpoint=host:9000&secure=false", access_key="AK", secret_key=SECRET
    )
    assert "plans" in repr(store) and "host:9000" in repr(store)
    assert_secret_free(store, vars(store))


# -- against the session moto server -------------------------------------------------


@pytest.fixture
def s3(moto_server: MotoServer, bucket_name: str) -> Iterator[S3Storage]:
    store = S3Storage.from_url(moto_server.url(bucket_name), **moto_server.credentials)
    yield store
    store.close()


def test_bucket_is_created_on_first_use(s3: S3Storage, moto_server: MotoServer) -> None:
    client = raw_client(moto_server)
    assert not client.bucket_exists(s3.bucket)
    s3.put("k", b"v")
    assert client.bucket_exists(s3.bucket)


def test_existing_bucket_is_used_as_is(moto_server: MotoServer, bucket_name: str) -> None:
    client = raw_client(moto_server)
    client.make_bucket(bucket_name)
    store = S3Storage.from_url(moto_server.url(bucket_name), **moto_server.credentials)
    store.put("k", b"v")
    assert client.get_object(bucket_name, "k").read() == b"v"


def test_concurrent_first_use_creates_the_bucket_once(s3: S3Storage) -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put(f"first/{i}", str(i).encode()), range(16)))
    assert sorted(s3.list("first/")) == sorted(f"first/{i}" for i in range(16))


def test_url_prefix_scopes_every_operation(moto_server: MotoServer, bucket_name: str) -> None:
    acme = S3Storage.from_url(moto_server.url(bucket_name, "tenants/acme"), **moto_server.credentials)
    other = S3Storage.from_url(moto_server.url(bucket_name, "tenants/other"), **moto_server.credentials)
    whole = S3Storage.from_url(moto_server.url(bucket_name), **moto_server.credentials)

    acme.put("doc/p1", b"acme")
    other.put("doc/p1", b"other")

    assert sorted(whole.list()) == ["tenants/acme/doc/p1", "tenants/other/doc/p1"]
    assert list(acme.list()) == ["doc/p1"]
    assert acme.get("doc/p1") == b"acme"
    acme.delete_prefix("")
    assert sorted(whole.list()) == ["tenants/other/doc/p1"]
    assert other.get("doc/p1") == b"other"


def test_content_type_is_stored(s3: S3Storage, moto_server: MotoServer) -> None:
    s3.put("page.png", b"\x89PNG", content_type="image/png")
    assert raw_client(moto_server).stat_object(s3.bucket, "page.png").content_type == "image/png"


@pytest.mark.slow
def test_delete_prefix_beyond_one_batch(s3: S3Storage) -> None:
    # S3 deletes at most 1000 keys per request.
    keys = [f"many/{i:04d}" for i in range(1003)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: s3.put(key, b""), keys))
    s3.put("keep/me", b"1")
    s3.delete_prefix("many/")
    assert list(s3.list()) == ["keep/me"]


def test_not_found_error_is_secret_free(s3: S3Storage) -> None:
    with pytest.raises(NotFound) as info:
        s3.get("missing")
    assert_secret_free(info.value)


# -- outages: a moto server of our own ----------------------------------------------


@pytest.fixture
def own_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def test_stopped_server_raises_unavailable_quickly_and_recovers(own_server: MotoServer) -> None:
    store = S3Storage.from_url(own_server.url("outage"), **own_server.credentials)
    store.put("before", b"1")

    own_server.stop()
    errors = [
        assert_unavailable(lambda: store.put("k", b"v")),
        assert_unavailable(lambda: store.get("before")),
        assert_unavailable(lambda: store.exists("before")),
        assert_unavailable(lambda: store.delete("before")),
        assert_unavailable(lambda: list(store.list())),
        assert_unavailable(lambda: store.delete_prefix("")),
        assert_unavailable(store.check),
    ]
    assert_secret_free(store, *errors)

    own_server.start()
    store.check()
    # moto keeps nothing across a restart: the bucket is recreated on the next write.
    store.put("after", b"2")
    assert store.get("after") == b"2"
    assert list(store.list()) == ["after"]


def test_storage_opened_during_an_outage_works_once_the_server_is_back(own_server: MotoServer) -> None:
    own_server.stop()
    store = S3Storage.from_url(own_server.url("late"), **own_server.credentials)
    assert_unavailable(lambda: store.put("k", b"v"))
    own_server.start()
    store.put("k", b"v")
    assert store.get("k") == b"v"


def test_server_that_never_answers_times_out() -> None:
    # A listening socket that accepts connections (the kernel does) but never replies.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        store = S3Storage.from_url(
            f"s3://plans?endpoint=127.0.0.1:{port}&secure=false&region=us-east-1", read_timeout=0.5
        )
        assert_unavailable(store.check, within=4.0)


# -- error statuses from a server ----------------------------------------------------


class FixedAnswer:
    """An HTTP server on loopback that answers every request with one status and body."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/xml") -> None:
        self.requests = 0
        answer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                answer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _reply

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"s3://plans?endpoint=127.0.0.1:{self.server.server_address[1]}&secure=false&region=us-east-1"

    def __enter__(self) -> FixedAnswer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def s3_error(code: str) -> bytes:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
        f"<Message>{code}</Message><RequestId>r1</RequestId></Error>"
    ).encode()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (503, s3_error("SlowDown"), "application/xml"),
        (500, s3_error("InternalError"), "application/xml"),
        (502, b"<html>bad gateway</html>", "text/html"),
    ],
    ids=["503-xml", "500-xml", "502-html"],
)
def test_server_errors_are_retried_a_bounded_number_of_times(
    status: int, body: bytes, content_type: str
) -> None:
    with FixedAnswer(status, body, content_type) as server:
        store = S3Storage.from_url(server.url, access_key="AK", secret_key=SECRET)
        error = assert_unavailable(lambda: store.get("k"))
        assert server.requests == 3  # the first try and two retries
        assert_secret_free(error)


def test_refused_request_is_unavailable_and_not_retried() -> None:
    with FixedAnswer(403, s3_error("SignatureDoesNotMatch")) as server:
        store = S3Storage.from_url(server.url, access_key="AK", secret_key=SECRET)
        error = assert_unavailable(lambda: store.get("k"))
        assert server.requests == 1
        assert "HTTP 403" in error.message
        assert_secret_free(error)
        assert isinstance(error, PlanocrError)
