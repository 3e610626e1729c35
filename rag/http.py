"""The HTTP API: FastAPI routes over `rag.Index`, with the Gradio app mounted at `/`.

`POST /api/ask`, `POST /api/search` and `POST /api/timeline` return the JSON objects of `rag ask --json`,
`rag search --json` and `rag timeline --json`; `GET /api/health` is for operators; `/openapi.json` and `/docs` describe it all.
Library errors become their HTTP status with `{"error": message}`; bad request bodies 422 the same way.
With `Settings.auth` set, every route (the app too) asks for HTTP basic auth.
It leaves out the UI itself (rag/ui.py) and running a server (app.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Coroutine
from typing import Any, Literal, NoReturn

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from pydantic import BaseModel, ConfigDict, Field

from .index import Index
from .errors import RagError
from .settings import MAX_K, Settings
from .types import search_result
from .uploads import received_file

# A Gradio event body larger than this is refused (413): questions are at most a few KB, chat history
# a few hundred KB; files travel through the multipart upload route, which has its own size limit.
MAX_EVENT_BODY = 16 << 20


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    # strict: "5" and true are not numbers, 5.0 is not a count
    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(description="the question, in plain words")
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to answer from (default: RAG_K)")
    mode: Literal["auto", "extractive"] | None = Field(None, description="auto uses the LLM when configured")
    sources: list[str] = Field(default_factory=list, description="only passages from these sources")
    doc_ids: list[str] = Field(default_factory=list, description="only passages from these documents")
    since: Any = Field(None, description='only articles published on or after this day, "YYYY-MM-DD"',
                       json_schema_extra={"type": "string", "format": "date"})
    until: Any = Field(None, description='only articles published on or before this day, "YYYY-MM-DD"',
                       json_schema_extra={"type": "string", "format": "date"})
    history: list[ChatMessage] = Field(
        default_factory=list, max_length=200,
        description="the chat so far, oldest first, as the app's chat keeps it: follow-up questions are read in its light")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    query: str = Field(description="what to look for")
    k: int | None = Field(None, ge=1, le=MAX_K, description="number of passages (default: RAG_K)")
    sources: list[str] = Field(default_factory=list, description="only passages from these sources")
    doc_ids: list[str] = Field(default_factory=list, description="only passages from these documents")
    # Any, checked by the library: a bad day ("yesterday-ish", 5) is a 400 that says the form, as at the CLI
    since: Any = Field(None, description='only articles published on or after this day, "YYYY-MM-DD"',
                       json_schema_extra={"type": "string", "format": "date"})
    until: Any = Field(None, description='only articles published on or before this day, "YYYY-MM-DD"',
                       json_schema_extra={"type": "string", "format": "date"})


class TimelineRequest(SearchRequest):
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to build the timeline from (default 40)")


def build_api(index: Index, settings: Settings) -> FastAPI:
    """The REST API alone (no Gradio app mounted)."""
    api = FastAPI(title="rag", version="0.1.0", description="Cited answers over a corpus of news articles.")
    api.router.route_class = _StrictJSONRoute

    @api.exception_handler(RagError)
    async def rag_error(_request: Request, e: RagError) -> JSONResponse:
        return JSONResponse({"error": str(e)}, status_code=e.status)

    @api.exception_handler(HTTPException)
    async def http_error(_request: Request, e: HTTPException) -> JSONResponse:
        # FastAPI's own errors (a body that is not UTF-8 JSON, an unknown route) in our JSON shape
        hint = {400: "; send a UTF-8 JSON body, see /openapi.json",
                405: f"; this route takes {(e.headers or {}).get('allow', 'another method')}, see /openapi.json"}
        return JSONResponse({"error": f"{e.detail}{hint.get(e.status_code, '')}"}, status_code=e.status_code,
                            headers=e.headers)

    @api.exception_handler(RequestValidationError)
    async def bad_body(_request: Request, e: RequestValidationError) -> JSONResponse:
        errors = e.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            loc = first.get("loc", ())
            error = (f"body is not valid JSON ({first.get('ctx', {}).get('error', 'decode error')} at character "
                     f"{loc[-1] if loc else 0}); send a UTF-8 JSON object, see /openapi.json")
        else:
            where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or "body"
            error = f"{where}: {first.get('msg', 'invalid request')}; see /openapi.json"
        return JSONResponse({"error": error, "detail": _json_safe(errors)}, status_code=422)

    @api.post("/api/ask", summary="A cited answer (the JSON of `rag ask --json`)")
    def ask(req: AskRequest) -> dict[str, Any]:
        return index.ask(req.question, req.k, sources=req.sources, doc_ids=req.doc_ids, mode=req.mode,
                         history=[m.model_dump() for m in req.history], since=req.since, until=req.until).to_dict()

    @api.post("/api/search", summary="The best passages (the JSON of `rag search --json`)")
    def search(req: SearchRequest) -> dict[str, Any]:
        return search_result(req.query, index.search(req.query, req.k, sources=req.sources, doc_ids=req.doc_ids,
                                                     since=req.since, until=req.until))

    @api.post("/api/timeline", summary="How a story developed, day by day (the JSON of `rag timeline --json`)")
    def timeline(req: TimelineRequest) -> dict[str, Any]:
        return index.timeline(req.query, req.k, sources=req.sources, doc_ids=req.doc_ids, since=req.since,
                              until=req.until).to_dict()

    @api.get("/api/health", summary="Is the index open, and what does it hold")
    def health() -> dict[str, Any]:
        return {"status": "ok", **index.stats().to_dict()}

    if settings.auth:
        user, _, password = settings.auth.partition(":")
        api.add_middleware(BasicAuth, user=user, password=password)
    return api


def build_app(index: Index, settings: Settings) -> FastAPI:
    """The whole server: the REST API with the Gradio chat app mounted at `/`."""
    import gradio as gr

    from .ui import CSS, build_ui, gradio_upload_folder

    api = build_api(index, settings)
    # mount_gradio_app is typed, but gradio's @document decorator hides its signature from mypy (Any)
    app: FastAPI = gr.mount_gradio_app(api, build_ui(index, settings), path="/", css=CSS, footer_links=["api"],
                                       max_file_size=settings.max_file_bytes, ssr_mode=False, run_history=False)
    # Gradio checks that event inputs name uploaded files only in apps started with launch(), not in a
    # mounted one like this: the check is ours, in front of every Gradio route (inside the basic auth).
    gradio_app = next(r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, gr.routes.App))
    gradio_app.add_middleware(ClientFileGuard, upload_folder=gradio_upload_folder(),
                              events=frozenset(gradio_app.get_blocks().fns))
    return app


class _StrictJSONRequest(Request):
    """A request whose JSON body may not hold NaN or Infinity: they are not JSON, and no reply can echo them."""

    async def json(self) -> Any:  # what json.loads gives, as Request.json says
        if not hasattr(self, "_json"):
            body = (await self.body()).decode("utf-8", errors="surrogateescape")
            self._json = json.loads(body, parse_constant=lambda name: _not_json(name, body))
        return self._json


def _not_json(name: str, doc: str) -> NoReturn:
    raise json.JSONDecodeError(f"{name} is not a JSON number; numbers must be finite", doc, doc.find(name))


class _StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict


def _json_safe(value: object) -> object:
    """`value` as JSON can carry it: objects as their str, NaN and Infinity as the strings "NaN", "Infinity"."""
    return json.loads(json.dumps(value, default=str), parse_constant=str)


class ClientFileGuard:
    """ASGI middleware: a Gradio event body may name only files that Gradio's upload route received.

    Gradio's events take files as `{"path": ...}` objects and read or copy whatever path they name.
    Every object with a string "path" in a JSON body sent to the Gradio app must name a regular file
    inside `upload_folder` (symlinks resolved), else the request is refused with 400 before Gradio
    sees it: no server file is read, copied or indexed on a client's say-so.
    """

    def __init__(self, app: ASGIApp, *, upload_folder: str, events: frozenset[int]) -> None:
        self.app = app
        self.upload_folder = upload_folder
        self.events = events  # the page's event ids: Gradio fails with a 500 on any other fn_index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
        # Multipart bodies are the files themselves, which Gradio's upload route stores in its folder
        # under its own size limit: they name no path.
        if (scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS")
                or content_type.startswith(b"multipart/form-data")):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_EVENT_BODY:
                # read (and drop) the rest first, so the client sees the reply, not a reset connection
                drained = len(body)
                while more and drained < 16 * MAX_EVENT_BODY:
                    message = await receive()
                    drained += len(message.get("body", b""))
                    more = message.get("more_body", False) and message["type"] != "http.disconnect"
                await _json_reply(send, 413, f"request body is over {MAX_EVENT_BODY >> 20} MiB; send less")
                return
        why = self._refusal(scope["path"], body)
        if why:
            await _json_reply(send, 400, why)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _refusal(self, path: str, body: bytes) -> str | None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON: no file reference in it (form posts); Gradio answers it
        if path.endswith("/queue/join") and not (
                isinstance(data, dict) and isinstance(data.get("data"), list)
                and type(data.get("fn_index")) is int and data["fn_index"] in self.events):
            return ('not an event of this page: send {"data": [...], "fn_index": N, "session_hash": "..."} '
                    "with an fn_index from /config")
        stack = [data]
        while stack:  # iterative: a deeply nested body cannot exhaust the stack
            item = stack.pop()
            if isinstance(item, dict):
                if "path" in item and isinstance(item["path"], str):
                    why = received_file(item["path"], self.upload_folder)
                    if why:
                        return f"file reference refused: {why}"
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return None


async def _json_reply(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BasicAuth:
    """ASGI middleware: HTTP basic auth on every request and websocket (the Gradio app's included)."""

    def __init__(self, app: ASGIApp, *, user: str, password: str) -> None:
        self.app = app
        self.expected = f"{user}:{password}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    def _ok(self, scope: Scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, self.expected)
