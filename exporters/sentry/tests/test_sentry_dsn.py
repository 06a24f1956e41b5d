"""DSN parsing: the forms Sentry hands out, and clear errors that never leak the secret."""

import pytest
from scopetel_exporter_sentry import Dsn, InvalidDsn


def test_saas_dsn() -> None:
    dsn = Dsn.parse("https://abc123@o42.ingest.us.sentry.io/4506")
    assert (dsn.scheme, dsn.public_key, dsn.secret_key) == ("https", "abc123", None)
    assert (dsn.host, dsn.port, dsn.path, dsn.project_id) == (
        "o42.ingest.us.sentry.io",
        None,
        "",
        "4506",
    )
    assert dsn.envelope_url == "https://o42.ingest.us.sentry.io/api/4506/envelope/"
    assert dsn.auth_header("scopetel/0.1.0") == (
        "Sentry sentry_key=abc123, sentry_version=7, sentry_client=scopetel/0.1.0"
    )


def test_self_hosted_with_port_prefix_and_secret() -> None:
    dsn = Dsn.parse("  http://pub:s3cret@sentry.example.com:9000/prefix/sub/7/ ")
    assert dsn.envelope_url == "http://sentry.example.com:9000/prefix/sub/api/7/envelope/"
    assert dsn.secret_key == "s3cret"
    assert "s3cret" not in repr(dsn)
    assert "sentry_secret=s3cret" in dsn.auth_header("x/1")


def test_ipv6_host() -> None:
    dsn = Dsn.parse("http://key@[::1]:8000/3")
    assert dsn.host == "::1"
    assert dsn.envelope_url == "http://[::1]:8000/api/3/envelope/"


def test_dsn_is_frozen_and_comparable() -> None:
    dsn = Dsn.parse("https://k@h/1")
    assert dsn == Dsn.parse("https://k@h/1")
    with pytest.raises(AttributeError):
        dsn.host = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "DSN is empty"),
        ("   ", "DSN is empty"),
        ("ftp://key:topsecret@host/1", "scheme must be http or https, got 'ftp'"),
        ("key:topsecret@host/1", "scheme must be http or https"),
        ("https://host/1", "no public key"),
        ("https://:topsecret@host/1", "no public key"),
        ("https://key:topsecret@/1", "no host"),
        ("https://key:topsecret@host", "no project id"),
        ("https://key:topsecret@host/", "no project id"),
        ("https://key:topsecret@host/abc", "project id must be numeric, got 'abc'"),
        ("https://key:topsecret@host:http/1", "port is not a number"),
        ("https://key:topsecret@host:99999/1", "port is not a number"),
        ("https://key:topsecret@[::1/1", "not a valid URL"),
    ],
)
def test_invalid_dsns_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(InvalidDsn, match=message) as raised:
        Dsn.parse(value)
    assert "topsecret" not in str(raised.value)
    assert isinstance(raised.value, ValueError)
