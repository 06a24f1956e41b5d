"""What the tests and the comparison do to the apps: the same requests and tasks for both
runtimes, one small step per function so that tests can pick the step they check."""

from __future__ import annotations

import time
from typing import Any

import requests
from celery import Celery, chain, group, states

TIMEOUT = 10


def blog_login(url: str, username: str) -> requests.Session:
    """Register ``username`` and log in; the session carries the login cookie."""
    session = requests.Session()
    form = {"username": username, "password": "correct horse"}
    session.post(f"{url}/auth/register", data=form, timeout=TIMEOUT)
    session.post(f"{url}/auth/login", data=form, timeout=TIMEOUT).raise_for_status()
    return session


def blog_new_post(session: requests.Session, url: str, title: str) -> int:
    response = session.post(f"{url}/create", data={"title": title, "body": "hi"}, timeout=TIMEOUT)
    response.raise_for_status()
    post_id: int = response.json()["id"]
    return post_id


def blog_workload(url: str) -> dict[str, int]:
    """A user session on the blog; the status of each request, by a short name."""
    session = blog_login(url, "ada")
    post = blog_new_post(session, url, "first")
    statuses = {
        "index": session.get(f"{url}/", timeout=TIMEOUT).status_code,
        "show (cache miss)": session.get(f"{url}/{post}", timeout=TIMEOUT).status_code,
        "show (cache hit)": session.get(f"{url}/{post}", timeout=TIMEOUT).status_code,
        "update": session.post(
            f"{url}/{post}/update", data={"title": "first!"}, timeout=TIMEOUT
        ).status_code,
        "missing": session.get(f"{url}/999999", timeout=TIMEOUT).status_code,
        "boom": session.get(f"{url}/{post}/boom", timeout=TIMEOUT).status_code,
    }
    statuses["anonymous boom"] = requests.get(
        f"{url}/{post}/boom", timeout=TIMEOUT, allow_redirects=False
    ).status_code
    return statuses


def service_workload(url: str, blog_post: int | None = None) -> dict[str, int]:
    """Every kind of FastAPI endpoint once; ``blog_post``: also call the blog through it."""
    statuses = {
        "path param": requests.get(f"{url}/items/7?q=x", timeout=TIMEOUT).status_code,
        "json body": requests.post(
            f"{url}/items", json={"name": "pen", "price": 1.5}, timeout=TIMEOUT
        ).status_code,
        "raise": requests.get(f"{url}/fail/w", timeout=TIMEOUT).status_code,
        "HTTPException(500)": requests.get(f"{url}/http500/w", timeout=TIMEOUT).status_code,
        "HTTPException(404)": requests.get(f"{url}/http404/w", timeout=TIMEOUT).status_code,
        "stream": requests.get(f"{url}/stream/5", timeout=TIMEOUT).status_code,
    }
    if blog_post is not None:
        statuses["httpx to blog"] = requests.get(
            f"{url}/blog/{blog_post}", timeout=TIMEOUT
        ).status_code
        statuses["requests to blog"] = requests.get(
            f"{url}/blog-sync/{blog_post}", timeout=TIMEOUT
        ).status_code
    return statuses


def celery_client(broker: str, queue: str) -> Celery:
    """A plain (uninstrumented) producer for the test apps' tasks, by name."""
    client = Celery("client", broker=broker, backend=broker)
    client.conf.task_default_queue = queue
    return client


def run_task(client: Celery, name: str, *args: Any) -> Any:
    """Send one task and wait until it has finished (so the next one starts after it).

    The result is polled rather than awaited: awaiting subscribes to the result backend,
    and results (with their children) collected after redis stopped would unsubscribe."""
    task_id = client.send_task(f"tasks.{name}", args=args).id
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        meta = client.backend.get_task_meta(task_id)
        if meta["status"] in states.READY_STATES:
            return meta["result"]
        time.sleep(0.02)
    raise TimeoutError(f"task {name}{args} did not finish within {TIMEOUT}s")


def leak_sequence(client: Celery, label: str) -> None:
    """Task A leaves a tag, a user and a breadcrumb; tasks B then set nothing."""
    run_task(client, "remember", f"A-{label}")
    run_task(client, "plain", f"B-{label}")
    run_task(client, "plain_fail", f"B-{label}")


def celery_workload(client: Celery, label: str) -> None:
    run_task(client, "add", 1, 2)
    run_task(client, "fail", label)
    run_task(client, "flaky", label)
    leak_sequence(client, label)
    run_task(client, "fan_out", label)
    run_task(client, "cached", label)
    chain(
        client.signature("tasks.add", (1, 2)), client.signature("tasks.add", (3,))
    ).apply_async().get(timeout=TIMEOUT)
    group(client.signature("tasks.add", (i, i)) for i in range(2)).apply_async().get(
        timeout=TIMEOUT
    )
