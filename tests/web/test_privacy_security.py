"""Security test (issue 12, "Done when"): a real gunicorn application under
``opentelemetry-instrument``, default options, sending to a strict Sentry receiver and to
an OTLP receiver. Requests carry credentials, tokens, cookies, client addresses, a card
number, a password and an e-mail address in headers, query and form body; the view holds
them in locals, hands its own config (a database password) to scopetel, calls a payment
service with an API key in the query, and fails. None of those values may appear in any
byte either receiver got, and the application's own dicts must be unchanged.

The values are made afresh for each run, so a match is a leak, not a coincidence.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests

from tests.e2e.harness import HeaderServer
from tests.support.otlp_receiver import OtlpHttpReceiver, OtlpSpan
from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver
from tests.web.servers import CONTEXT_ERRORS, RunningServer, Setup


def _token(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


def _card() -> str:
    """A random Visa number that passes the Luhn check."""
    digits = [4, *(random.randrange(10) for _ in range(14))]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = digit * 2 if index % 2 == 0 else digit
        total += value - 9 if value > 9 else value
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


class Secrets:
    def __init__(self) -> None:
        self.card = _card()
        self.password = _token("pw")
        self.email = f"{_token('mail')}@example.com"
        self.proxy_password = _token("proxypw")
        self.values = {
            "Authorization": _token("bearer"),
            "X-Api-Key": _token("apikey"),
            "X-Access-Token": _token("access"),
            "X-Session-Id": _token("session"),
            "X-Refresh-Token": _token("refresh"),
            "X-Secret": _token("secret"),
            "session cookie": _token("cookie"),
            "csrf cookie": _token("csrf"),
            "db password": _token("dbpass"),
            "psp key": _token("pspkey"),
        }
        octets = random.sample(range(100, 255), 3)
        self.client_ips = [f"198.51.100.{octet}" for octet in octets]

    def headers(self) -> dict[str, str]:
        values = self.values
        basic = base64.b64encode(f"proxy:{self.proxy_password}".encode()).decode()
        return {
            "Authorization": f"Bearer {values['Authorization']}",
            "Proxy-Authorization": f"Basic {basic}",
            "Cookie": f"sessionid={values['session cookie']}; csrftoken={values['csrf cookie']}",
            **{name: values[name] for name in ("X-Api-Key", "X-Access-Token", "X-Session-Id")},
            **{name: values[name] for name in ("X-Refresh-Token", "X-Secret")},
            "X-Forwarded-For": f"{self.client_ips[0]}, 10.0.0.1",
            "X-Real-IP": self.client_ips[1],
            "Forwarded": f"for={self.client_ips[2]};proto=https",
        }

    def forms(self) -> list[str]:
        """Every value, and every form it may take on the wire."""
        spaced = " ".join(self.card[i : i + 4] for i in range(0, 16, 4))
        plain = [self.card, self.password, self.email, self.proxy_password]
        plain += [*self.values.values(), *self.client_ips, spaced]
        basic = self.headers()["Proxy-Authorization"].split()[1]
        return sorted({*plain, basic, *(quote(v) for v in plain), *(quote_plus(v) for v in plain)})


@dataclass
class Run:
    secrets: Secrets
    sentry_bytes: list[bytes]  # every envelope: headers, item headers, payloads
    otlp_bytes: list[bytes]  # every request body, decompressed
    events: list[dict[str, Any]]
    otlp_spans: list[OtlpSpan]
    config: dict[str, Any]  # what GET /config answered


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Serve the requests; keep every byte both receivers got."""
    secret = Secrets()
    log = Path(tmp_path_factory.mktemp("privacy")) / "server.log"
    with SentryReceiver() as sentry, OtlpHttpReceiver() as otlp, HeaderServer() as psp:
        setup = Setup(
            "privacy-gunicorn",
            "gunicorn",
            "private_wsgi:application",
            "wsgi",
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
                # contrib also records every request header on its server span
                "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST": ".*",
                "APP_DB_PASS": secret.values["db password"],
                "APP_PSP_KEY": secret.values["psp key"],
                "APP_PSP_URL": psp.url,
            },
        )
        server = RunningServer(setup, sentry.dsn, log)
        try:
            query = f"card={secret.card}&password={secret.password}&email={quote(secret.email)}"
            form = {"card": secret.card, "password": secret.password, "cvv": "123"}
            paid = requests.post(
                f"{server.url}/pay?{query}", data=form, headers=secret.headers(), timeout=15
            )
            assert paid.status_code == 500
            config = requests.get(f"{server.url}/config", timeout=15).json()
            sentry.wait_for(lambda: len(sentry.events()) == 2 and len(sentry.transactions()) == 2)
        finally:
            server.stop()  # (SIGTERM: scopetel and the batch span processor flush)
        output = log.read_text()
        otlp.wait_for(lambda: len(otlp.spans()) >= 3)
        assert sentry.errors == [] and otlp.errors == [], output
        assert not [line for line in output.splitlines() if any(e in line for e in CONTEXT_ERRORS)]
        sentry_bytes = [
            json.dumps(envelope.headers).encode()
            + b"".join(json.dumps(item.headers).encode() + item.payload for item in envelope.items)
            for envelope in sentry.envelopes
        ]
        for payload in sentry.events() + sentry.transactions():
            assert_valid_event(payload)
        return Run(secret, sentry_bytes, otlp.bodies(), sentry.events(), otlp.spans(), config)


def _found(secret: Secrets, chunks: list[bytes]) -> list[str]:
    raw = b"\n".join(chunks)
    return [form for form in secret.forms() if form.encode() in raw]


def test_no_secret_reaches_sentry(run: Run) -> None:
    assert run.sentry_bytes
    assert _found(run.secrets, run.sentry_bytes) == []


def test_no_secret_reaches_the_otlp_collector(run: Run) -> None:
    assert run.otlp_bytes
    assert _found(run.secrets, run.otlp_bytes) == []


def test_the_applications_config_is_unchanged(run: Run) -> None:
    assert run.config == {"unchanged": True}


def test_what_was_sent_still_says_what_happened(run: Run) -> None:
    """Not vacuous: the error, its locals, headers, query and spans arrived, filtered."""
    (error,) = [event for event in run.events if "exception" in event]
    assert error["exception"]["values"][-1]["type"] == "PaymentDeclined"
    pay = error["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    assert pay["function"] == "pay"
    view = pay["vars"]
    assert (view["card"], view["password"], view["email"]) == ("[Filtered]",) * 3
    assert view["authorization"] == "[Filtered]"
    assert view["client"] == "'[Filtered], [Filtered]'"
    request = error["request"]
    assert request["headers"]["Authorization"] == "[Filtered]"
    assert request["headers"]["X-Forwarded-For"] == "[Filtered]"
    assert request["query_string"] == "card=[Filtered]&password=[Filtered]&email=[Filtered]"
    assert error["extra"]["config"]["DATABASES"]["default"]["PASSWORD"] == "[Filtered]"
    (server,) = [s for s in run.otlp_spans if s.attributes.get("http.target", "")[:4] == "/pay"]
    attributes = server.attributes
    assert attributes["http.target"] == "/pay?card=[Filtered]&password=[Filtered]&email=[Filtered]"
    assert attributes["http.request.header.authorization"] == ["[Filtered]"]
    assert attributes["http.request.header.x_forwarded_for"] == ["[Filtered]"]
    assert attributes["http.request.header.user_agent"][0].startswith("python-requests")
    (charge,) = [s for s in run.otlp_spans if "/charge" in str(s.attributes.get("http.url"))]
    assert charge.attributes["http.url"].endswith("/charge?api_key=[Filtered]&card=[Filtered]")
