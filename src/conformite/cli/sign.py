"""``conformite sign``: see :mod:`conformite.cli.signing`."""

from conformite.cli.signing import sign

__all__ = ["sign"]
