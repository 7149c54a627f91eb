"""Stage 5, the roll-up across communes: what associations, cantonal authorities
and shared IT providers read.

Takes in saved audit results (``conformite audit --format json``, any schema
version), loads them into an in-process DuckDB database and computes a
:class:`Rollup` (:mod:`.model`): scores and coverage by canton and population
band, each commune's percentile among its peers, per-control and per-vendor
outcomes across communes, and the trend by year. Renderers lay it out.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "model": ["Rollup", "ROLLUP_SCHEMA_VERSION"],
        "analysis": ["compute_rollup"],
        "export": ["rollup_json", "rollup_schema", "write_parquet"],
        "load": ["read_result"],
        "store": ["add_results", "open_store"],
        "vendors": ["match_vendors"],
    },
)
