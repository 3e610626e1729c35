"""The Gradio app: a chat with cited answers, a sources panel, settings and uploads, and a timeline.

Every answer comes from `Index.ask_stream` and every upload goes through `Index.add_files`; this module
only turns their results into chat messages and HTML. All article text is HTML-escaped before it is
shown. It leaves out serving: `rag.http.build_app` mounts it on the HTTP API's server.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import gradio as gr
from gradio.events import api as gr_api  # gr.api, which gradio's __init__ leaves out of __all__

from .index import Index
from .errors import RagError
from .settings import Settings
from .timeline import Timeline
from .types import Answer, Citation, IndexReport, ShortAnswer, day_label, search_result

EXAMPLES = [
    "Who initiated the phone call between Putin and Macron?",
    "How many members is the Quds Force estimated to have?",
    "Who did Russian Defense Minister Sergey Shoygu speak with on the phone?",
    "When did Iraq's parliament vote to expel US troops?",
]
MAX_UPLOAD_WARNINGS = 10  # the status shows this many skipped files or lines; the CLI's --json has them all
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: ! to /, : to @, [ to `, { to ~
EMPTY_PANEL = '<div class="rag-empty">The passages behind each answer appear here, the cited sentence highlighted.</div>'
CSS = """
.rag-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.rag-cite-head { font-weight: 600; }
.rag-n { color: var(--color-accent); margin-right: 4px; }
.rag-meta { font-size: 0.85em; opacity: 0.75; margin: 2px 0 6px; }
.rag-passage { font-size: 0.92em; line-height: 1.45; margin: 0; white-space: pre-wrap; }
mark.rag-hl { background: #ffe58a; color: #111; padding: 0 2px; border-radius: 3px; }
.rag-short { text-decoration: underline; text-decoration-thickness: 2px; }
.rag-panel { max-height: 620px; overflow-y: auto; padding-right: 4px; }
.rag-empty { opacity: 0.7; padding: 8px 0; }
.rag-none { padding: 8px 0; font-weight: 600; }
.rag-day { margin: 14px 0 6px; }
.rag-event { margin: 0 0 8px 8px; }
.rag-event summary { cursor: pointer; line-height: 1.45; }
"""


def build_ui(index: Index, settings: Settings) -> gr.Blocks:
    """The chat app's Blocks, with the fixed API endpoints `/ask` and `/search`."""

    def chat(message: str, history: list[dict[str, Any]], k: float, mode: str, sources: list[str] | None,
             since: str | None = None, until: str | None = None) -> Iterator[tuple[str, str]]:
        try:
            for answer in index.ask_stream(message, int(k), sources=sources or (), mode=mode,
                                           history=history or (), since=since or None, until=until or None):
                yield format_answer(answer), render_sources(answer)
        except RagError as e:
            yield f"⚠️ {literal(str(e))}", EMPTY_PANEL

    def upload(files: Any) -> tuple[str, Any, None]:
        # The raw payload (preprocess=False): Gradio would otherwise copy any server file a client
        # names into its cache before this code could look at it. Only files inside Gradio's upload
        # folder are taken (`Index.add_files(received_in=...)`); anything else is refused unread.
        items = files if isinstance(files, list) else [files] if files else []
        if not items:
            return "", gr.update(), None
        try:
            report = index.add_files([_file_ref(f) for f in items], received_in=upload_folder)
        except (RagError, OSError) as e:
            return f"⚠️ Nothing was added: {literal(str(e))}", gr.update(), None
        return upload_status(report), gr.update(choices=_source_choices(index)), None

    def ask(question: str) -> dict[str, Any]:
        """A cited answer to the question: the JSON object of `rag ask --json`."""
        try:
            return index.ask(question).to_dict()
        except RagError as e:
            raise gr.Error(str(e)) from None

    def search(query: str, k: int = settings.k) -> dict[str, Any]:
        """The best k passages for the query: the JSON object of `rag search --json`."""
        try:
            return search_result(query, index.search(query, int(k)))
        except RagError as e:
            raise gr.Error(str(e)) from None

    def timeline(query: str, since: str = "", until: str = "") -> dict[str, Any]:
        """How the story developed, day by day: the JSON object of `rag timeline --json`."""
        try:
            return index.timeline(query, since=since or None, until=until or None).to_dict()
        except RagError as e:
            raise gr.Error(str(e)) from None

    def show_timeline(query: str, since: str, until: str) -> str:
        if not (query or "").strip():
            return '<div class="rag-none">Name a story to see how it developed.</div>'
        try:
            return render_timeline(index.timeline(query, since=since or None, until=until or None))
        except RagError as e:
            return f'<div class="rag-none">⚠️ {html.escape(str(e))}</div>'

    upload_folder = gradio_upload_folder()
    panel = gr.HTML(EMPTY_PANEL, elem_id="rag-sources", render=False)
    demo = gr.Blocks(title="rag: cited answers from news articles")
    with demo:
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                gr.Markdown("## Ask the articles\nAnswers quote the indexed news articles; every `[n]` points at "
                            "the passage on the right, with the cited sentence highlighted.")
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.ChatInterface(
                            chat,
                            # no LaTeX: a "$$" in an article is text, not a formula
                            chatbot=gr.Chatbot(label="Chat", height=560, elem_id="rag-chat", latex_delimiters=[]),
                            additional_inputs=[
                                gr.Slider(1, 20, value=settings.k, step=1, label="Passages to answer from", render=False),
                                gr.Radio(["auto", "extractive"], value=settings.answer_mode, label="Answer mode",
                                         info="auto uses the language model when one is configured", render=False),
                                source_filter := gr.Dropdown(choices=_source_choices(index), multiselect=True,
                                                             label="Only these outlets", value=[], render=False),
                                gr.Textbox(label="Published since", placeholder="YYYY-MM-DD", elem_id="rag-since",
                                           render=False),
                                gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", elem_id="rag-until",
                                           render=False),
                            ],
                            additional_inputs_accordion=gr.Accordion("Settings", open=False, render=False),
                            additional_outputs=[panel],
                            examples=[[q, None, None, None, None, None] for q in EXAMPLES],
                            api_visibility="undocumented",
                            fill_height=False,
                        )
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        panel.render()  # type: ignore[no-untyped-call]  # gradio's Component.render has no annotations
                        with gr.Accordion("Add articles", open=False):
                            files = gr.File(label=".txt, .md, .html or .jsonl", file_count="multiple", type="filepath",
                                            file_types=[".txt", ".md", ".html", ".jsonl"], elem_id="rag-upload")
                            status = gr.Markdown(elem_id="rag-upload-status")
            with gr.Tab("Timeline", id="timeline"):
                gr.Markdown("## How a story developed\nThe key sentences of the matching articles, day by day; the same "
                            "fact from several outlets is shown once, citing each of them.")
                with gr.Row():
                    story = gr.Textbox(label="Story", placeholder="e.g. Russia's reaction to the Soleimani killing",
                                       elem_id="rag-story", scale=3)
                    t_since = gr.Textbox(label="Published since", placeholder="YYYY-MM-DD", elem_id="rag-t-since", scale=1)
                    t_until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", elem_id="rag-t-until", scale=1)
                show = gr.Button("Show timeline", variant="primary", elem_id="rag-show-timeline")
                view = gr.HTML('<div class="rag-empty">The timeline appears here.</div>', elem_id="rag-timeline")
                show.click(show_timeline, [story, t_since, t_until], view, api_visibility="private")
                story.submit(show_timeline, [story, t_since, t_until], view, api_visibility="private")
        files.upload(upload, files, [status, source_filter, files], api_visibility="private", preprocess=False)
        demo.load(lambda: gr.update(choices=_source_choices(index)), None, source_filter, api_visibility="private")
        gr_api(ask, api_name="ask")
        gr_api(search, api_name="search")
        gr_api(timeline, api_name="timeline")
    return demo


def format_answer(answer: Answer) -> str:
    """The chat message (Markdown) for an answer: its text, shown literally, and any notice below it."""
    text = literal(answer.answer)
    if answer.short_answer is not None:  # the exact answer first, then the sentences that hold it
        text = f"**{literal(answer.short_answer.text)}** \\[{answer.short_answer.citation}\\]\n\n{text}"
    days = {c.date[:10] for c in answer.citations}
    if len(days) > 1:  # sources from different days: say which day each quote is from
        text += "\n\n" + " · ".join(f"\\[{c.n}\\] {literal(_when(c.date) or 'undated')}" for c in answer.citations)
    if answer.notice:
        text += f"\n\n*{literal(answer.notice)}*"
    if answer.provisional:
        text += "\n\n*Writing… not yet checked against the articles.*"
    return text


def upload_status(report: IndexReport) -> str:
    """The upload status (Markdown): counts, then the first few files or lines skipped and how many more."""
    lines = [f"Added {report.added}, updated {report.updated}, unchanged {report.unchanged}; "
             f"the index holds {report.documents_total} documents."]
    lines += [f"⚠️ Skipped {literal(_shorten(Path(s.path).name))}: {literal(_shorten(s.reason, 300))}"
              for s in report.skipped[:MAX_UPLOAD_WARNINGS]]
    if len(report.skipped) > MAX_UPLOAD_WARNINGS:
        lines.append(f"⚠️ … and {len(report.skipped) - MAX_UPLOAD_WARNINGS:,} more skipped; "
                     "`rag index FILE --json` lists every one.")
    return "\n\n".join(lines)


def literal(text: str) -> str:
    r"""Markdown that shows exactly the characters of `text`: article text is data, never markup.

    Every ASCII punctuation mark is backslash-escaped (CommonMark allows it for all of them), so no
    link, image, emphasis, HTML tag, entity, heading or list can form, and "https://" cannot autolink.

    >>> print(literal("![x](a.png) <b>&amp;</b>"))
    \!\[x\]\(a\.png\) \<b\>\&amp\;\<\/b\>
    """
    return _MD_PUNCT.sub(r"\\\1", text)


def render_sources(answer: Answer) -> str:
    """The sources panel: each cited passage with its metadata and the cited sentence highlighted."""
    if not answer.citations:
        note = "No sources: the articles don't answer this." if not answer.grounded else "No citations."
        return f'<div class="rag-none">{note}</div>'
    return '<div class="rag-panel">' + "\n".join(_citation_html(c, answer.short_answer) for c in answer.citations) + "</div>"


def _citation_html(c: Citation, short: ShortAnswer | None = None) -> str:
    def e(s: str) -> str:
        return html.escape(s, quote=True)

    # exact by construction: c.text == c.passage[c.start - c.passage_start : c.end - c.passage_start]
    start, end = c.start - c.passage_start, c.end - c.passage_start
    sentence = e(c.text)
    if short is not None and short.citation == c.n and c.start <= short.start < short.end <= c.end:
        a, b = short.start - c.start, short.end - c.start  # the short answer, marked inside its sentence
        sentence = f'{e(c.text[:a])}<strong class="rag-short">{e(c.text[a:b])}</strong>{e(c.text[b:])}'
    body = f'{e(c.passage[:start])}<mark class="rag-hl">{sentence}</mark>{e(c.passage[end:])}'
    return (f'<div class="rag-cite" data-n="{c.n}"><div class="rag-cite-head"><span class="rag-n">[{c.n}]</span>'
            f'{e(c.title or c.doc_id)}</div>{_meta_html(c)}'
            f'<blockquote class="rag-passage">{body}</blockquote></div>')


def _meta_html(c: Citation) -> str:
    """Outlet · date · author of a citation's article, linked to its URL; the document id when the article
    names no outlet (so the card still says where it comes from). Escaped: it is article data."""
    e = html.escape
    parts = [e(x) for x in (c.source or c.doc_id, _when(c.date), c.author) if x]
    if c.url.startswith(("http://", "https://")):
        parts.append(f'<a href="{e(c.url, quote=True)}" target="_blank" rel="noopener noreferrer">link</a>')
    return f'<div class="rag-meta">{" · ".join(parts)}</div>'


def _when(iso: str) -> str:
    """ "3 Jan 2020" for an ISO date or datetime, else the text as stored ("" stays "")."""
    try:
        return day_label(date.fromisoformat(iso[:10]))
    except ValueError:
        return iso


def render_timeline(t: Timeline) -> str:
    """The Timeline view: days in date order, each event's sentence with its outlets and citations, then
    the undated; every citation with its passage, the sentence highlighted, as in the sources panel."""
    e = html.escape
    if not t.days and not t.undated:
        return f'<div class="rag-none">{e(t.notice or "No passage matches this story.")}</div>'
    out = ['<div class="rag-panel rag-timeline">']
    if t.notice:
        out.append(f'<div class="rag-empty">{e(t.notice)}</div>')
    for label, events in [(d.label, d.events) for d in t.days] + ([("Undated", t.undated)] if t.undated else []):
        out.append(f'<h3 class="rag-day">{e(label)}</h3>')
        for ev in events:
            marks = "".join(f'<span class="rag-n">[{c.n}]</span>' for c in ev.citations)
            outlets = e(", ".join(ev.sources) or "outlet unknown")
            cards = "\n".join(_citation_html(c) for c in ev.citations)
            out.append(f'<details class="rag-event"><summary>{e(ev.text)} {marks} <span class="rag-meta">— '
                       f'{outlets}</span></summary>{cards}</details>')
    out.append("</div>")
    return "\n".join(out)


def _file_ref(f: Any) -> tuple[str, str]:
    """(name, server path) of one file in an upload payload; anything else gives an empty path."""
    if isinstance(f, dict) and isinstance(f.get("path"), str):
        name = f.get("orig_name")
        return (name if isinstance(name, str) and name else Path(f["path"]).name), f["path"]
    return "(not a file)", ""


def _shorten(s: str, n: int = 120) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def gradio_upload_folder() -> str:
    """The folder Gradio's upload route writes to (GRADIO_TEMP_DIR, else <tmp>/gradio)."""
    from gradio.utils import get_upload_folder

    return get_upload_folder()


def _source_choices(index: Index) -> list[str]:
    """The outlets to filter by, most articles first (articles that name none can't be chosen by outlet)."""
    try:
        return [s for s, _n in index.sources() if s]
    except RagError:
        return []
