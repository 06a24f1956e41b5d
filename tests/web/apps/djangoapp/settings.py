"""A Django project without a database, for scopetel's web tests."""

SECRET_KEY = "scopetel-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djangoapp.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["djangoapp.middleware.header_user"]
DATABASES: dict[str, object] = {}
USE_TZ = True
LOGGING_CONFIG = None  # Django's defaults would mail admins; errors reach scopetel anyway
