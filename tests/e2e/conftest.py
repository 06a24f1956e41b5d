"""Fixtures of the end-to-end tests: a strict Sentry receiver whose events and
transactions must all pass Relay's normalizer, OTLP receivers and a header recorder."""

from collections.abc import Iterator

import pytest

from tests.e2e.harness import HeaderServer
from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver
from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def sentry() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        yield receiver
        assert receiver.errors == []
        for payload in receiver.events() + receiver.transactions():
            assert_valid_event(payload)


@pytest.fixture
def otlp() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


@pytest.fixture
def otlp_grpc() -> Iterator[OtlpGrpcReceiver]:
    with OtlpGrpcReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


@pytest.fixture
def headers() -> Iterator[HeaderServer]:
    with HeaderServer() as server:
        yield server
