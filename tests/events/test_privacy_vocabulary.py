"""Which names and which text the scrubber treats as secret or personal (issue 12, 1 and 4)."""

import pytest

from scopetel._events.sensitive_text import looks_like_card, scrub_addresses, scrub_text
from scopetel._semconv.personal_data import (
    ADDRESS_ATTRIBUTES,
    is_personal,
    is_private,
    is_secret,
)

SECRET_NAMES = [
    # credentials however a header is spelled: HTTP, WSGI environ, snake, camel
    "Authorization",
    "HTTP_AUTHORIZATION",
    "Proxy-Authorization",
    "HTTP_PROXY_AUTHORIZATION",
    "X-Access-Token",
    "HTTP_X_ACCESS_TOKEN",
    "X-Refresh-Token",
    "X-Session-Id",
    "X-Secret",
    "X-Api-Key",
    "HTTP_X_API_KEY",
    "x_api_key",
    "apiKey",
    "accessToken",
    "X-Auth-Token",
    "http.request.header.authorization",
    # passwords and keys
    "password",
    "PASSWORD",
    "db_password",
    "passwd",
    "mysql_pwd",
    "pwd",
    "private_key",
    "AWSAccessKeyId",
    "client_secret",
    "credentials",
    "key",
    # sessions, cookies, CSRF tokens of common frameworks
    "Cookie",
    "HTTP_COOKIE",
    "Set-Cookie",
    "sessionid",
    "PHPSESSID",
    "connect.sid",
    "aiohttp_session",
    "user_session",
    "csrftoken",
    "HTTP_X_CSRFTOKEN",
    "_xsrf",
    "XSRF-TOKEN",
    # payment cards
    "card",
    "card_number",
    "cardNumber",
    "cvv",
]
PERSONAL_NAMES = [
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_USER",
    "X-Forwarded-For",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "Forwarded",
    "CF-Connecting-IP",
    "HTTP_TRUE_CLIENT_IP",
    "X-Client-IP",
    "ip_address",
    "ip",
    "email",
    "user_email",
    "raddr",
    *sorted(ADDRESS_ATTRIBUTES),
]
PUBLIC_NAMES = [
    "url.path",
    "url.scheme",
    "http.request.method",
    "http.route",
    "server.address",
    "server.port",
    "client.port",
    "user_agent.original",
    "HTTP_USER_AGENT",
    "HTTP_HOST",
    "QUERY_STRING",
    "PATH_INFO",
    "db.system",
    "db.user",
    "thread.id",
    "gen_ai.usage.input_tokens",
    "gen_ai.request.max_tokens",
    "primary_key",
    "keys",
    "username",
    "scorecard",
    "bypass",
    "description",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names_are_private_with_or_without_pii(name: str) -> None:
    assert is_secret(name) and not is_personal(name)
    assert is_private(name, send_default_pii=True)


@pytest.mark.parametrize("name", PERSONAL_NAMES)
def test_personal_names_are_private_only_without_pii(name: str) -> None:
    assert is_personal(name) and not is_secret(name)
    assert is_private(name, send_default_pii=False)
    assert not is_private(name, send_default_pii=True)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_ordinary_names_are_public(name: str) -> None:
    assert not is_private(name, send_default_pii=False)


class Hostile(str):
    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def lower(self) -> str:  # type: ignore[override]
        raise RuntimeError("lower")


def test_a_str_subclass_is_read_as_its_characters() -> None:
    assert is_secret(Hostile("db_password"))
    assert not is_secret(Hostile("region"))


TEXTS = [
    # query strings and form bodies: the value goes, the name stays
    ("password=hunter2&q=shoes", "password=[Filtered]&q=shoes"),
    ("/pay?card=4111111111111111&amount=42", "/pay?card=[Filtered]&amount=42"),
    ("n=4111+1111+1111+1111&m=1", "n=[Filtered]&m=1"),
    ("api%5Fkey=abc&x=1", "api%5Fkey=[Filtered]&x=1"),
    ("email=bob%40example.com", "email=[Filtered]"),
    ("q=&password=", "q=&password="),
    # reprs of values nested deeper than the serializer goes, and JSON text
    ("b'password=hunter2&x=1'", "b'password=[Filtered]&x=1'"),
    ("{'password': 'hunter2', 'n': 1}", "{'password': '[Filtered]', 'n': 1}"),
    ('{"access_token": "abc", "n": 1}', '{"access_token": "[Filtered]", "n": 1}'),
    ("Login(user='bob', password='hunter2')", "Login(user='bob', password=[Filtered])"),
    (
        "<socket fd=9, laddr=('127.0.0.1', 8000), raddr=('198.51.100.7', 51234)>",
        "<socket fd=9, laddr=('127.0.0.1', 8000), raddr=[Filtered]>",
    ),
    # credentials and tokens by their shape
    ("Bearer abcDEF123456", "Bearer [Filtered]"),
    ("Basic dXNlcjpwYXNz", "Basic [Filtered]"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "[Filtered]"),
    ("postgres://app:hunter2@db:5432/shop", "postgres://[Filtered]@db:5432/shop"),
    # card numbers anywhere; other long numbers and ids stay
    ("charge 4242 4242 4242 4242 failed", "charge [Filtered] failed"),
    ("card 5555-5555-5555-4444", "card [Filtered]"),
    ("order 1234567890123456", "order 1234567890123456"),
    ("at 1716800000000000000 ns", "at 1716800000000000000 ns"),
    ("trace 4111111111111111ab12cd34ef56ab78", "trace 4111111111111111ab12cd34ef56ab78"),
    # a value that is only letters and digits: a card number when it is one, else kept
    ("4111111111111111", "[Filtered]"),
    ("378282246310005", "[Filtered]"),
    ("4111111111111112", "4111111111111112"),
    ("140679516830592", "140679516830592"),  # a thread id
    ("4111111111111111ab12cd34ef56ab78", "4111111111111111ab12cd34ef56ab78"),
    ("MainThread", "MainThread"),
    # e-mail addresses are personal data
    ("contact bob@example.com", "contact [Filtered]"),
    # prose stays
    ("basic configuration of the token counter", "basic configuration of the token counter"),
    ("x = 1", "x = 1"),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_text_without_pii(text: str, expected: str) -> None:
    assert scrub_text(text, send_default_pii=False) == expected


def test_text_with_pii_keeps_personal_data_and_still_filters_secrets() -> None:
    text = "email=bob%40example.com&ip=203.0.113.7&token=abc contact bob@example.com"
    assert scrub_text(text, send_default_pii=True) == (
        "email=bob%40example.com&ip=203.0.113.7&token=[Filtered] contact bob@example.com"
    )


def test_text_without_anything_private_is_the_same_object() -> None:
    text = "GET /shop/items?page=2&sort=price " * 10
    assert scrub_text(text, send_default_pii=False) is text


@pytest.mark.parametrize(
    ("number", "card"),
    [
        ("4111111111111111", True),  # Visa
        ("4111 1111 1111 1111", True),
        ("378282246310005", True),  # American Express, 15 digits
        ("2223003122003222", True),  # Mastercard 2-series
        ("6011111111111117", True),  # Discover
        ("4111111111111112", False),  # fails Luhn
        ("1111111111111117", False),  # no card starts with 1
        ("411111111111", False),  # 12 digits
    ],
)
def test_card_numbers(number: str, card: bool) -> None:
    assert looks_like_card(number) is card


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.7, 10.0.0.1", "[Filtered], [Filtered]"),
        ("for=[2001:db8::8a2e:370:7334]", "for=[[Filtered]]"),
        ("raddr=('::1', 51234)", "raddr=('[Filtered]', 51234)"),
        ("at 12:30:45 on 2024-05-01", "at 12:30:45 on 2024-05-01"),
        ("Python 3.11.7, std::vector", "Python 3.11.7, std::vector"),
        ("999.1.1.1 and 1.2.3.4.5", "999.1.1.1 and 1.2.3.4.5"),
    ],
)
def test_ip_addresses_in_text(text: str, expected: str) -> None:
    assert scrub_addresses(text) == expected


def test_scrubbing_remembered_across_passes_follows_each_passs_options() -> None:
    """What a text scrubs to is remembered across events, per options: the same text
    filtered in one pass is kept in a pass with ``send_default_pii`` and vice versa."""
    from scopetel._events.scrubber import Scrub

    email = "reply to jane.doe@example.com"
    for _ in range(3):
        assert Scrub(False).text(email) == "reply to [Filtered]"
        assert Scrub(True).text(email) == email
        assert Scrub(False).value({"password": "hunter22"}) == {"password": "[Filtered]"}
        assert Scrub(True).value({"password": "hunter22"}) == {"password": "[Filtered]"}
        assert Scrub(True).value({"email": email}) == {"email": email}
        assert Scrub(False).value({"email": email}) == {"email": "[Filtered]"}


def test_scrubbing_memory_across_passes_is_bounded() -> None:
    from scopetel._events import scrubber

    scrub = scrubber.Scrub(False)
    for index in range(3 * scrubber._MOST_KNOWN):
        scrub.text(f"request {index} of many")
        scrub.value({f"key_{index}": "value"})
    assert len(scrubber._KNOWN_TEXTS[False, False]) <= scrubber._MOST_KNOWN
    assert len(scrubber._PRIVATE_KEYS[False]) <= scrubber._MOST_KNOWN
    long_text = "x=" + "y" * scrubber._LONGEST_KNOWN
    scrub.text(long_text)
    assert long_text not in scrubber._KNOWN_TEXTS[False, False]  # this pass only
