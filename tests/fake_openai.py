"""A small local fake of the OpenAI API for tests and benchmarks: the real ``openai`` client talks to it over HTTP.

The client has its own HTTP stack, so HTTP-mocking libraries would not intercept it; a real server on 127.0.0.1
exercises the real client, its retries and its error mapping. ``POST /v1/embeddings`` returns deterministic vectors
(derived from a hash of model and input, ``dimensions`` honoured) and enforces the API's limits; faults (status
codes with headers, latency) are injectable, and every request body is recorded.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

MODELS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_INPUTS = 2048
MAX_TOKENS_PER_INPUT = 8191
MAX_TOKENS_PER_REQUEST = 300_000
CHAT_REPLY = "A fixed strategy summary from the fake chat model."


def fake_vector(model: str, text: str, dimensions: int) -> np.ndarray:
    """The unit vector the fake returns for ``text``: the same for the same (model, text, dimensions)."""
    seed = int.from_bytes(hashlib.sha256(f"{model}\0{text}".encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dimensions)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@functools.cache
def _encoding() -> Any:
    import bpe_openai  # the tables are bundled in the wheel; loading them costs ~15 ms, so once per process

    return bpe_openai.get_encoding("cl100k_base")


def _tokens(text: str) -> int:
    return len(_encoding().encode_ordinary(text))


@dataclass
class Fault:
    """One response served instead of the normal one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeOpenAI:
    """A threaded HTTP server on a free port of 127.0.0.1; use as a context manager.

    ``base_url`` is what to give ``openai.OpenAI(base_url=...)``. ``received`` lists every request, faulted or not.
    """

    def __init__(self, *, api_key: str | None = "sk-test-fake-key", latency: float = 0.0) -> None:
        self.api_key = api_key
        self.latency = latency
        self.faults: deque[Fault] = deque()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self, status: int, *, times: int = 1, headers: dict[str, str] | None = None, message: str | None = None
    ) -> None:
        """Serve ``status`` for the next ``times`` requests (OpenAI-shaped error body)."""
        body = {
            "error": {"message": message or f"injected {status}", "type": "fake_error", "param": None, "code": None}
        }
        for _ in range(times):
            self.faults.append(Fault(status, dict(headers or {}), body))

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    @property
    def embedding_requests(self) -> list[Received]:
        return self.requests_to("/v1/embeddings")

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.faults.clear()

    # ------------------------------------------------------------------ handling
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.received.append(Received(self.path, dict(self.headers.items()), raw))
                    fault = fake.faults.popleft() if fake.faults else None
                if fake.latency:
                    time.sleep(fake.latency)
                if fault is not None:
                    return self._send(fault.status, fault.body or {}, fault.headers)
                if fake.api_key is not None and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._error(401, "Incorrect API key provided.", "invalid_api_key")
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    return self._error(400, "We could not parse the JSON body of your request.")
                if self.path == "/v1/embeddings":
                    return self._embeddings(body)
                if self.path == "/v1/chat/completions":
                    return self._chat(body)
                return self._error(404, f"Invalid URL (POST {self.path})", "unknown_url")

            def _embeddings(self, body: dict[str, Any]) -> None:
                model = body.get("model")
                if model not in MODELS:
                    return self._error(404, f"The model `{model}` does not exist", "model_not_found")
                inputs = body.get("input")
                if isinstance(inputs, str):
                    inputs = [inputs]
                if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) and t for t in inputs):
                    return self._error(400, "'input' must be a non-empty string or array of non-empty strings")
                if len(inputs) > MAX_INPUTS:
                    return self._error(400, f"'input' must have at most {MAX_INPUTS} elements, got {len(inputs)}")
                counts = [len(tokens) for tokens in _encoding().encode_ordinary_batch(inputs)]
                if max(counts) > MAX_TOKENS_PER_INPUT:
                    return self._error(400, f"This model's maximum context length is {MAX_TOKENS_PER_INPUT} tokens")
                if sum(counts) > MAX_TOKENS_PER_REQUEST:
                    return self._error(400, f"Requested {sum(counts)} tokens, max {MAX_TOKENS_PER_REQUEST} per request")
                native = MODELS[model]
                dimensions = body.get("dimensions", native)
                if model == "text-embedding-ada-002" and "dimensions" in body:
                    return self._error(400, "This model does not support specifying dimensions.")
                if not isinstance(dimensions, int) or not 1 <= dimensions <= native:
                    return self._error(400, f"'dimensions' must be 1..{native}")
                as_base64 = body.get("encoding_format") == "base64"
                data = []
                for i, text in enumerate(inputs):
                    vector = fake_vector(model, text, dimensions)
                    embedding: Any = (
                        base64.b64encode(vector.astype("<f4").tobytes()).decode() if as_base64 else vector.tolist()
                    )
                    data.append({"object": "embedding", "index": i, "embedding": embedding})
                tokens = sum(counts)
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": model,
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def _chat(self, body: dict[str, Any]) -> None:
                prompt = sum(_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
                completion = _tokens(CHAT_REPLY)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "gpt-4o-mini"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": CHAT_REPLY, "refusal": None},
                                "finish_reason": "stop",
                                "logprobs": None,
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    },
                )

            def _error(self, status: int, message: str, code: str | None = None) -> None:
                kind = "invalid_request_error" if status < 500 else "server_error"
                self._send(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
