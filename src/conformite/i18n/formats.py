"""Numbers, amounts and dates as a Swiss reader of each language expects them.

========  ==============  ==================  =============
language  date            amount              score
========  ==============  ==================  =============
fr        ``28.11.2026``  ``CHF 1'235``       ``60.3``
de        ``28.11.2026``  ``CHF 1'235``       ``60.3``
it        ``28.11.2026``  ``CHF 1'235``       ``60.3``
en        ``28 Nov 2026`` ``CHF 1'235``       ``60.3``
========  ==============  ==================  =============

Swiss usage in all four languages groups thousands with an apostrophe and
writes decimals with a point, the currency code first, amounts in whole francs
(``CHF 1'235``: a plan's figures are estimates; one format everywhere), and
dates as day.month.year. For English we keep the Swiss amounts (the same
figures as in the other languages' reports, as the Swiss English locale of
CLDR does) and write dates as ``28 Nov 2026``: day, abbreviated month, year,
which no English reader, British or American, can misread.

The apostrophe is the ASCII one (``'``), so that amounts survive copying into
spreadsheets, wikis and e-mails unchanged.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "colon",
    "format_chf",
    "format_date",
    "format_days",
    "format_delta",
    "format_number",
    "format_score",
    "localize_dates",
]

GROUP = "'"
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def format_date(value: dt.date | str | None, lang: str) -> str:
    """``28.11.2026`` (fr, de, it) or ``28 Nov 2026`` (en); ``–`` for no date."""
    if value is None or value == "":
        return "–"
    date = _as_date(value)
    if lang == "en":
        return f"{date.day} {_EN_MONTHS[date.month - 1]} {date.year}"
    return f"{date.day:02d}.{date.month:02d}.{date.year}"


def format_number(value: float | int, lang: str, decimals: int = 0) -> str:
    """``1'234`` or ``1'234.5``: Swiss grouping in every language."""
    del lang  # the same in the four languages (see the module's docstring)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", GROUP)


def format_chf(value: float | int, lang: str) -> str:
    """``CHF 1'235``: every amount in whole francs, one format everywhere (the plan's
    figures are estimates; machine outputs keep the exact numbers)."""
    from decimal import ROUND_HALF_UP, Decimal

    francs = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return "CHF " + format_number(francs, lang, 0)


def format_score(value: float | None, lang: str) -> str:
    """A score out of 100 with one decimal (``60.3``), ``–`` when there is none."""
    if value is None:
        return "–"
    return format_number(value, lang, 1)


def format_delta(value: float | None, lang: str) -> str:
    """A signed change of score: ``+4.2``, ``−1.0`` (a true minus sign), ``±0.0``."""
    if value is None:
        return "–"
    rounded = round(value, 1)
    if rounded > 0:
        return "+" + format_number(rounded, lang, 1)
    if rounded < 0:
        return "−" + format_number(-rounded, lang, 1)
    return "±" + format_number(0, lang, 1)


def format_days(value: float, lang: str) -> str:
    """Person-days with at most one decimal: ``2``, ``0.5``, ``12.5``."""
    if float(value).is_integer():
        return format_number(value, lang, 0)
    return format_number(value, lang, 1)


def colon(label: str, lang: str) -> str:
    """``label:``, with the space French typography puts before a colon (``label :``)."""
    return f"{label}\u00a0:" if lang == "fr" else f"{label}:"


#: An ISO date in running text (a fact in a finding's message: ``signed_on: 2019-05-20``).
_ISO_DATE_IN_TEXT = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def localize_dates(text: str, lang: str) -> str:
    """``text`` with every ISO date written as the reader writes dates (``20.05.2019``,
    ``20 May 2019``); a string that only looks like a date (``2019-13-45``) is kept."""

    def local(match: re.Match[str]) -> str:
        try:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return match[0]
        return format_date(day, lang)

    return _ISO_DATE_IN_TEXT.sub(local, text)
