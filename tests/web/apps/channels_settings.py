"""Settings of ``channels_app`` (DJANGO_SETTINGS_MODULE=channels_settings)."""

DEBUG = False
SECRET_KEY = "channels-test"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
ROOT_URLCONF = "channels_app"
