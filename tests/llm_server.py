"""A scripted OpenAI-compatible chat server on 127.0.0.1, standing in for Ollama/vLLM/llama.cpp in tests.

It speaks the real protocol over real HTTP (`POST /v1/chat/completions`, JSON or server-sent events
when the request says `"stream": true`) and answers from a script: each request takes the next step.
Every request body is recorded, so a test can check what our code sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """A normal completion; `text` may be computed from the request. `pause` is seconds between streamed pieces."""

    text: str | Callable[[dict], str]
    pause: float = 0.0
    cut_after: int | None = None  # streamed pieces sent before the connection is cut (a killed server)


@dataclass
class Status:
    code: int


@dataclass
class Sleep:
    seconds: float


@dataclass
class Raw:
    """A 200 response with this body, whatever was asked (garbage for the client to cope with)."""

    body: str
    content_type: str = "application/json"


def passages_in(request: dict) -> dict[int, str]:
    """The numbered passages in the user message of a chat request, as the server sees them."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return {int(n): body for n, body in re.findall(r'<passage n="(\d+)">\n(.*?)\n</passage>', user, re.S)}


class ScriptedLLM:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.auth: list[str] = []  # the Authorization header of each request
        self.script: list = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, json.dumps({"error": {"message": "no such route"}}))
                with outer._lock:
                    outer.requests.append(body)
                    outer.auth.append(self.headers.get("Authorization", ""))
                    step = outer.script.pop(0) if outer.script else Status(503)
                if isinstance(step, Sleep):
                    time.sleep(step.seconds)
                    return self._send(200, json.dumps(_completion("too late [1]")))
                if isinstance(step, Status):
                    return self._send(step.code, json.dumps({"error": {"message": "scripted failure"}}))
                if isinstance(step, Raw):
                    return self._send(200, step.body, step.content_type)
                text = step.text(body) if callable(step.text) else step.text
                if not body.get("stream"):
                    return self._send(200, json.dumps(_completion(text)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    pieces = [{"role": "assistant", "content": ""}] + [{"content": p} for p in re.findall(r"\S+\s*", text)]
                    for i, piece in enumerate(pieces):
                        if step.cut_after is not None and i == step.cut_after:
                            self.connection.shutdown(2)  # mid-stream, as a killed server leaves it
                            return
                        self.wfile.write(f"data: {json.dumps(_chunk(piece))}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(step.pause)
                    end = _chunk({})
                    end["choices"][0]["finish_reason"] = "stop"  # as real servers end a reply
                    self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):  # the client gave up: fine
                    pass

            def _send(self, code: int, text: str, ctype: str = "application/json") -> None:
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def push(self, *steps) -> ScriptedLLM:
        with self._lock:
            self.requests.clear()
            self.auth.clear()
            self.script[:] = list(steps)
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(text: str) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}


def _chunk(delta: dict) -> dict:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "finish_reason": None, "delta": delta}]}
