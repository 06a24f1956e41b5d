"""A WSGI application careless with private data: the subject of the security test
(``tests/web/test_privacy_security.py``). No secret is written in this file (its source
lines are sent with error events): they come with the requests and the environment.

``POST /pay``  parses the query and the form body into locals, hands its own config
               (holding a database password) to ``set_extra``/``set_context`` and a
               breadcrumb, calls a payment service with an API key and the card in the
               query, captures a message, then fails.
``GET /config`` answers whether the module's config dict is as the module built it.

``APP_CONTRIB_MIDDLEWARE=1`` wraps it in contrib's ``OpenTelemetryMiddleware``.
"""

import copy
import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import requests

import scopetel

CONFIG: dict[str, Any] = {
    "DATABASES": {
        "default": {"ENGINE": "postgresql", "NAME": "shop", "PASSWORD": os.environ["APP_DB_PASS"]}
    },
    "PAYMENT": {"url": os.environ["APP_PSP_URL"], "api_key": os.environ["APP_PSP_KEY"]},
}
PRISTINE = copy.deepcopy(CONFIG)


class PaymentDeclined(Exception):
    pass


def pay(environ: dict[str, Any]) -> None:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    form = parse_qs(body.decode())
    query = parse_qs(environ["QUERY_STRING"])
    card = form["card"][0]
    password = form["password"][0]
    email = query["email"][0]
    authorization = environ.get("HTTP_AUTHORIZATION")
    client = environ.get("HTTP_X_FORWARDED_FOR")
    scopetel.set_extra("config", CONFIG)
    scopetel.set_context("database", CONFIG["DATABASES"]["default"])
    scopetel.add_breadcrumb(category="payment", message=f"paying for {email}", data=CONFIG)
    psp = CONFIG["PAYMENT"]
    answer = requests.get(
        f"{psp['url']}/charge", params={"api_key": psp["api_key"], "card": card}, timeout=5
    )
    scopetel.capture_message(f"psp answered {answer.status_code}")
    raise PaymentDeclined(f"declined: {len(password)} {authorization is None} {client is None}")


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/config":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"unchanged": CONFIG == PRISTINE}).encode()]
    if environ["PATH_INFO"] == "/pay":
        pay(environ)
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


if os.environ.get("APP_CONTRIB_MIDDLEWARE") == "1":
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    application = OpenTelemetryMiddleware(application)
