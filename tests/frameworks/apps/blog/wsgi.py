"""The WSGI entry point: ``gunicorn blog.wsgi:app``."""

from blog import create_app

app = create_app()
