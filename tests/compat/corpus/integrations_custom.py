"""A custom Integration subclass with setup_once and a global event processor."""

import os
from typing import Any

import sentry_sdk
from sentry_sdk.integrations import Integration
from sentry_sdk.scope import add_global_event_processor


class TenantIntegration(Integration):
    identifier = "tenant"

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @staticmethod
    def setup_once() -> None:
        @add_global_event_processor
        def add_tenant(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
            integration = sentry_sdk.get_client().get_integration(TenantIntegration)
            if integration is not None:
                event.setdefault("tags", {})["tenant"] = integration.tenant
            return event


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], integrations=[TenantIntegration("acme")])
sentry_sdk.capture_message("Tagged by a custom integration")
sentry_sdk.flush()
