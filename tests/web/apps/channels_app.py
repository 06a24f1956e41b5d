"""A Django Channels application: WebSocket consumers (async and sync) under uvicorn.

A client connects to ``/ws/<kind>/<name>/`` and sends commands: ``tag:<value>`` sets a
tag, leaves a breadcrumb and captures a message; ``report`` captures a message; ``raise``
raises from the handler. ``connect()`` tags the connection with its name (connection
state). Settings: ``channels_settings``.
"""

import django

django.setup()  # DJANGO_SETTINGS_MODULE=channels_settings

from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

import scopetel  # noqa: E402

urlpatterns: list[object] = []


def _command(text: str, name: str) -> None:
    if text.startswith("tag:"):
        scopetel.set_tag("message", text[4:])
        scopetel.add_breadcrumb(category="ws", message=f"set {text[4:]}")
        scopetel.capture_message(f"report from {name}")
    elif text == "report":
        scopetel.capture_message(f"report from {name}")
    elif text == "raise":
        raise RuntimeError(f"raised by {name}")


class AsyncCommands(AsyncWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        self.name = self.scope["url_route"]["kwargs"]["name"]
        scopetel.set_tag("connection", self.name)
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        _command(text_data or "", self.name)
        await self.send(text_data="done")


class SyncCommands(WebsocketConsumer):  # type: ignore[misc]
    def connect(self) -> None:
        self.name = self.scope["url_route"]["kwargs"]["name"]
        scopetel.set_tag("connection", self.name)
        self.accept()

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        _command(text_data or "", self.name)
        self.send(text_data="done")


application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": URLRouter(
            [
                path("ws/async/<str:name>/", AsyncCommands.as_asgi()),
                path("ws/sync/<str:name>/", SyncCommands.as_asgi()),
            ]
        ),
    }
)
