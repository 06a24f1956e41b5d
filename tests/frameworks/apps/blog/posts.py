"""The blog's posts: list, show (cached), create, update, delete, and a view that fails."""

import logging
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template_string, request, url_for
from sdk import sentry_sdk
from werkzeug.wrappers import Response

from blog import db
from blog.auth import login_required
from blog.cache import cached, forget

bp = Blueprint("posts", __name__)
log = logging.getLogger("blog.posts")

INDEX = """<h1>Posts</h1>{% for post in posts %}
<article><h2>{{ post.title }}</h2><p>by {{ post.username }}</p><p>{{ post.body }}</p></article>
{% endfor %}"""


@bp.get("/")
def index() -> str:
    posts = db.query(
        "SELECT p.id, title, body, created, author_id, username"
        " FROM post p JOIN user u ON p.author_id = u.id ORDER BY created DESC"
    )
    return render_template_string(INDEX, posts=posts)


def get_post(id: int, check_author: bool = True) -> dict[str, Any]:
    def load() -> dict[str, Any] | None:
        rows = db.query(
            "SELECT p.id, title, body, created, author_id, username"
            " FROM post p JOIN user u ON p.author_id = u.id WHERE p.id = :id",
            id=id,
        )
        return rows[0] if rows else None

    post = cached(f"post:{id}", load)
    if post is None:
        abort(404, f"Post id {id} doesn't exist.")
    if check_author and post["author_id"] != g.user["id"]:
        abort(403)
    return post


@bp.get("/<int:id>")
def show(id: int) -> dict[str, Any]:
    return get_post(id, check_author=False)


@bp.post("/create")
@login_required
def create() -> tuple[dict[str, Any], int]:
    new_id = db.change(
        "INSERT INTO post (title, body, author_id) VALUES (:t, :b, :a)",
        t=request.form["title"],
        b=request.form.get("body", ""),
        a=g.user["id"],
    )
    log.info("post %s created", new_id)
    return {"id": new_id}, 201


@bp.route("/<int:id>/update", methods=["GET", "POST"])
@login_required
def update(id: int) -> Response | dict[str, Any]:
    post = get_post(id)
    if request.method == "GET":
        return post
    db.change(
        "UPDATE post SET title = :t, body = :b WHERE id = :id",
        t=request.form["title"],
        b=request.form.get("body", ""),
        id=id,
    )
    forget(f"post:{id}")
    return redirect(url_for("posts.show", id=id))


@bp.post("/<int:id>/delete")
@login_required
def delete(id: int) -> Response:
    get_post(id)
    db.change("DELETE FROM post WHERE id = :id", id=id)
    forget(f"post:{id}")
    return redirect(url_for("index"))


@bp.get("/<int:id>/boom")
@login_required
def boom(id: int) -> str:
    """Fails after leaving traces a user would want on the event: a tag, a breadcrumb."""
    post = get_post(id, check_author=False)
    sentry_sdk.set_tag("blog.post", str(id))
    log.info("about to fail on post %s", id)
    raise RuntimeError(f"boom on post {post['id']}")
