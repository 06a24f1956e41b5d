"""Django behind its WSGI handler: transaction_style="function_name", middleware spans, a POST.

The request body is attached to the error event (max_request_body_size="always").
"""

import io
import os
import urllib.parse
import wsgiref.util
from typing import Any

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="not-secret",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
)

import sentry_sdk  # noqa: E402
from sentry_sdk.integrations.django import DjangoIntegration  # noqa: E402

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    integrations=[DjangoIntegration(transaction_style="function_name")],
    traces_sample_rate=1.0,
    max_request_body_size="always",
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


@csrf_exempt
def signup(request: HttpRequest) -> HttpResponse:
    if request.POST.get("plan") == "enterprise":
        raise PermissionError("enterprise sign-up needs sales")
    return HttpResponse("welcome", status=201)


urlpatterns = [path("signup/", signup)]
application = get_wsgi_application()


def post_form(path: str, form: dict[str, str]) -> None:
    body = urllib.parse.urlencode(form).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
    }
    wsgiref.util.setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = io.StringIO()
    response = application(environ, lambda status, headers, exc_info=None: None)
    b"".join(response)
    response.close()  # as every WSGI server does (PEP 3333)


post_form("/signup/", {"email": "a@example.com", "plan": "free"})
post_form("/signup/", {"email": "b@example.com", "plan": "enterprise"})
sentry_sdk.flush()
