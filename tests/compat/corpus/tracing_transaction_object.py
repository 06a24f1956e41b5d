"""sentry_sdk.tracing's Transaction and TransactionSource, started explicitly."""

import os

import sentry_sdk
from sentry_sdk.tracing import Span, Transaction, TransactionSource

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

transaction = Transaction(
    name="tasks.rebuild_thumbnails", op="queue.task", source=TransactionSource.TASK
)
with sentry_sdk.start_transaction(transaction) as running:
    with running.start_child(op="image.resize", description="thumb 64x64") as child:
        if not isinstance(child, Span):
            raise SystemExit("start_child returned no Span")
sentry_sdk.flush()
