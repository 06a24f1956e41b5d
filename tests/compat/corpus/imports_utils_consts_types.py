"""Helpers real code imports from sentry_sdk.utils, sentry_sdk.consts and sentry_sdk.types."""

import os

import sentry_sdk
from sentry_sdk.consts import DEFAULT_MAX_VALUE_LENGTH, OP, SPANDATA, VERSION
from sentry_sdk.types import Event, Hint
from sentry_sdk.utils import BadDsn, Dsn, capture_internal_exceptions, event_from_exception, logger


def before_send(event: Event, hint: Hint) -> Event:
    event.setdefault("tags", {})["sdk_major"] = VERSION.split(".")[0]
    return event


dsn = Dsn(os.environ["SENTRY_DSN"])
try:
    Dsn("not a dsn")
except BadDsn:
    bad_dsn_rejected = True
sentry_sdk.init(dsn=str(dsn), before_send=before_send, traces_sample_rate=1.0)
sentry_sdk.set_tag("project", dsn.project_id)
sentry_sdk.set_tag("bad_dsn_rejected", bad_dsn_rejected)
sentry_sdk.set_extra("max_value_length", DEFAULT_MAX_VALUE_LENGTH)
logger.debug("not shown")

with capture_internal_exceptions():
    with sentry_sdk.start_transaction(op=OP.QUEUE_TASK_CELERY, name="tasks.export"):
        with sentry_sdk.start_span(op=OP.DB, name="SELECT 1") as span:
            span.set_data(SPANDATA.DB_SYSTEM, "postgresql")

try:
    raise ArithmeticError("rounding overflow")
except ArithmeticError as error:
    event, hint = event_from_exception(error, client_options=sentry_sdk.get_client().options)
    event["tags"] = {"built": "by hand"}
    sentry_sdk.capture_event(event, hint=hint)
sentry_sdk.flush()
