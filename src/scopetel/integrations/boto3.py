"""``sentry_sdk.integrations.boto3``: AWS calls made with boto3/botocore."""

from scopetel.integrations._base import Integration, require
from scopetel.integrations._instrumentors import instrument

require("botocore", "botocore")


class Boto3Integration(Integration):
    """A span per AWS API call inside a transaction, through OpenTelemetry's botocore
    instrumentation (``opentelemetry-instrumentation-botocore``)."""

    identifier = "boto3"

    def setup(self) -> None:
        instrument("botocore", when_imported="botocore")
