"""The demo's web application: a small Starlette app, configured only by the environment.

Run it the way a service runs in production::

    SENTRY_DSN=http://scopetel@127.0.0.1:8969/1 SENTRY_TRACES_SAMPLE_RATE=1.0 \\
    OTEL_SERVICE_NAME=shop OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:8969 \\
    opentelemetry-instrument uvicorn --app-dir examples demo_app:app

``opentelemetry-instrument`` loads scopetel's distro (Sentry settings from ``SENTRY_*``,
OTLP from ``OTEL_*``) and the Starlette instrumentation. Started without it (plain
``uvicorn``), the app does the same itself, so it runs either way.

Routes:

* ``GET /fanout``: three ``@scopetel.trace`` lookups under ``asyncio.gather`` (siblings);
* ``GET /stream``: a streamed body whose rows are rendered, each in a span, while the
  server sends them, after the view has returned;
* ``POST /checkout``: a payment that fails; the error is captured and answered with 402.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import scopetel

STOCK = {"apple": 12, "kiwi": 0, "mango": 7}
LATENCY = {"apple": 0.030, "kiwi": 0.010, "mango": 0.020}  # seconds per remote lookup


@scopetel.trace(op="http.client", name="inventory lookup")
async def lookup(sku: str) -> int:
    await asyncio.sleep(LATENCY.get(sku, 0.01))  # stands for a call to another service
    return STOCK.get(sku, 0)


async def fanout(request: Request) -> Response:
    skus = sorted(STOCK)
    counts = await asyncio.gather(*(lookup(sku) for sku in skus))
    return JSONResponse(dict(zip(skus, counts, strict=True)))


async def rows(count: int) -> AsyncIterator[str]:
    for index in range(count):
        with scopetel.start_span(op="serialize", name=f"render row {index}"):
            await asyncio.sleep(0.005)
            line = f"row {index}\n"
        yield line


async def stream(request: Request) -> Response:
    return StreamingResponse(rows(3), media_type="text/plain")


class PaymentDeclined(Exception):
    pass


@scopetel.trace(op="payment", name="charge card")
async def charge(cents: int) -> None:
    await asyncio.sleep(0.003)
    raise PaymentDeclined(f"card declined for {cents / 100:.2f} EUR")


async def checkout(request: Request) -> Response:
    scopetel.set_tag("cart", "full")
    try:
        await charge(4200)
    except PaymentDeclined:
        scopetel.capture_exception()
        return JSONResponse({"error": "payment declined"}, status_code=402)
    return JSONResponse({"status": "paid"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Streamed responses use anyio, whose asyncio backend takes ~200 ms to import: import
    # it at start-up rather than in the event loop while the first requests are served.
    await anyio.sleep(0)
    yield


app = Starlette(
    lifespan=lifespan,
    routes=[
        Route("/fanout", fanout),
        Route("/stream", stream),
        Route("/checkout", checkout, methods=["POST"]),
    ],
)

if not scopetel.is_initialized():
    # Not started by opentelemetry-instrument with scopetel's distro: configure from the
    # same environment variables, and instrument the app as the Starlette
    # instrumentation would have.
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    scopetel.init()
    StarletteInstrumentor.instrument_app(app)
