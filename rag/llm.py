"""One code path to any OpenAI-compatible endpoint (the project's local llama.cpp server, vLLM, Ollama, OpenAI).

Every answering call has a connect timeout and one deadline for the whole request (streaming included), and no
retries, so a dead, silent or trickling endpoint costs at most `llm_timeout`, not a hang; all failures surface as
`LLMUnavailable`, which the assistant turns into an extractive answer.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai

from rag.config import Settings
from rag.llm_server import LLMServerError, LocalLLMServer

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


class LLMUnavailable(RuntimeError):
    """The endpoint is not configured, did not start, cannot be reached, timed out or answered with an error."""


def prompt(name: str, **fields: str) -> str:
    """The template prompts/<name>.txt with its {fields} filled in (a prompt without fields is used as written, so
    it may show JSON)."""
    text = (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8")
    return text.format(**fields) if fields else text


class LLMClient:
    """Chat completions, structured streaming and yes/no judging against the configured endpoint."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.llm_model
        self._server: LocalLLMServer | None = None
        self._judge: LLMClient | None = None  # the bundled server with per-token logits, started by the first P(yes)
        self._judge_error: str | None = None  # why it could not start (each later call fails at once, not again slowly)
        if not settings.llm_enabled:
            raise LLMUnavailable("the LLM is switched off (llm_enabled = false)")
        base_url = settings.llm_api_base
        if base_url is None:
            try:
                self._server = LocalLLMServer(settings)
            except LLMServerError as error:
                raise LLMUnavailable(f"the local model could not be started: {error}") from None
            base_url = self._server.base_url
        self.endpoint = base_url
        # the key the endpoint expects: the bundled server's per-run key, or the configured one (for baselines that
        # build their own client to the same endpoint)
        self.api_key = self._server.api_key if self._server is not None else settings.llm_api_key
        self._schema_support = settings.llm_structured_output
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=self.api_key,
            timeout=httpx.Timeout(settings.llm_timeout, connect=settings.llm_connect_timeout),
            max_retries=0,
        )

    @property
    def bundled(self) -> bool:
        """Whether the endpoint is the local server this client started."""
        return self._server is not None

    @property
    def description(self) -> str:
        where = "local llama.cpp server" if self.bundled else "endpoint"
        return f"{self.model} ({where} {self.endpoint})"

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str:
        return "".join(self._stream(messages, max_tokens, None)).strip()

    def stream_json(self, messages: list[dict[str, str]], schema: dict, max_tokens: int | None = None) -> Iterator[str]:
        """The reply as it is generated, constrained to `schema` where that is switched on (llama.cpp: a grammar;
        OpenAI-style servers: structured outputs). An endpoint that rejects the schema is asked again without it,
        and from then on always without it: the prompt itself asks for the same JSON, and the caller parses it."""
        yield from self._stream(messages, max_tokens, self._response_format(schema))

    def request_args(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> dict:
        """The arguments of every answer request: deterministic decoding (temperature 0, the fixed seed) and the
        reply's token budget. eval/probe_logprobs.py sends the same ones, so it measures the replies answers get."""
        return {
            "model": self.model,
            "messages": messages,
            "temperature": 0.0,
            "seed": self.settings.llm_seed,
            "max_tokens": max_tokens or self.settings.llm_max_tokens,
        }

    def _stream(
        self, messages: list[dict[str, str]], max_tokens: int | None, response_format: dict | None
    ) -> Iterator[str]:
        """The streamed reply's text (temperature 0, fixed seed), under one deadline for the whole request."""
        request = {**self.request_args(messages, max_tokens), "stream": True}
        with _Deadline(self.settings.llm_timeout) as deadline:
            try:
                try:
                    events = self._client.chat.completions.create(
                        **request, **({"response_format": response_format} if response_format else {})
                    )
                except openai.APIStatusError as error:  # llama-cpp-python answers 500 to a json_schema it cannot read
                    if response_format is None or not (
                        error.status_code in (400, 422) or "response_format" in str(error)
                    ):
                        raise
                    self._schema_support = "none"
                    events = self._client.chat.completions.create(**request)
                deadline.watch(events.response)
                finished = False
                for event in events:
                    deadline.check()
                    if event.choices and event.choices[0].delta.content:
                        yield event.choices[0].delta.content
                    finished = finished or bool(event.choices and event.choices[0].finish_reason)
                deadline.check()
            except (openai.OpenAIError, httpx.HTTPError, httpx.StreamError, OSError) as error:
                raise self._unavailable(error, deadline) from None
        if not finished:  # a server that ends a stream early (llama-cpp-python, when another request waits)
            raise LLMUnavailable(f"the LLM endpoint {self.endpoint} ended its reply before finishing it")

    def _response_format(self, schema: dict) -> dict | None:
        """llama-cpp-python's server reads a schema only from {"type": "json_object", "schema": ...}; OpenAI and
        vLLM read {"type": "json_schema", ...}. "auto" sends none to the bundled server: its grammar sampler checks
        all 151,936 vocabulary entries at every token, ~0.5 s a token on 2 cores (eval/bench_llm.py), and the
        1.5B model writes this JSON without it."""
        kind = self._schema_support
        if kind == "auto":
            kind = "none" if self.bundled else "json_schema"
        if kind == "json_object":
            return {"type": "json_object", "schema": schema}
        if kind == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        return None

    def probability_yes(self, question: str) -> float:
        """P(the model's one-token reply is "Yes"), from the top log-probabilities of a single forward pass; under the
        same one deadline as answering (the eval judges thousands of pairs: one stuck request must not hold it).
        The bundled answer server computes no per-token logits (`llm_logprobs` off: faster answers), so judging
        there starts a second local server that does; its prompts no longer evict the answer prompt's cached
        prefix either."""
        if self.bundled and not self.settings.llm_logprobs:
            if self._judge is None:
                if self._judge_error is not None:
                    raise LLMUnavailable(self._judge_error)
                try:
                    self._judge = LLMClient(self.settings.model_copy(update={"llm_logprobs": True}))
                except LLMUnavailable as error:
                    self._judge_error = f"the judge's server (with log-probabilities) could not start: {error}"
                    raise LLMUnavailable(self._judge_error) from None
            return self._judge.probability_yes(question)
        with _Deadline(self.settings.llm_timeout) as deadline:
            try:
                with self._client.chat.completions.with_streaming_response.create(
                    model=self.model,
                    messages=[{"role": "user", "content": question}],
                    temperature=0.0,
                    max_tokens=1,
                    logprobs=True,
                    top_logprobs=10,
                ) as raw:
                    deadline.watch(raw.http_response)
                    response = raw.parse()
                deadline.check()
            except (openai.OpenAIError, httpx.HTTPError, httpx.StreamError, OSError) as error:
                raise self._unavailable(error, deadline) from None
        choice = response.choices[0]
        if choice.logprobs is None or not choice.logprobs.content:  # endpoint without logprobs: use the text
            return 1.0 if (choice.message.content or "").strip().lower().startswith("yes") else 0.0
        yes = no = 0.0
        for candidate in choice.logprobs.content[0].top_logprobs:
            word = candidate.token.strip().lower()
            if word in ("yes", "y"):
                yes += math.exp(candidate.logprob)
            elif word in ("no", "n"):
                no += math.exp(candidate.logprob)
        return yes / (yes + no) if yes + no > 0 else 0.0

    def _unavailable(self, error: Exception, deadline: _Deadline) -> LLMUnavailable:
        if deadline.expired.is_set():
            timeout = self.settings.llm_timeout
            return LLMUnavailable(f"the LLM endpoint {self.endpoint} timed out (no complete reply in {timeout:g} s)")
        if isinstance(error, openai.OpenAIError):
            return LLMUnavailable(_describe(error, self.endpoint))
        return LLMUnavailable(f"the LLM endpoint {self.endpoint} failed: {error}")

    def close(self) -> None:
        if self._judge is not None:
            self._judge.close()
            self._judge = None
        self._client.close()
        if self._server is not None:
            self._server.stop()
            self._server = None


class _Deadline:
    """One deadline for a whole request. httpx's timeouts bound each read, so an endpoint that trickles keep-alives or
    tokens could otherwise hold the caller for ever: when `seconds` pass, the watched HTTP response is closed, which
    ends the read in progress with an error, and `check` raises from then on. Leaving the block closes the response
    (also when a streaming caller stops reading early: the connection is released)."""

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._response: httpx.Response | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if self._response is not None:
            self._response.close()

    def watch(self, response: httpx.Response) -> None:
        self._response = response
        if self.expired.is_set():
            response.close()

    def check(self) -> None:
        if self.expired.is_set():
            raise httpx.ReadTimeout("deadline")

    def _expire(self) -> None:
        self.expired.set()
        if self._response is not None:
            self._response.close()


def _describe(error: openai.OpenAIError, endpoint: str) -> str:
    if isinstance(error, openai.APITimeoutError):
        return f"the LLM endpoint {endpoint} timed out"
    if isinstance(error, openai.APIConnectionError):
        return f"the LLM endpoint {endpoint} cannot be reached"
    if isinstance(error, openai.APIStatusError):
        return f"the LLM endpoint {endpoint} answered HTTP {error.status_code}: {str(error.message)[:200]}"
    return f"the LLM endpoint {endpoint} failed: {error}"
