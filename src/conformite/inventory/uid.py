"""The Swiss company number (UID / IDE / IDI) of a vendor: its form and check digit.

The UID (Unternehmens-Identifikationsnummer, numéro d'identification des
entreprises IDE, numero d'identificazione delle imprese IDI) is the prefix
``CHE``, eight digits drawn at random and a check digit (Ordinance on the UID,
UIDV, SR 431.031, art. 5). It is written ``CHE-123.456.789``; a company may
append the register it is entered in (UIDV art. 8): ``HR`` / ``RC`` for the
commercial register, ``MWST`` / ``TVA`` / ``IVA`` for the VAT register.

The check digit, as the Swiss Federal Statistical Office (BFS) documents it
("Berechnung der Prüfziffer", bfs.admin.ch, UID page, and eCH-0097 section
2.4.2): the eight digits are weighted 5, 4, 3, 2, 7, 6, 5, 4 and summed; the
check digit is 11 minus the sum modulo 11, 0 when that gives 11; when it
gives 10 the number is never issued. The BFS's own worked example
(``CHE-109.322.551``) and numbers published by their holders (Swiss Federal
Railways SBB ``CHE-102.909.703``, BLT Baselland Transport AG
``CHE-105.824.463``, in SBB's open service-point data) are checked in
tests/test_vendor_uid.py.

What is stored is the number alone, ``CHE-123.456.789``: it names the company
whatever register suffix or spelling the inventory used, so that the same
vendor is recognised across communes' inventories.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = ["UID_EXAMPLE", "UID_INPUT", "SwissUid", "check_digit", "normalise_uid"]

#: The form the inventory stores, and the example the messages show.
UID_EXAMPLE = "CHE-123.456.789"
_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4)
#: UIDV art. 8: the register suffixes, in German, French and Italian.
_SUFFIX = r"(?:MWST|TVA|IVA|HR|RC)"
#: What the inventory accepts: CHE, nine digits grouped with '-', '.' or spaces
#: or not at all, then optionally the register suffixes (``HR/MWST``).
UID_INPUT = (
    r"^CHE[-. ]?[0-9]{3}[. ]?[0-9]{3}[. ]?[0-9]{3}"
    rf"(?: +{_SUFFIX}(?:(?: *[/,] *| +){_SUFFIX})*)?$"
)
_INPUT = re.compile(UID_INPUT)


def check_digit(digits: str) -> int | None:
    """The check digit of the UID whose first eight digits are ``digits``;
    None when there is none (such numbers are never issued)."""
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"eight digits expected, not {digits!r}")
    rest = sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11
    digit = 11 - rest
    if digit == 10:
        return None
    return 0 if digit == 11 else digit


def normalise_uid(value: object) -> str:
    """``value`` as ``CHE-123.456.789``, or a :class:`PydanticCustomError`
    (``uid_format``, ``uid_check_digit`` or ``uid_never_issued``)."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _INPUT.match(text):
        raise PydanticCustomError(
            "uid_format", "not a Swiss UID of the form {example}", {"example": UID_EXAMPLE}
        )
    digits = "".join(c for c in text[3:] if c.isdigit())[:9]
    expected = check_digit(digits[:8])
    if expected is None:
        raise PydanticCustomError(
            "uid_never_issued", "not a Swiss UID: no check digit exists for these eight digits"
        )
    if int(digits[8]) != expected:
        raise PydanticCustomError(
            "uid_check_digit",
            "not a Swiss UID: the check digit should be {digit}",
            {"digit": expected},
        )
    return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}"


SwissUid = Annotated[
    str,
    BeforeValidator(normalise_uid),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UID_INPUT,
            "description": "Swiss company number (UID/IDE/IDI), CHE-123.456.789, "
            "with a valid check digit; a register suffix (MWST, TVA, IVA, HR, RC) "
            "is accepted and dropped",
        }
    ),
]
