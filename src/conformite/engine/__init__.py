"""Stage 3, the engine: the audit itself.

Takes in a workspace directory. :mod:`.workspace` loads and cross-checks it
(configuration, catalogue, reference data, inventory, supplier profiles);
:mod:`.derive` works out sensitive data, protection needs and where data
goes; :mod:`.targets` and :mod:`.verdict` set up and decide each control on
each target, run by :mod:`.evaluation` (a workspace's own controls in a
child process with time and memory limits, :mod:`.guard`; both forks share
:mod:`.children`); :mod:`.waivers` applies accepted
risks; :mod:`.scoring` weighs and scores. Gives out an :class:`AuditResult`
(:mod:`.results`, the JSON contract), in one call: :func:`run_audit`
(:mod:`.audit`). :mod:`.fixtures` runs each control's fixture through the
same engine.

Knows nothing about how results are presented.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "audit": ["run_audit"],
        "derive": ["Derived", "derive"],
        "evaluation": ["evaluate", "evaluate_workspace"],
        "results": ["SCHEMA_VERSION", "AuditResult", "Finding", "Score", "Scores"],
        "scoring": ["score_findings"],
        "targets": ["EvaluationInput"],
        "waivers": ["apply_waivers"],
        "workspace": ["Workspace", "load_inventory", "load_workspace"],
    },
)
