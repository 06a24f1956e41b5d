"""Options real apps pass that change nothing in this script: they must be accepted."""

import os

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    profiles_sample_rate=0.0,
    profile_session_sample_rate=0.0,
    max_request_body_size="always",
    auto_session_tracking=True,
    spotlight=False,
    include_source_context=False,
    project_root=os.getcwd(),
    enable_backpressure_handling=False,
    enable_db_query_source=True,
    db_query_source_threshold_ms=100,
    add_full_stack=False,
    max_stack_frames=50,
    debug=False,
    auto_enabling_integrations=True,
    _experiments={},
)
sentry_sdk.capture_message("Started with every option")
sentry_sdk.flush()
