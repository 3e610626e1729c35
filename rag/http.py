"""The HTTP API: FastAPI routes over `rag.Index`, with the Gradio app mounted at `/`.

`POST /api/ask` and `POST /api/search` return the JSON objects of `rag ask --json` and
`rag search --json`; `GET /api/health` is for operators; `/openapi.json` and `/docs` describe it all.
Library errors become their HTTP status with `{"error": message}`; bad request bodies 422 the same way.
With `Settings.auth` set, every route (the app too) asks for HTTP basic auth.
It leaves out the UI itself (rag/ui.py) and running a server (app.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from pydantic import BaseModel, ConfigDict, Field

from .core import Index
from .errors import RagError
from .settings import Settings
from .types import search_result


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="the question, in plain words")
    k: int | None = Field(None, ge=1, le=100, description="passages to answer from (default: RAG_K)")
    mode: Literal["auto", "extractive"] | None = Field(None, description="auto uses the LLM when configured")
    sources: list[str] = Field(default_factory=list, description="only passages from these sources")
    doc_ids: list[str] = Field(default_factory=list, description="only passages from these documents")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(description="what to look for")
    k: int | None = Field(None, ge=1, le=100, description="number of passages (default: RAG_K)")
    sources: list[str] = Field(default_factory=list, description="only passages from these sources")
    doc_ids: list[str] = Field(default_factory=list, description="only passages from these documents")


def build_api(index: Index, settings: Settings) -> FastAPI:
    """The REST API alone (no Gradio app mounted)."""
    api = FastAPI(title="rag", version="0.1.0", description="Cited answers over a corpus of news articles.")

    @api.exception_handler(RagError)
    async def rag_error(_request: Request, e: RagError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=e.status)

    @api.exception_handler(HTTPException)
    async def http_error(_request: Request, e: HTTPException) -> JSONResponse:
        # FastAPI's own errors (a body that is not UTF-8 JSON, an unknown route) in our JSON shape
        hint = "; send a UTF-8 JSON body, see /openapi.json" if e.status_code == 400 else ""
        return JSONResponse({"error": f"{e.detail}{hint}"}, status_code=e.status_code, headers=e.headers)

    @api.exception_handler(RequestValidationError)
    async def bad_body(_request: Request, e: RequestValidationError) -> JSONResponse:
        errors = e.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "body"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}; see /openapi.json",
                             "detail": json.loads(json.dumps(errors, default=str))}, status_code=422)

    @api.post("/api/ask", summary="A cited answer (the JSON of `rag ask --json`)")
    def ask(req: AskRequest) -> dict:
        return index.ask(req.question, req.k, sources=req.sources, doc_ids=req.doc_ids, mode=req.mode).to_dict()

    @api.post("/api/search", summary="The best passages (the JSON of `rag search --json`)")
    def search(req: SearchRequest) -> dict:
        return search_result(req.query, index.search(req.query, req.k, sources=req.sources, doc_ids=req.doc_ids))

    @api.get("/api/health", summary="Is the index open, and what does it hold")
    def health() -> dict:
        return {"status": "ok", **index.stats()}

    if settings.auth:
        user, _, password = settings.auth.partition(":")
        api.add_middleware(BasicAuth, user=user, password=password)
    return api


def build_app(index: Index, settings: Settings) -> FastAPI:
    """The whole server: the REST API with the Gradio chat app mounted at `/`."""
    import gradio as gr

    from .ui import CSS, build_ui

    api = build_api(index, settings)
    return gr.mount_gradio_app(api, build_ui(index, settings), path="/", css=CSS, footer_links=["api"],
                               max_file_size=settings.max_file_bytes, ssr_mode=False, run_history=False)


class BasicAuth:
    """ASGI middleware: HTTP basic auth on every request and websocket (the Gradio app's included)."""

    def __init__(self, app, *, user: str, password: str) -> None:
        self.app = app
        self.expected = f"{user}:{password}".encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or self._ok(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"error": "authentication required: send HTTP basic auth (the RAG_AUTH user and password)"}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"www-authenticate", b'Basic realm="rag", charset="UTF-8"'),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _ok(self, scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, self.expected)
