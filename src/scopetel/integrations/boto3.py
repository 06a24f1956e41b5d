"""``sentry_sdk.integrations.boto3``: AWS calls made with boto3/botocore."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration

require("botocore", "botocore")


class Boto3Integration(InstrumentorIntegration):
    """A span per AWS API call inside a transaction, through OpenTelemetry's botocore
    instrumentation (``opentelemetry-instrumentation-botocore``)."""

    identifier = "boto3"
    library = "botocore"
    instrumentors = ("botocore",)
