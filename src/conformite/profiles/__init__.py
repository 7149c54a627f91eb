"""Supplier profiles: vetted, sourced vendor facts an inventory can build on.

* :mod:`conformite.profiles.model`: the profile file format and its loading;
* :mod:`conformite.profiles.index`: signed indexes and the workspace cache;
* :mod:`conformite.profiles.sync`: fetching a published source over HTTP.

Nothing is re-exported here: import from the module that defines a name.
"""

__all__: list[str] = []
