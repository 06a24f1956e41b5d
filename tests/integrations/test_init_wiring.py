"""init() sets integrations up as sentry_sdk does: the ones given with their options, the
defaults and the auto-enabling ones (installed libraries), minus the disabled ones; each
identifier's setup_once() once per process; a failing integration never stops init()."""

import logging
from typing import Any, ClassVar

import pytest

import scopetel
from scopetel._internal_errors import raise_internal_errors
from scopetel.integrations import DidNotEnable, Integration
from scopetel.integrations.dedupe import DedupeIntegration
from scopetel.integrations.django import DjangoIntegration
from scopetel.integrations.httpx import HttpxIntegration
from scopetel.integrations.logging import LoggingIntegration
from scopetel.integrations.starlette import StarletteIntegration
from scopetel.scope import add_global_event_processor
from tests.integrations.conftest import AUTO_ENABLING, Start, installed

SENTRY_DEFAULTS = ["argv", "atexit", "dedupe", "excepthook", "logging", "modules", "stdlib"]
DEFAULTS = sorted([*SENTRY_DEFAULTS, "threading"])
INSTALLED_HERE = [name for name, library in AUTO_ENABLING.items() if installed(library)]


class TenantIntegration(Integration):
    identifier = "tenant"
    setups: ClassVar[int] = 0

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @staticmethod
    def setup_once() -> None:
        TenantIntegration.setups += 1

        @add_global_event_processor
        def add_tenant(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
            integration = scopetel.get_client().get_integration(TenantIntegration)
            if isinstance(integration, TenantIntegration):
                event.setdefault("tags", {})["tenant"] = integration.tenant
            return event


def _listed(start: Start, **options: Any) -> list[str]:
    transport = start(**options)
    scopetel.capture_message("which integrations?")
    (event,) = transport.events()
    return list(event["sdk"]["integrations"])


def test_defaults_and_installed_libraries_are_listed_in_events(start: Start) -> None:
    assert _listed(start) == sorted(DEFAULTS + INSTALLED_HERE)


def test_transactions_list_them_too(start: Start) -> None:
    transport = start(
        default_integrations=False, integrations=[DedupeIntegration()], traces_sample_rate=1.0
    )
    with scopetel.start_transaction(name="job"):
        pass
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["sdk"]["integrations"] == ["dedupe"]


def test_without_auto_enabling_only_the_defaults(start: Start) -> None:
    assert _listed(start, auto_enabling_integrations=False) == DEFAULTS


def test_without_defaults_only_the_integrations_given(start: Start) -> None:
    given = [LoggingIntegration(event_level=logging.ERROR), DedupeIntegration()]
    assert _listed(start, default_integrations=False, integrations=given) == ["dedupe", "logging"]
    assert _listed(start, default_integrations=False) == []


@pytest.mark.parametrize(
    "disabled",
    [[LoggingIntegration], [LoggingIntegration()], ["logging"], ["scopetel_logging"], "logging"],
    ids=["class", "instance", "identifier", "instrumentor", "variable-style string"],
)
def test_disabled_integrations_by_class_instance_or_name(start: Start, disabled: Any) -> None:
    assert "logging" not in _listed(start, disabled_integrations=disabled)


def test_a_given_integration_replaces_the_default_of_its_identifier(start: Start) -> None:
    given = DjangoIntegration(transaction_style="function_name")
    start(integrations=[given])
    assert scopetel.get_client().get_integration(DjangoIntegration) is given
    assert scopetel.get_client().get_integration("httpx").__class__ is HttpxIntegration


def test_custom_integration_set_up_once_per_process(start: Start) -> None:
    for tenant in ("acme", "globex"):
        transport = start(integrations=[TenantIntegration(tenant)])
        scopetel.capture_message("tagged")
        assert transport.events()[0]["tags"]["tenant"] == tenant
    assert TenantIntegration.setups == 1
    assert "tenant" in scopetel.get_client().integrations


class _Missing(Integration):
    identifier = "missing-library"

    @staticmethod
    def setup_once() -> None:
        raise DidNotEnable("its library is not installed")


class _Broken(Integration):
    identifier = "broken"

    @staticmethod
    def setup_once() -> None:
        raise RuntimeError("bug in a custom integration")


def test_an_integration_that_cannot_be_enabled_never_stops_init(start: Start, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="scopetel")
    raise_internal_errors(False)
    try:
        listed = _listed(start, integrations=[_Missing(), _Broken(), StarletteIntegration()])
    finally:
        raise_internal_errors(True)
    assert "missing-library" not in listed and "broken" not in listed
    assert "starlette" in listed
    messages = [record.getMessage() for record in caplog.records]
    assert any("missing-library not enabled: its library is not installed" in m for m in messages)
    assert any("internal error in setting up integration broken" in m for m in messages)


def test_setup_once_with_options_gets_the_options(start: Start) -> None:
    seen: list[dict[str, Any]] = []

    class WithOptions(Integration):
        identifier = "with-options"

        def setup_once_with_options(self, options: dict[str, Any] | None = None) -> None:
            seen.append(dict(options or {}))

    start(integrations=[WithOptions()], environment="staging")
    assert seen[0]["environment"] == "staging"


def test_init_rejects_what_is_not_an_integration() -> None:
    with pytest.raises(TypeError, match="integrations"):
        scopetel.init(integrations=[LoggingIntegration])
    with pytest.raises(TypeError, match="disabled_integrations"):
        scopetel.init(disabled_integrations=[42])
