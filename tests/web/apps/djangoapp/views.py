from pathlib import Path
from typing import Any

import appkit
from django.http import FileResponse, HttpResponse, StreamingHttpResponse


def tagged(request: Any, rid: str) -> HttpResponse:
    return HttpResponse(appkit.tagged(rid), content_type="application/json")


def stream(request: Any, rid: str, n: int) -> StreamingHttpResponse:
    appkit.mark(rid)
    delay = appkit.delay_of(request.META.get("QUERY_STRING", ""))
    return StreamingHttpResponse(appkit.chunks(rid, n, delay), content_type="text/plain")


async def astream(request: Any, rid: str, n: int) -> StreamingHttpResponse:
    appkit.mark(rid)
    delay = appkit.delay_of(request.META.get("QUERY_STRING", ""))
    return StreamingHttpResponse(appkit.achunks(rid, n, delay), content_type="text/plain")


def file(request: Any, rid: str) -> FileResponse:
    appkit.mark(rid)
    return FileResponse(Path(appkit.__file__).open("rb"), content_type="text/plain")


def error(request: Any, rid: str) -> HttpResponse:
    appkit.mark(rid)
    raise RuntimeError(f"boom {rid}")


def legacy(request: Any, year: str) -> HttpResponse:
    appkit.mark(request.GET.get("rid", "legacy"))
    return HttpResponse(appkit.tagged(request.GET.get("rid", "legacy")))
