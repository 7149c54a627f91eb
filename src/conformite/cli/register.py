"""``conformite register``: see :mod:`conformite.cli.report`."""

from conformite.cli.report import register

__all__ = ["register"]
