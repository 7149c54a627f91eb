"""JSON output: the :class:`AuditResult` contract, deterministic."""

from __future__ import annotations

from conformite.engine.results import AuditResult

__all__ = ["render_json"]


def render_json(result: AuditResult) -> str:
    return result.to_json()
