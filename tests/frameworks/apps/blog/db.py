"""The blog's database: a SQLAlchemy engine on sqlite, its schema made at start-up."""

from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, text

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS user (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT UNIQUE NOT NULL,
        password TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS post (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        author_id INTEGER NOT NULL REFERENCES user (id),
        created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        title TEXT NOT NULL,
        body TEXT NOT NULL)""",
)


def init_app(app: Flask) -> None:
    """Make the engine and the schema: the start-up SQL, outside any request."""
    engine = create_engine(f"sqlite:///{app.config['DATABASE']}")
    with engine.begin() as connection:
        for statement in SCHEMA:
            connection.execute(text(statement))
        connection.execute(text("SELECT count(*) FROM post")).scalar_one()
    app.extensions["blog.engine"] = engine


def engine() -> Engine:
    found: Engine = current_app.extensions["blog.engine"]
    return found


def query(statement: str, **params: Any) -> list[dict[str, Any]]:
    with engine().connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(statement), params)]


def change(statement: str, **params: Any) -> int | None:
    """Run an INSERT/UPDATE/DELETE in its own transaction; the new row's id, if any."""
    with engine().begin() as connection:
        result = connection.execute(text(statement), params)
        return result.lastrowid
