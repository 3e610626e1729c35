"""The `rag` command end to end, in real subprocesses: JSON shapes, stdin mode, exit codes."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def rag(*args, stdin=None, env=None):
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag", *args], input=stdin, capture_output=True, text=True,
                          env=e, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli") / "index"
    r = rag("index", str(ROOT / "corpus"), "--index-dir", str(d), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert list(report)[:6] == ["added", "updated", "removed", "unchanged", "chunks_embedded", "chunks_total"]
    assert report["added"] == 5 and report["cleaned"]["comments"] >= 1
    return d


def test_search_json_shape(cli_index):
    r = rag("search", "Quds Force members", "-k", "3", "--index-dir", str(cli_index), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["query"] == "Quds Force members" and len(out["passages"]) == 3
    assert list(out["passages"][0])[:9] == ["rank", "score", "doc_id", "title", "source", "chunk_id", "start", "end", "text"]


def test_ask_json_via_environment_index_dir(cli_index):
    r = rag("ask", "How many members is the Quds Force estimated to have?", "--json",
            env={"RAG_INDEX_DIR": str(cli_index)})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["mode"] == "extractive" and out["grounded"] is True
    assert "20,000" in out["answer"] and out["citations"][0]["text"] in out["citations"][0]["passage"]


def test_stdin_mode_prints_one_json_object_per_line(cli_index):
    r = rag("ask", "-", "--index-dir", str(cli_index), stdin="Where was Soleimani killed?\n\nWhat is the capital of Australia?\n" + "x" * 3000 + "\n")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x.get("grounded") for x in lines[:2]] == [True, False]
    assert "limit" in lines[2]["error"]
    assert r.returncode == 2  # one line failed


@pytest.mark.parametrize("args,needle", [
    (["ask", "   "], "question is empty"),
    (["search", "Soleimani", "-k", "0"], "k is 0"),
    (["ask", "Soleimani", "--index-dir", "/nonexistent/idx"], "no index in"),
    (["index", "/nonexistent/path"], "no such file"),
    (["ask"], "required"),
])
def test_bad_input_exits_2_with_one_line(cli_index, args, needle):
    if "--index-dir" not in args and args[0] != "index":
        args = args + ["--index-dir", str(cli_index)]
    if args[0] == "index":
        args = args + ["--index-dir", str(cli_index.parent / "other")]
    r = rag(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_human_output_shows_answer_and_sources(cli_index):
    r = rag("ask", "Who did Mike Pompeo speak with by phone after the strike?", "--index-dir", str(cli_index))
    assert r.returncode == 0 and "Lavrov" in r.stdout and "Sources:" in r.stdout
