"""The Sentry-shaped API the test applications call, from one of two SDKs.

Under ``opentelemetry-instrument`` (the normal case) it is scopetel, configured by the
environment. With ``COMPARE_SENTRY_SDK=1`` (the side-by-side comparison, in a virtualenv
holding the real sentry-sdk) it is ``sentry_sdk``, initialised here with its default
integrations, the way its documentation tells a user to: once, at start-up, before the
framework's application object is made.
"""

import os
from types import ModuleType


def _sdk() -> ModuleType:
    if os.environ.get("COMPARE_SENTRY_SDK") == "1":
        import sentry_sdk

        profiling: dict[str, object] = {}  # sentry-sdk reads no profiling variable itself
        if "SENTRY_PROFILE_SESSION_SAMPLE_RATE" in os.environ:
            profiling["profile_session_sample_rate"] = float(
                os.environ["SENTRY_PROFILE_SESSION_SAMPLE_RATE"]
            )
            profiling["profile_lifecycle"] = os.environ.get("SENTRY_PROFILE_LIFECYCLE", "manual")
        sentry_sdk.init(
            dsn=os.environ["SENTRY_DSN"],
            traces_sample_rate=1.0,
            release=os.environ.get("SENTRY_RELEASE"),
            send_default_pii=False,
            **profiling,  # type: ignore[arg-type]
        )
        return sentry_sdk
    import scopetel

    return scopetel


sentry_sdk = _sdk()
