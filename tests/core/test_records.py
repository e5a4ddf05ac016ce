"""The page-record enums and the planocr.v1 enums they map to."""

from __future__ import annotations

import pytest

from planocr.client import _requests as client_requests
from planocr.core.records import PageState, TextSource, TextSourceMode
from planocr.rpc import convert
from planocr.v1 import page_pb2


@pytest.mark.parametrize("enum, proto", [(PageState, page_pb2.PageState), (TextSource, page_pb2.TextSource),
                                         (TextSourceMode, page_pb2.TextSourceMode)])
def test_every_member_has_a_planocr_v1_value_and_every_value_a_member(enum, proto):
    names = {member.proto_name for member in enum}
    assert names <= set(proto.keys())
    assert set(proto.keys()) - names == {proto.Name(0)}  # only UNSPECIFIED has no member


def test_stored_values_as_messages_and_back():
    assert convert.page_state("error") == page_pb2.PAGE_STATE_FAILED
    assert convert.page_state("archived") == page_pb2.PAGE_STATE_UNSPECIFIED
    assert convert.text_source("text-layer+ocr") == page_pb2.TEXT_SOURCE_TEXT_LAYER_AND_OCR
    assert convert.text_source(None) == page_pb2.TEXT_SOURCE_UNSPECIFIED
    for mode in TextSourceMode:
        assert convert.text_source_mode(page_pb2.TextSourceMode.Value(mode.proto_name)) == mode
    assert convert.text_source_mode(page_pb2.TEXT_SOURCE_MODE_UNSPECIFIED) is None
    with pytest.raises(ValueError):
        convert.text_source_mode(99)


def test_the_client_sends_each_text_source_mode_as_the_server_reads_it():
    """The fan-out passes a page's mode to its peers by value ("text-layer"), through the client."""
    for mode in TextSourceMode:
        assert convert.text_source_mode(client_requests.text_source_mode(mode.value)) == mode
