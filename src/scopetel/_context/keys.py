"""Keys of the values scopetel keeps in the OpenTelemetry Context.

The active span is stored under OpenTelemetry's own key (``trace.set_span_in_context``)
so that spans of any instrumentation see ours as parents and vice versa.
"""

from typing import Final

from opentelemetry.context import Context, create_key
from opentelemetry.trace import INVALID_SPAN, set_span_in_context

CURRENT_SCOPE: Final = create_key("scopetel.current_scope")
ISOLATION_SCOPE: Final = create_key("scopetel.isolation_scope")
ENTRY: Final = create_key("scopetel.entry")  # the entries.Entry that attached this Context
DSC: Final = create_key(
    "scopetel.dsc"
)  # incoming DynamicSamplingContext (continue_trace / extract)
# custom_sampling_context of start_transaction(), read by the sampler from the parent Context
CUSTOM_SAMPLING_CONTEXT: Final = create_key("scopetel.custom_sampling_context")
# the scopetel Span facade of the active span, so get_current_span() returns the same object
SPAN_FACADE: Final = create_key("scopetel.span_facade")
# the deprecated sentry_sdk Hub entered by ``with hub:`` (what Hub.current returns there)
HUB: Final = create_key("scopetel.hub")
# start_transaction(sampled=True/False): a decision forced on the sampler for that root
FORCED_SAMPLED: Final = create_key("scopetel.forced_sampled")

# OpenTelemetry's own key of the active span, learnt through its public API (whatever
# set_span_in_context writes into an empty Context), so that entering a span builds one
# Context instead of two.
SPAN: Final = next(iter(set_span_in_context(INVALID_SPAN, Context())))
