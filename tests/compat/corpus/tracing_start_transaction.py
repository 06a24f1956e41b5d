"""A transaction with children: start_transaction, start_child, set_data, set_tag."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0, release="etl@1.0")

with sentry_sdk.start_transaction(op="task", name="import-products") as transaction:
    transaction.set_tag("source", "ftp")
    with transaction.start_child(op="file.read", description="products.csv") as span:
        span.set_data("bytes", 2048)
    with transaction.start_child(op="db", description="INSERT products") as span:
        span.set_tag("table", "products")
        with span.start_child(op="db.commit"):
            pass
    transaction.set_data("rows", 120)
sentry_sdk.flush()
