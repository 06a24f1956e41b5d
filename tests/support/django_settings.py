"""Django configured once per test process for tests that drive it in-process (each test
module names its own URLconf with ``override_settings(ROOT_URLCONF=...)``)."""


def configure_django() -> None:
    """Minimal settings (no apps, no middleware of Django's), unless already configured."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="not-secret",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=None,
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            LOGGING_CONFIG=None,
        )
        django.setup()
