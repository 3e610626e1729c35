"""The `rag` command: index, search, ask, eval. A thin face over `rag.Index`.

Library errors become one line on stderr and exit code 2; `--json` prints what programs read.
A QUERY or QUESTION of `-` reads one per line from stdin and prints one JSON object per line,
loading the model once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypedDict

from .errors import RagError
from .process import configure_process

if TYPE_CHECKING:
    from .index import Index
    from .settings import Settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        self.exit(2, f"rag: error: {message} (see `rag --help`)\n")


class _Default(TypedDict, total=False):
    default: str


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rag", description="Cited answers over a corpus of news articles.")

    def common(sp: argparse.ArgumentParser, *, top: bool = False) -> None:
        # Before the subcommand (`rag --index-dir X index`) or after it (`rag index --index-dir X`), with the
        # same meaning. The subcommand's copies set a value only when given (SUPPRESS), so the defaults come
        # from the top level and a value after the subcommand wins over one before it.
        keep: _Default = {} if top else {"default": argparse.SUPPRESS}
        sp.add_argument("--index-dir", type=Path, help="index folder (default: $RAG_INDEX_DIR, else index/)", **keep)
        sp.add_argument("--json", action="store_true", help="print JSON", **keep)

    common(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def filters(sp: argparse.ArgumentParser, k_help: str) -> None:
        sp.add_argument("-k", type=int, default=None, help=k_help)
        sp.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
        sp.add_argument("--doc", action="append", default=[], help="only this document id (repeatable)")
        sp.add_argument("--since", default=None, help="only articles published on or after this day (YYYY-MM-DD)")
        sp.add_argument("--until", default=None, help="only articles published on or before this day (YYYY-MM-DD)")

    sp = sub.add_parser("index", help="add new and changed articles to the index, drop removed ones")
    sp.add_argument("paths", nargs="*", type=Path, help="folders, files or .jsonl (default: what was indexed before)")
    sp.add_argument("--rebuild", action="store_true", help="build the index from scratch (atomically)")
    sp.add_argument("--ray", metavar="ADDRESS", help="chunk and embed on a Ray cluster: auto (the one `ray start` set up), "
                    "local (start one here) or host:port (default: $RAG_RAY_ADDRESS; none: in this process)")
    common(sp)

    sp = sub.add_parser("search", help="the passages that best match QUERY")
    sp.add_argument("query", help="the query, or - to read one per line from stdin")
    filters(sp, "number of passages (default 5)")
    common(sp)

    sp = sub.add_parser("ask", help="a cited answer to QUESTION")
    sp.add_argument("question", help="the question, or - to read one per line from stdin")
    filters(sp, "number of passages to answer from (default 5)")
    sp.add_argument("--mode", choices=["auto", "extractive"], default=None, help="auto uses the LLM when configured")
    sp.add_argument("--llm-base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (default: $RAG_LLM_BASE_URL; none: extractive answers)")
    sp.add_argument("--llm-model", help="model name on that server (default: $RAG_LLM_MODEL)")
    sp.add_argument("--llm-api-key", help="API key, if the server wants one (default: $RAG_LLM_API_KEY)")
    sp.add_argument("--llm-timeout", type=float, help="seconds before falling back to the extractive answer (default 30)")
    common(sp)

    sp = sub.add_parser("timeline", help="how the story QUERY developed: its key sentences, day by day, cited")
    sp.add_argument("query", help="the story, e.g. 'Soleimani killing reactions', or - to read one per line from stdin")
    filters(sp, "number of passages to build it from (default 40)")
    common(sp)

    sp = sub.add_parser("eval", help="retrieval and answer quality on a QA set (JSON Lines)")
    sp.add_argument("qa", type=Path, help='QA file: {"question", "gold_doc_ids": [...], "answers"?: [...], "answerable"?: false} a line')
    sp.add_argument("-k", type=int, default=10, help="documents ranked per question (default 10)")
    common(sp)

    sp = sub.add_parser("stats", help="what the index holds")
    common(sp)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    configure_process()
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except RagError as e:
        print(f"rag: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted; the index is as it was before this run", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # never a traceback for people; RAG_DEBUG=1 shows it
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"rag: internal error: {type(e).__name__}: {e} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from .index import Index
    from .settings import Settings

    flags = {"answer_mode": "mode", "llm_base_url": "llm_base_url", "llm_model": "llm_model",
             "llm_api_key": "llm_api_key", "llm_timeout": "llm_timeout", "ray_address": "ray"}
    settings = Settings.load(index_dir=args.index_dir, **{k: getattr(args, a, None) for k, a in flags.items()})
    if args.command == "index":
        idx = Index(settings)
        report = idx.update(args.paths, rebuild=args.rebuild,
                            on_skip=lambda s: print(f"rag: warning: skipped {s.path}: {s.reason}", file=sys.stderr))
        if args.json:
            _print_json(report.to_dict())
        else:
            print(f"added {report.added}, updated {report.updated}, removed {report.removed}, "
                  f"unchanged {report.unchanged}; embedded {report.chunks_embedded} chunks; "
                  f"index holds {report.documents_total} documents, {report.chunks_total} chunks")
            if report.cleaned:
                print("cleaned: " + ", ".join(f"{k} {v}" for k, v in report.cleaned.items()))
        return 0

    if args.command == "eval":
        return _eval(settings, args)

    idx = Index(settings)
    _ = idx.store  # fail early (no index, other model) before reading stdin
    if args.command == "stats":
        stats = idx.stats()
        if args.json:
            _print_json({**stats.to_dict(), "sources": dict(idx.sources())})
        else:
            print(f"{stats.documents} documents, {stats.chunks} chunks in {stats.index_dir} "
                  f"(model {stats.model}, query encoder {stats.query_encoder})")
        return 0

    text = args.question if args.command == "ask" else args.query
    one: Callable[[str], dict[str, Any]] = {"search": lambda q: _search_json(idx, q, args),
                                            "ask": lambda q: _ask_json(idx, q, args),
                                            "timeline": lambda q: _timeline_json(idx, q, args)}[args.command]
    if text == "-":
        failed = 0
        # Bytes, not text: a line that is not UTF-8 gets its own error line instead of ending the run.
        stdin = getattr(sys.stdin, "buffer", None)
        lines = (raw.decode("utf-8", "surrogateescape") for raw in stdin) if stdin is not None else sys.stdin
        for line in lines:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                _print_json(one(line), indent=None)
            except RagError as e:
                failed += 1
                key = "question" if args.command == "ask" else "query"
                shown = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                _print_json({key: shown, "error": str(e)}, indent=None)
            sys.stdout.flush()
        return 2 if failed else 0
    result = one(text)
    if args.json:
        _print_json(result)
    elif args.command == "search":
        _print_passages(result)
    elif args.command == "timeline":
        _print_timeline(result)
    else:
        _print_answer(result)
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .index import Index
    from .eval import evaluate, format_table, load_qa

    cases = load_qa(args.qa)  # bad lines fail before the model loads
    idx = Index(settings)
    _ = idx.store  # fail early (no index, other model) before the progress bar
    with tqdm(total=len(cases), desc="evaluating", unit="question", file=sys.stderr, leave=False,
              disable=None) as bar:
        def tick() -> None:
            bar.update(1)

        report = evaluate(idx, cases, k=args.k, on_case=tick)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(format_table(report))
    return 0


def _search_json(idx: Index, query: str, args: argparse.Namespace) -> dict[str, Any]:
    from .types import search_result

    return search_result(query, idx.search(query, args.k, sources=args.source, doc_ids=args.doc,
                                           since=args.since, until=args.until))


def _ask_json(idx: Index, question: str, args: argparse.Namespace) -> dict[str, Any]:
    return idx.ask(question, args.k, sources=args.source, doc_ids=args.doc, since=args.since,
                   until=args.until).to_dict()


def _timeline_json(idx: Index, query: str, args: argparse.Namespace) -> dict[str, Any]:
    return idx.timeline(query, args.k, sources=args.source, doc_ids=args.doc, since=args.since,
                        until=args.until).to_dict()


def _print_json(obj: dict[str, Any], indent: int | None = 2) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=indent))


def _print_passages(result: dict[str, Any]) -> None:
    if not result["passages"]:
        print("no matching passages")
    for p in result["passages"]:
        print(f"{p['rank']}. {p['title']} — {p['source']} [{p['doc_id']} {p['start']}:{p['end']}] score {p['score']:.3f}")
        print(textwrap.indent(textwrap.fill(p["text"], 96), "   "))


def _print_timeline(result: dict[str, Any]) -> None:
    if not result["days"] and not result["undated"]:
        print(result["notice"] or "no matching passages")
    for day in result["days"] + ([{"label": "Undated", "events": result["undated"]}] if result["undated"] else []):
        print(day["label"])
        for e in day["events"]:
            marks = "".join(f"[{c['n']}]" for c in e["citations"])
            print(textwrap.indent(textwrap.fill(f"{e['text']} {marks} — {', '.join(e['sources']) or 'source unknown'}",
                                                96), "  "))
    if result["notice"] and (result["days"] or result["undated"]):
        print(f"\n({result['notice']})")


def _print_answer(result: dict[str, Any]) -> None:
    short = result.get("short_answer")
    if short:  # the exact answer first, as the chat shows it
        print(f"{short['text']} [{short['citation']}]\n")
    print(textwrap.fill(result["answer"], 100))
    if result["notice"]:
        print(f"\n({result['notice']})")
    if result.get("uncited"):
        print("\nNot backed by a citation: " + " ".join(f"“{s}”" for s in result["uncited"]))
    if result["citations"]:
        print("\nSources:")
        for c in result["citations"]:
            print(f"[{c['n']}] {c['title']} — {c['source']} [{c['doc_id']} {c['start']}:{c['end']}]")
            print(textwrap.indent(textwrap.fill(f"“{c['text']}”", 96), "    "))
