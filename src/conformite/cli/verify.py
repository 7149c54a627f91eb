"""``conformite verify``: see :mod:`conformite.cli.signing`."""

from conformite.cli.signing import verify

__all__ = ["verify"]
