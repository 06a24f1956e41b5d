"""The FastAPI app of the request-overhead benchmark (``uvicorn fastapi_requests:app``)."""

from fastapi import FastAPI
from requests_common import handle_request

app = FastAPI()


@app.get("/work")
async def work() -> dict[str, object]:
    return handle_request()
