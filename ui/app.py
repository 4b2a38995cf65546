"""The Gradio app behind `rag ui`: chat with streamed answers and conversation memory, clickable [n] citations
that open the cited sentence inside its article, a sources panel, filters, and adding articles to the index.

One `Assistant` is shared by every browser session (it is thread-safe); each session's conversation lives in its
own `gr.State`, so concurrent users never see each other's history. `build_app` takes any assistant (tests use
private indexes); `launch` is what the command runs.
"""

from __future__ import annotations

import hmac
import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import Answer, Citation, Progress
from rag.assistant import Assistant
from rag.config import Settings
from rag.ingest.load import SUPPORTED_SUFFIXES, InputError, inside_allowed
from rag.ingest.pipeline import NothingIngested, ingest
from rag.retrieve import Filters
from rag.store import IndexStore, IndexUnavailable
from ui import render

log = logging.getLogger(__name__)

CONCURRENCY = 4  # questions answered at once; the LLM server queues their requests anyway
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_UPLOAD = "200mb"
# Gradio 6 takes stylesheets in launch(), not in Blocks(); `serve` passes it.
CSS = """
.app-header h2 { margin: 0 0 4px 0; }
.meta { color: var(--body-text-color-subdued); font-size: 0.85em; }
a.cite { cursor: pointer; font-weight: 600; text-decoration: none; color: var(--color-accent); }
a.cite:hover { text-decoration: underline; }
mark.cited { background: #ffe066; color: #111; padding: 0 2px; border-radius: 2px; }
.article-body { white-space: pre-wrap; line-height: 1.55; max-height: 60vh; overflow-y: auto; margin-top: 8px; }
.notice { border-left: 4px solid #e8a33d; background: rgba(232, 163, 61, 0.12); padding: 4px 8px; margin: 4px 0; }
.notice-refused, .notice-generated { border-color: #8a8a8a; background: rgba(138, 138, 138, 0.12); }
.notice-ok { border-color: #3d9e5a; background: rgba(61, 158, 90, 0.12); }
.notice-disagree { border-color: #c0392b; background: rgba(192, 57, 43, 0.10); }
.cite-list { margin: 6px 0 0 0; padding-left: 1.2em; font-size: 0.9em; list-style: none; }
.cited-list { list-style: none; padding-left: 0; }
.cited-item { margin-bottom: 8px; }
.cited-item q { display: block; margin: 2px 0; font-style: italic; }
ol.passages li { margin-bottom: 8px; font-size: 0.9em; }
.pending, .placeholder { color: var(--body-text-color-subdued); font-style: italic; }
#status:empty { display: none; }
"""
# A click on any [n] marker or passage link (in the chat or in a panel) opens it in the article view.
CITE_JS = """
if (!window.ragCiteHandler) {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#cite-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    window.ragCiteHandler(link.getAttribute('href').slice('#cite-'.length));
  }, true);
}
window.ragCiteHandler = (key) => trigger('cite', {key: key});
"""
# Gradio injects a tracker for a gr.Progress default; tqdm bars of the ingest show up in the app.
INGEST_PROGRESS = gr.Progress(track_tqdm=True)
SCROLL_TO_MARK_JS = "() => document.getElementById('cited-sentence')?.scrollIntoView({block: 'center'})"


@dataclass
class Session:
    """One browser session: the plain-text conversation the assistant sees, and every answer (for clicks)."""

    history: list[dict[str, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


class Catalogue:
    """The UI's own connection to the index catalogue for article views and counts, so it never interleaves
    with the assistant's retrieval on the assistant's connection."""

    def __init__(self, settings: Settings) -> None:
        self.store = IndexStore(settings, create=False)
        self.lock = threading.Lock()

    def article(self, article_id: str) -> tuple[Any, list[Any]]:
        with self.lock:
            return self.store.article(article_id), self.store.duplicates(article_id)

    def sources(self) -> list[str]:
        with self.lock:
            rows = self.store.db.execute("SELECT DISTINCT source FROM articles WHERE source != '' ORDER BY 1")
            return [row[0] for row in rows if row[0]]

    def roots(self) -> list[tuple[str, str]]:
        """(label, root) for every source of the index: folders, exports and upload batches."""
        with self.lock:
            return [(f"{Path(root).name} ({count} articles)", root) for root, count in self.store.sources()]

    def counts(self) -> tuple[int, int]:
        with self.lock:
            articles = self.store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            return int(articles), int(self.store.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def close(self) -> None:
        self.store.close()


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole UI over one assistant; serve it with `serve` (queue and stylesheet included)."""
    settings = assistant.settings
    catalogue = Catalogue(settings)

    def header() -> str:
        articles, chunks = catalogue.counts()
        return render.header_html(assistant.model_description, articles, chunks, str(settings.index_dir))

    with gr.Blocks(title="newsrag") as demo:
        header_view = gr.HTML(header(), elem_id="header")
        session = gr.State(Session())
        with gr.Row():
            with gr.Column(scale=5):
                chat = gr.Chatbot(
                    elem_id="chat", height=520, buttons=["copy"], feedback_options=None, label="Conversation"
                )
                question = gr.Textbox(
                    placeholder="Ask about the articles, then follow up…",
                    show_label=False,
                    elem_id="question",
                    max_lines=6,
                )
                with gr.Row():
                    ask_button = gr.Button("Ask", variant="primary", elem_id="ask")
                    new_button = gr.Button("New conversation", elem_id="new-conversation")
                status = gr.HTML("", elem_id="status")
            with gr.Column(scale=4), gr.Tabs() as panels:
                with gr.Tab("Article", id="article-tab"):
                    article_view = gr.HTML(render.ARTICLE_PLACEHOLDER, elem_id="article-view")
                with gr.Tab("Sources", id="sources-tab"):
                    sources_view = gr.HTML(render.SOURCES_PLACEHOLDER, elem_id="sources-view")
        with gr.Accordion("Filters and settings", open=False), gr.Row():
            date_from = gr.Textbox(label="From date (YYYY-MM-DD)", elem_id="date-from")
            date_to = gr.Textbox(label="To date (YYYY-MM-DD)", elem_id="date-to")
            source_filter = gr.Dropdown(
                catalogue.sources(), multiselect=True, label="Sources (none = all)", elem_id="sources"
            )
            top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages to use", elem_id="top-k")
        with gr.Accordion("Add articles", open=False):
            with gr.Row():
                uploads = gr.File(
                    file_count="multiple",
                    file_types=sorted(SUPPORTED_SUFFIXES),
                    label="Upload files (.txt, .md, .html, .jsonl, .csv)",
                )
                paths = gr.Textbox(
                    label="…or folders/files on the server, inside "
                    + ", ".join(str(root) for root in settings.ui_server_folders)
                    + " (one per line)",
                    lines=3,
                    elem_id="ingest-paths",
                    visible=bool(settings.ui_server_folders),  # off unless folders are allowed (ui_server_folders)
                )
            add_button = gr.Button("Add to index", elem_id="add")
            ingest_view = gr.HTML("", elem_id="ingest-report")
            with gr.Row():
                index_sources = gr.Dropdown(
                    catalogue.roots(), label="Sources in the index", elem_id="index-sources", scale=4
                )
                remove_button = gr.Button("Remove source", elem_id="remove-source", scale=1)
        cite_bridge = gr.HTML("", js_on_load=CITE_JS, elem_id="cite-bridge", padding=False)

        def ask(
            text: str, messages: list[dict[str, str]], state: Session, start: str, end: str, sources: Any, k: float
        ) -> Iterator[dict[Any, Any]]:
            try:
                filters = _filters(start, end, sources)
            except ValueError as error:
                yield {status: render.message_html(str(error))}
                return
            if catalogue.counts()[1] == 0:
                yield {status: render.message_html("The index is empty: add articles under “Add articles” first.")}
                return
            turn = len(state.answers)
            shown = [*messages, {"role": "user", "content": escape(text)}]  # the box keeps the text until answered
            yield {chat: [*shown, {"role": "assistant", "content": render.pending_html("")}], status: ""}
            draft, answer = "", None
            try:
                for event in assistant.stream(text, state.history, filters, int(k)):
                    if isinstance(event, Answer):
                        answer = event
                    elif isinstance(event, Progress):
                        pending = render.pending_html(draft, event.message)
                        yield {chat: [*shown, {"role": "assistant", "content": pending}]}
                    else:  # a checked claim
                        draft += event
                        yield {chat: [*shown, {"role": "assistant", "content": render.pending_html(draft)}]}
            except ValueError as error:  # empty or over-long question: nothing was asked
                yield {chat: messages, status: render.message_html(f"Not asked: {error}.")}
                return
            except Exception as error:  # the user gets a sentence, the log gets the traceback
                log.exception("answering %r failed", text)
                yield {chat: messages, status: render.message_html(f"Something went wrong while answering: {error}")}
                return
            if answer is None:
                yield {chat: messages, status: render.message_html("Nothing in the index matches the question.")}
                return
            state.answers.append(answer)
            state.history += [{"role": "user", "content": text}, {"role": "assistant", "content": answer.text}]
            yield {
                chat: [*shown, {"role": "assistant", "content": render.answer_html(answer, turn)}],
                session: state,
                sources_view: render.sources_html(answer, turn),
                question: "",
            }

        def new_conversation() -> tuple[Any, ...]:
            return [], Session(), "", render.ARTICLE_PLACEHOLDER, render.SOURCES_PLACEHOLDER, ""

        def show_cited(state: Session, event: gr.EventData) -> Any:
            """Opens the citation or passage named by the clicked link's key."""
            found = _lookup(state, str(getattr(event, "key", "")))
            if found is None:
                return gr.skip(), gr.skip()
            article_id, citation = found
            article, duplicates = catalogue.article(article_id)
            if article is None:
                view = render.message_html("That article is no longer in the index (it was re-ingested).")
            else:
                view = render.article_html(article, duplicates, citation)
            return view, gr.Tabs(selected="article-tab")

        def add_articles(files: list[str] | None, folders: str, progress: Any = INGEST_PROGRESS) -> Any:
            files, stored = files or [], None
            try:
                named = [line.strip() for line in (folders or "").splitlines() if line.strip()]
                if named and not settings.ui_server_folders:
                    raise InputError("server folders cannot be added here")
                targets = [inside_allowed(line, settings.ui_server_folders) for line in named]
                if files:
                    stored = take_uploads(files, settings)
                    targets.append(stored)
                if not targets:
                    raise InputError("choose files to upload first")
                messages: list[str] = []
                progress(0, desc="Adding articles")

                def said(message: str) -> None:  # shown live (the cost before embedding starts) and in the report
                    messages.append(message)
                    progress(0, desc=message)

                budget = settings.upload_max_chunks
                report = ingest(targets, settings, progress=True, on_status=said, max_new_chunks=budget)
                failed = False
            except (InputError, IndexUnavailable) as error:
                if stored is not None:  # refused whole: the stored copies go too (they are not a root)
                    shutil.rmtree(stored, ignore_errors=True)
                return render.message_html(f"Could not add: {error}"), gr.skip(), gr.skip(), gr.skip()
            except NothingIngested as error:
                report, failed = error.report, True
                if stored is not None:  # nothing in it was usable: not kept as a source, not kept on disk
                    shutil.rmtree(stored, ignore_errors=True)
            finally:
                for file in files:  # never left in Gradio's temporary folder, accepted or not
                    Path(file).unlink(missing_ok=True)
            summary = render.ingest_report_html(report.to_dict(), messages, failed)
            return summary, gr.update(choices=catalogue.sources()), header(), gr.update(choices=catalogue.roots())

        def remove_source(root: str | None) -> Any:
            """Takes one source out: its articles, sentences and vectors, and its stored files if it was an upload."""
            if not root:
                return render.message_html("Choose a source to remove first."), gr.skip(), gr.skip(), gr.skip()
            try:
                report = ingest([], settings, progress=False, remove=[root])
            except (InputError, IndexUnavailable) as error:
                return render.message_html(f"Could not remove: {error}"), gr.skip(), gr.skip(), gr.skip()
            message = f"Removed {report.removed_articles} article(s); {report.articles} remain."
            roots = gr.update(choices=catalogue.roots(), value=None)
            return render.message_html(message, "ok"), roots, gr.update(choices=catalogue.sources()), header()

        def ask_api(
            question: str, date_from: str = "", date_to: str = "", sources: list[str] | None = None, top_k: int = 0
        ) -> dict:
            """One question, no conversation: the whole answer as JSON (text, mode, short answer, citations with
            article, sentence and character offsets, retrieved passages, timings). The app's only API endpoint."""
            try:
                filters = _filters(date_from, date_to, sources)
                return assistant.ask(question, filters=filters, top_k=top_k or None).to_dict()
            except ValueError as error:
                raise gr.Error(str(error)) from None

        # The page's own events are not API endpoints (gradio_client could otherwise call "add_articles" directly);
        # `/ask` above is the supported interface. The chat turn alone is callable but unlisted ("undocumented"): it
        # does no more than `/ask`, and the load test (eval/load_test.py) drives exactly what a browser session
        # does through it, conversation state included.
        private: Any = {"api_visibility": "private"}
        ask_inputs = [question, chat, session, date_from, date_to, source_filter, top_k]
        ask_outputs = [chat, session, status, sources_view, question]
        ask_button.click(ask, ask_inputs, ask_outputs, api_name="page_ask", api_visibility="undocumented")
        question.submit(ask, ask_inputs, ask_outputs, api_name="page_submit", **private)
        reset_outputs = [chat, session, status, article_view, sources_view, question]
        new_button.click(new_conversation, outputs=reset_outputs, queue=False, **private)
        chat.clear(new_conversation, outputs=reset_outputs, queue=False, **private)
        cite_bridge.cite(show_cited, [session], [article_view, panels], **private).then(
            None, js=SCROLL_TO_MARK_JS, **private
        )
        add_button.click(
            add_articles,
            [uploads, paths],
            [ingest_view, source_filter, header_view, index_sources],
            concurrency_limit=1,
            concurrency_id="ingest",
            **private,
        )
        remove_button.click(
            remove_source,
            [index_sources],
            [ingest_view, index_sources, source_filter, header_view],
            concurrency_limit=1,
            concurrency_id="ingest",
            **private,
        )
        demo.load(header, outputs=header_view, **private)  # counts as of each page load
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo


def _filters(start: str, end: str, sources: Any) -> Filters:
    """Filters from the form (a malformed date raises with a readable message)."""
    start, end = (start or "").strip(), (end or "").strip()
    return Filters(date_from=start or None, date_to=end or None, sources=tuple(sources or ()))


def _lookup(state: Session, key: str) -> tuple[str, Citation | None] | None:
    """(article id, citation or None) for a link key "TURN-N" (citation N) or "TURN-pI" (passage I)."""
    turn, _, item = key.partition("-")
    if not turn.isdigit() or int(turn) >= len(state.answers):
        return None
    answer = state.answers[int(turn)]
    if item.startswith("p") and item[1:].isdigit() and int(item[1:]) < len(answer.passages):
        return answer.passages[int(item[1:])].article_id, None
    cited = next((c for c in answer.citations if item.isdigit() and c.number == int(item)), None)
    return (cited.article_id, cited) if cited else None


def take_uploads(files: list[str], settings: Settings) -> Path:
    """Moves one batch of uploads out of Gradio's temporary folder into the index's own uploads folder, which
    becomes an ingested root (a temporary folder would be reported missing on the next ingest). A batch over the
    upload limits is refused whole; either way nothing is left in the temporary folder."""
    try:
        total = sum(Path(file).stat().st_size for file in files)
        if len(files) > settings.upload_max_files:
            raise InputError(f"{len(files)} files in one batch; at most {settings.upload_max_files} are accepted")
        if total > settings.upload_max_mb * 1e6:
            raise InputError(f"{total / 1e6:.0f} MB in one batch; at most {settings.upload_max_mb:g} MB are accepted")
        target = settings.index_dir / "uploads" / time.strftime("%Y%m%d-%H%M%S")
        target.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copy2(file, target / Path(file).name)
        return target
    finally:
        for file in files:
            Path(file).unlink(missing_ok=True)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise ValueError("ui_auth must look like user:password")
    return user, password


class SlowLogin:
    """Gradio's login form check (a form and a session cookie, not HTTP basic auth): compares in constant time,
    and every failed attempt waits `delay` seconds while holding a lock, so guessing runs at most one try per
    `delay` seconds however many requests are sent at once."""

    def __init__(self, user: str, password: str, delay: float = 1.0) -> None:
        self.user, self.password, self.delay = user.encode(), password.encode(), delay
        self._failures = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        right_user = hmac.compare_digest(user.encode(), self.user)
        if hmac.compare_digest(password.encode(), self.password) and right_user:
            return True
        with self._failures:
            time.sleep(self.delay)
        return False


def check_exposure(host: str, auth: tuple[str, str] | None, insecure: bool) -> None:
    """Serving beyond this machine without a login gives everyone on the network the assistant and its articles:
    refused unless explicitly asked for."""
    if host not in LOCAL_HOSTS and auth is None and not insecure:
        raise ValueError(
            f"refusing to serve on {host} without a login: set ui_auth (RAG_UI_AUTH=user:password), bind to "
            "127.0.0.1, or pass --insecure (RAG_UI_INSECURE=true) to serve it to the network anyway"
        )


def serve(
    demo: gr.Blocks, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True, delay: float = 1.0
) -> str:
    """Starts the server (blocking unless `block` is false) and returns its URL."""
    _, url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=SlowLogin(*auth, delay=delay) if auth else None,
        css=CSS,
        prevent_thread_lock=not block,
        quiet=not block,
        ssr_mode=False,
        show_error=False,
        max_file_size=MAX_UPLOAD,
        footer_links=[],
    )
    return url


def open_assistant(settings: Settings, corpus: Path | None, on_status: Callable[[str], None]) -> Assistant:
    """Opens the index, building it from `corpus` on the first run (no index yet); without a corpus an empty
    index is created and the app says so."""
    if not settings.catalog_path.exists():
        if corpus is not None and corpus.exists():
            on_status(f"no index at {settings.index_dir} yet: building it from {corpus} (first run)")
            ingest([corpus], settings, progress=True, on_status=on_status)
        else:
            IndexStore(settings).close()
    return Assistant.open(settings=settings)


def launch(settings: Settings, corpus: Path | None = None) -> None:
    """`rag ui`: open (or first build) the index, start the model, serve until Ctrl-C."""
    auth = parse_auth(settings.ui_auth)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    check_exposure(settings.ui_host, auth, settings.ui_insecure)
    if settings.ui_host not in LOCAL_HOSTS and auth is None:
        say(f"warning: serving on {settings.ui_host} to the network WITHOUT a login (--insecure)")
    assistant = open_assistant(settings, corpus, say)
    say(f"model: {assistant.model_description}")
    try:
        serve(build_app(assistant), settings.ui_host, settings.ui_port, auth=auth)
    finally:
        assistant.close()
