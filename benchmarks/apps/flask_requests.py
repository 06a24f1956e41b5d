"""The Flask app of the request-overhead benchmark (``gunicorn flask_requests:app``)."""

from flask import Flask
from requests_common import handle_request

app = Flask(__name__)


@app.get("/work")
def work() -> dict[str, object]:
    return handle_request()
