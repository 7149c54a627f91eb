"""Which communes' vendor entries are the same company.

Each commune names its vendors in its own inventory; the roll-up puts the
entries of one company together, by the strongest identifier they share:

1. the Swiss company number (UID, ``CHE-123.456.789``; a ``TVA``/``MWST``/``IVA``
   suffix and spacing are ignored);
2. the supplier profile the entry is built on (its id, ``@VERSION`` stripped:
   ``nuage-alpin@2`` and ``nuage-alpin@3`` are one vendor);
3. the normalised name: case folded, accents removed, punctuation and legal
   forms (SA, AG, Sàrl, GmbH, Ltd, Inc, SAS, S.p.A., ...) removed, whitespace
   collapsed: "Helvetic Gov Solutions SA" and "HELVETIC-GOV Solutions" match.

Entries are linked with union-find, UID links first, then profile links, then
name links, so an entry carrying both a UID and a profile joins the
profile-only entries to the UID's group. A link never joins two different UIDs
(two registered companies stay apart even under one name), and a name link never
joins two different profiles. ``matched_by`` is the weakest link that joined
the group (``uid`` only when every entry carried the same UID); a group of
identical entries is matched by its strongest identifier. The group's ``key``
is its strongest identifier: ``uid:…``, else ``profile:…``, else ``name:…``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from conformite.rollup.load import folded

__all__ = ["Entry", "VendorGroup", "match_vendors", "normalise_name", "normalise_uid"]

#: Legal forms left out of a name (compared after case folding, accents and
#: punctuation removed, so "S.p.A." is "s p a" and "Sàrl" is "sarl").
_LEGAL_FORMS = (
    "s p a",
    "s a r l",
    "s a s",
    "s a",
    "sarl",
    "sagl",
    "sas",
    "spa",
    "srl",
    "sa",
    "ag",
    "gmbh",
    "ltd",
    "limited",
    "inc",
    "llc",
    "plc",
    "bv",
    "nv",
    "kg",
    "co",
    "corp",
    "corporation",
)
_FORMS = re.compile(r"(?:^| )(?:" + "|".join(re.escape(f) for f in _LEGAL_FORMS) + r")(?= |$)")
_PUNCTUATION = re.compile(r"[^\w]+|_")
_UID_DIGITS = re.compile(r"^CHE(\d{9})(?:TVA|MWST|IVA)?$")
_LEVEL = {"uid": 0, "profile": 1, "name": 2}


def normalise_name(name: str) -> str:
    """``name`` as compared across communes (see the module's rule)."""
    plain = folded(name)
    words = " ".join(_PUNCTUATION.sub(" ", plain).split())
    # Repeated: "Foo AG & Co KG" loses every form; a name made only of a form stays.
    previous = None
    while previous != words:
        previous = words
        stripped = " ".join(_FORMS.sub(" ", words).split())
        words = stripped or words
    return words or name.strip().casefold()


def normalise_uid(uid: str | None) -> str | None:
    """``CHE-123.456.789`` from any spelling of a UID; other text unchanged (stripped)."""
    if not uid:
        return None
    compact = re.sub(r"[\s.\-]", "", uid.upper())
    match = _UID_DIGITS.match(compact)
    if not match:
        return uid.strip() or None
    d = match.group(1)
    return f"CHE-{d[0:3]}.{d[3:6]}.{d[6:9]}"


def profile_id(profile: str | None) -> str | None:
    """A supplier profile's id without its ``@VERSION``."""
    if not profile:
        return None
    return profile.split("@", 1)[0].strip() or None


@dataclass(frozen=True, slots=True)
class Entry:
    """One vendor entry as the roll-up compares it: normalised UID, profile id, name."""

    uid: str | None
    profile: str | None
    name: str

    @classmethod
    def of(cls, name: str, uid: str | None, profile: str | None) -> Entry:
        return cls(normalise_uid(uid), profile_id(profile), normalise_name(name))


@dataclass(frozen=True, slots=True)
class VendorGroup:
    """The entries of one company: its key and how they were matched."""

    key: str
    matched_by: str


class _Sets:
    """Union-find over entries, each set knowing its UIDs and profiles."""

    def __init__(self, entries: list[Entry]) -> None:
        self.parent = list(range(len(entries)))
        self.uids = [{e.uid} - {None} for e in entries]
        self.profiles = [{e.profile} - {None} for e in entries]
        self.weakest = [_strongest(e) for e in entries]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, link: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.uids[ra] and self.uids[rb] and self.uids[ra] != self.uids[rb]:
            return  # two registered companies
        profiles = self.profiles[ra], self.profiles[rb]
        if link == "name" and all(profiles) and profiles[0] != profiles[1]:
            return  # two profiles under one name
        ra, rb = min(ra, rb), max(ra, rb)
        self.parent[rb] = ra
        self.uids[ra] |= self.uids[rb]
        self.profiles[ra] |= self.profiles[rb]
        self.weakest[ra] = max(self.weakest[ra], self.weakest[rb], _LEVEL[link])


def _strongest(entry: Entry) -> int:
    if entry.uid:
        return _LEVEL["uid"]
    return _LEVEL["profile"] if entry.profile else _LEVEL["name"]


def match_vendors(entries: Iterable[Entry]) -> dict[Entry, VendorGroup]:
    """Each distinct entry's group (see the module's rule). Deterministic: the result
    does not depend on the order of ``entries``."""
    distinct = sorted(set(entries), key=lambda e: (e.uid or "", e.profile or "", e.name))
    sets = _Sets(distinct)
    for link, attribute in (("uid", "uid"), ("profile", "profile"), ("name", "name")):
        first: dict[str, int] = {}
        for i, entry in enumerate(distinct):
            value = getattr(entry, attribute)
            if not value:
                continue
            if value in first:
                sets.union(first[value], i, link)
            else:
                first[value] = i
    members: dict[int, list[Entry]] = {}
    for i, entry in enumerate(distinct):
        members.setdefault(sets.find(i), []).append(entry)
    names = {0: "uid", 1: "profile", 2: "name"}
    out: dict[Entry, VendorGroup] = {}
    for root, group in members.items():
        group_key = _key(group)
        matched = VendorGroup(group_key, names[sets.weakest[root]])
        for entry in group:
            out[entry] = matched
    return out


def _key(group: list[Entry]) -> str:
    """The strongest identifier of a group: its most frequent UID, profile or name."""
    for prefix, attribute in (("uid", "uid"), ("profile", "profile"), ("name", "name")):
        counts = Counter(getattr(e, attribute) for e in group if getattr(e, attribute))
        if counts:
            best = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
            return f"{prefix}:{best}"
    return "name:"  # only entries named by an empty name
