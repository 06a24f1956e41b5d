"""A single-file Django app served through its WSGI handler; one view fails.

DjangoIntegration(transaction_style="url"): transactions are named after the URL pattern.
"""

import io
import os
import wsgiref.util
from typing import Any

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="not-secret",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
)

import sentry_sdk  # noqa: E402
from sentry_sdk.integrations.django import DjangoIntegration  # noqa: E402

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    integrations=[DjangoIntegration(transaction_style="url", middleware_spans=False)],
    traces_sample_rate=1.0,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def order_detail(request: HttpRequest, order_id: int) -> JsonResponse:
    sentry_sdk.set_tag("order_id", order_id)
    if order_id == 13:
        raise LookupError(f"order {order_id} was archived")
    return JsonResponse({"id": order_id})


urlpatterns = [path("orders/<int:order_id>/", order_detail)]
application = get_wsgi_application()


def get(path: str, query: str = "") -> str:
    """What a WSGI server does for one GET request."""
    environ: dict[str, Any] = {"PATH_INFO": path, "QUERY_STRING": query}
    wsgiref.util.setup_testing_defaults(environ)
    environ["wsgi.errors"] = io.StringIO()
    status: list[str] = []
    body = application(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    body.close()  # as every WSGI server does (PEP 3333)
    return status[0]


get("/orders/7/", "expand=lines")
get("/orders/13/")
sentry_sdk.flush()
