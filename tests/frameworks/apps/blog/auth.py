"""Registration and login; the logged-in user is loaded for every request and handed to
the SDK with ``set_user``, as a Sentry user would."""

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, g, redirect, request, session, url_for
from sdk import sentry_sdk
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from blog import db

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def load_logged_in_user() -> None:
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        rows = db.query("SELECT id, username FROM user WHERE id = :id", id=user_id)
        g.user = rows[0] if rows else None
    if g.user is not None:
        sentry_sdk.set_user({"id": str(g.user["id"]), "username": g.user["username"]})


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped


@bp.post("/register")
def register() -> tuple[str, int]:
    username, password = request.form["username"], request.form["password"]
    hashed = generate_password_hash(password, method="pbkdf2:sha256:1000")
    try:
        db.change("INSERT INTO user (username, password) VALUES (:u, :p)", u=username, p=hashed)
    except Exception:
        return f"User {username} is already registered.", 409
    return "registered", 201


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "GET":
        return "log in with POST username=&password="
    rows = db.query("SELECT id, password FROM user WHERE username = :u", u=request.form["username"])
    if not rows or not check_password_hash(rows[0]["password"], request.form["password"]):
        abort(403)
    session.clear()
    session["user_id"] = rows[0]["id"]
    return redirect(url_for("index"))


@bp.get("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("index"))
