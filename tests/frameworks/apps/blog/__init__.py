"""A small blog in the manner of Flask's tutorial ("flaskr"): users, posts in sqlite through
SQLAlchemy, a redis cache for single posts, and views that fail on purpose.

Served as ``gunicorn blog.wsgi:app``. Settings come from the environment:
``BLOG_DATABASE`` (sqlite file), ``REDIS_URL`` (cache; none without it).
"""

import os

from flask import Flask
from sdk import sentry_sdk  # noqa: F401  (the comparison run initialises sentry-sdk first)


def create_app() -> Flask:
    from blog import auth, db, posts

    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY="only-for-tests",
        DATABASE=os.environ.get("BLOG_DATABASE", os.path.join(app.instance_path, "blog.sqlite")),
    )
    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.add_url_rule("/", endpoint="index")
    return app
