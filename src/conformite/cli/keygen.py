"""``conformite keygen``: see :mod:`conformite.cli.signing`."""

from conformite.cli.signing import keygen

__all__ = ["keygen"]
