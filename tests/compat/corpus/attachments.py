"""Attachments from bytes and from a file path ("Attachments" docs)."""

import os
from pathlib import Path

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

report = Path("report.json")
report.write_text('{"rows": 3}')
scope = sentry_sdk.get_isolation_scope()
scope.add_attachment(bytes=b"col1,col2\n1,2\n", filename="export.csv", content_type="text/csv")
scope.add_attachment(path=str(report))
sentry_sdk.add_attachment(bytes=b"debug", filename="debug.txt")
try:
    raise ValueError("export failed")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
