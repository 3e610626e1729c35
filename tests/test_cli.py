"""The `rag` command end to end, in real subprocesses: JSON shapes, stdin mode, exit codes."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def rag(*args, stdin=None, env=None):
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag", *args], input=stdin, capture_output=True,
                          text=not isinstance(stdin, bytes), env=e, cwd=ROOT, timeout=300)


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
    (["ask", "Soleimani \udcff\udcfe"], "not valid UTF-8"),  # the raw bytes 0xff 0xfe on the command line
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


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_bad_batch_size_is_a_settings_error_and_the_index_is_kept(cli_index, value):
    r = rag("index", str(ROOT / "corpus"), "--index-dir", str(cli_index), env={"RAG_BATCH_SIZE": value})
    assert r.returncode == 2 and f"batch_size is {value}" in r.stderr and "RAG_BATCH_SIZE" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    stats = json.loads(rag("stats", "--index-dir", str(cli_index), "--json").stdout)
    assert stats["documents"] == 5


def test_global_options_go_before_or_after_the_subcommand(cli_index, tmp_path):
    after = rag("stats", "--index-dir", str(cli_index), "--json")
    before = rag("--index-dir", str(cli_index), "--json", "stats")
    assert after.returncode == 0 and before.returncode == 0, (after.stderr, before.stderr)
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert json.loads(before.stdout)["index_dir"] == str(cli_index)
    # a value after the subcommand wins over one before it
    r = rag("--index-dir", str(tmp_path / "none"), "stats", "--index-dir", str(cli_index), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["index_dir"] == str(cli_index), r.stderr
    r = rag("--index-dir", str(cli_index), "stats", "--index-dir", str(tmp_path / "none"), "--json")
    assert r.returncode == 2 and f"no index in {tmp_path / 'none'}" in r.stderr and not r.stdout
    # neither: the same defaults as before ($RAG_INDEX_DIR here; --json off)
    r = rag("stats", env={"RAG_INDEX_DIR": str(cli_index)})
    assert r.returncode == 0 and r.stdout.startswith("5 documents, ") and str(cli_index) in r.stdout, r.stderr
    # `rag --index-dir X index PATH`, the way the issue typed it
    new = tmp_path / "new-index"
    r = rag("--index-dir", str(new), "--json", "index", str(ROOT / "corpus" / "001_4b0d695ee80dd377.txt"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 1 and (new / "manifest.json").exists()


def test_stats_names_the_query_encoder(cli_index):
    r = rag("stats", "--index-dir", str(cli_index))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("5 documents, ") and "query encoder onnx-int8" in r.stdout
    r = rag("stats", "--index-dir", str(cli_index), "--json")
    stats = json.loads(r.stdout)
    assert list(stats)[:6] == ["documents", "chunks", "generation", "model", "index_dir", "query_encoder"]
    assert stats["query_encoder"] == "onnx-int8"


def test_index_logs_progress_lines_when_stderr_is_not_a_terminal(tmp_path):
    r = rag("index", str(ROOT / "corpus"), "--index-dir", str(tmp_path / "index"))  # stderr is a pipe here
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines and all(line.startswith("rag: embedded ") and line.endswith(" chunks/s)") for line in lines), lines
    embedded = int(r.stdout.split("embedded ")[1].split()[0])
    assert lines[-1].startswith(f"rag: embedded {embedded} chunks in ")  # the last line: the whole run
    assert "\r" not in r.stderr  # plain lines, no progress bar


def test_human_output_shows_answer_and_sources(cli_index):
    r = rag("ask", "Who did Mike Pompeo speak with by phone after the strike?", "--index-dir", str(cli_index))
    assert r.returncode == 0 and "Lavrov" in r.stdout and "Sources:" in r.stdout


def test_stdin_lines_that_are_not_utf8_or_too_long_get_an_error_line_each(cli_index):
    stdin = (b"Where was Soleimani killed?\n"
             b"\xff\xfe Soleimani \xc3\x28\n"                       # not UTF-8
             b"\x1bWhere was\x00 Soleimani\x0b killed?\x07\r\n"         # control characters around a question
             + b"y" * 100_000 + b"\n")                                # a 100,000-character question
    r = rag("ask", "-", "--index-dir", str(cli_index), stdin=stdin)
    assert b"Traceback" not in r.stderr and r.returncode == 2
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == 4
    assert lines[0]["grounded"] and lines[2]["answer"] == lines[0]["answer"]
    assert lines[2]["question"] == "Where was Soleimani killed?"
    assert "not valid UTF-8" in lines[1]["error"] and lines[1]["question"].startswith("\ufffd\ufffd Soleimani")
    assert "100,000 characters; the limit is 2,000" in lines[3]["error"]


def test_a_second_indexer_process_is_refused_while_one_writes(cli_index):
    from rag.writer import Writer

    manifest = json.loads((cli_index / "manifest.json").read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("generation", "database")}
    with Writer.open(cli_index, manifest):  # this process is the writer; `rag index` runs in another
        r = rag("index", str(ROOT / "corpus"), "--index-dir", str(cli_index))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"rag: error: another process is writing to the index in {cli_index}; wait for it to finish, then run again"


def test_index_skips_bad_files_with_a_warning_each_and_indexes_the_rest(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Oil prices jump\n\nOil prices rose 4% after the strike, traders said.")
    (docs / "huge.txt").write_text("Huge\n\n" + "Words in a very long file. " * 3000)  # ~80 KB
    (docs / "latin1.txt").write_bytes("Café reopens\n\nThe café in Zürich reopened on Monday.".encode("latin-1"))
    (docs / "broken.html").write_text("<html><body><article><p>Talks resumed in Geneva <b>on Friday<p>Officials met")
    (docs / "photo.txt").write_bytes(bytes(range(256)) * 4)
    (docs / "feed.jsonl").write_text(
        json.dumps({"id": "f1", "title": "Feed one", "text": "A story from the feed about troops."}) + "\n"
        + '{"id": "f2", "title": "broken\n'
        + json.dumps({"id": "f3", "title": "Feed three", "text": "Another story from the feed about talks."}) + "\n")
    r = rag("index", str(docs), "--index-dir", str(tmp_path / "index"), "--json", env={"RAG_MAX_FILE_BYTES": "50000"})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    assert report["added"] == 5  # good, latin1, broken.html, f1, f3
    warnings = [w for w in r.stderr.strip().splitlines() if not w.startswith("rag: embedded ")]  # not progress
    assert len(warnings) == 3 and all(w.startswith("rag: warning: skipped ") for w in warnings), warnings
    assert any("feed.jsonl:2: not valid JSON" in w for w in warnings)
    assert any("huge.txt: file is" in w and "over the 50,000-byte limit (RAG_MAX_FILE_BYTES)" in w for w in warnings)
    assert any("photo.txt: not a text file" in w for w in warnings)


def test_ask_prints_the_short_answer_first_and_the_json_has_it(cli_index):
    q = "How many members is the Quds Force estimated to have?"
    r = rag("ask", q, "--index-dir", str(cli_index))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "20,000 [1]"
    out = json.loads(rag("ask", q, "--index-dir", str(cli_index), "--json").stdout)
    assert out["short_answer"]["text"] == "20,000" and out["short_answer"]["citation"] == 1
