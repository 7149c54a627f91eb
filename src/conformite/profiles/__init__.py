"""Supplier profiles: vetted, sourced vendor facts that inventories build on.

Takes in profile files (shipped in ``supplier_profiles/``, or published by a
source as a signed index and synced into the workspace cache). Gives out a
:class:`ProfileRegistry` whose facts an inventory vendor inherits by naming
a profile (merged when the workspace loads, see
:mod:`conformite.engine.workspace`), each fact with its source.

* :mod:`.model`: the profile file format and its loading;
* :mod:`.index`: signed indexes and the workspace cache;
* :mod:`.sync`: fetching a published source over HTTP (imported by the
  ``profiles sync`` command only, so that an audit does not load the HTTP
  stack).
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "index": ["build_index", "load_cached_profiles", "parse_index"],
        "model": ["LoadedProfile", "ProfileRegistry", "load_profiles"],
    },
)
