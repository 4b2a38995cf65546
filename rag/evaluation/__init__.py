"""Evaluation against known answers (`rag eval`): eval-set loading, metrics, the runner, baselines and reports."""

from __future__ import annotations

from typing import Any


def run_eval(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See `rag.evaluation.runner.run_eval` (imported lazily: it pulls in the answering pipeline)."""
    from rag.evaluation.runner import run_eval as _run_eval

    return _run_eval(*args, **kwargs)


__all__ = ["run_eval"]
