"""``sys.exit()`` in a thread ends the thread; it is not an error."""

import sys
import threading

import pytest
from scopetel_instrumentation_stdlib.excepthook import ExcepthookInstrumentor

import scopetel
from scopetel.testing import capture_envelopes

WSGI_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.7",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "shop.example",
}


# -- 5. threading.excepthook reports sys.exit() in a thread --------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_sys_exit_in_a_thread_is_not_an_error() -> None:
    instrumentor = ExcepthookInstrumentor()
    was_instrumented = instrumentor.is_instrumented_by_opentelemetry
    if not was_instrumented:
        instrumentor.instrument()
    try:
        with capture_envelopes(default_integrations=False) as transport:
            thread = threading.Thread(target=sys.exit, args=(0,))
            thread.start()
            thread.join(10)
            scopetel.flush()
    finally:
        if not was_instrumented:
            instrumentor.uninstrument()
    assert transport.events() == []
