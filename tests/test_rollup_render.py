"""The roll-up's HTML page and XLSX workbook, from Rollup models built here.

The sample: six communes in two cantons (VD, FR) and three population bands,
two years of results, four vendors (one matched by UID, one by profile, one
by name with a hostile name, one used by a single commune), one commune with
a hostile name, one unsigned result. The private variant is what the analysis
gives for publication: no commune, no source, groups and vendors drawn from
fewer than three communes suppressed.
"""

from __future__ import annotations

import io
import re
from html import unescape

import pytest

from conformite.rollup.model import (
    CommuneRow,
    ControlRow,
    Distribution,
    GroupRow,
    Rollup,
    SourceRow,
    TrendRow,
    VendorControlRow,
    VendorRow,
)
from conformite.rollup.render_html import render_rollup_html, vendor_sentence
from conformite.rollup.render_xlsx import render_rollup_xlsx

LANGS = ("fr", "de", "it", "en")
HOSTILE_COMMUNE = '<script>alert(1)</script> "Dorf" =HYPERLINK("http://evil.example","x")'
HOSTILE_VENDOR = '=HYPERLINK("http://evil.example","Cloud") <img src=x onerror=alert(2)> "AG"'
TITLES = {
    "SUP-DPA": {
        "fr": "Un contrat de sous-traitance est signé avec le fournisseur",
        "de": "Mit dem Lieferanten ist ein Auftragsbearbeitungsvertrag unterzeichnet",
        "it": "Con il fornitore è firmato un contratto di trattamento per conto terzi",
        "en": "A processing agreement is signed with the vendor",
    },
    "SUP-BREACH-NOTICE": {
        "fr": "Le fournisseur s'engage à annoncer rapidement toute violation de la sécurité "
        "des données",
        "de": "Der Lieferant verpflichtet sich, jede Verletzung der Datensicherheit rasch "
        "zu melden",
        "it": "Il fornitore si impegna a notificare rapidamente ogni violazione della "
        "sicurezza dei dati",
        "en": "The vendor commits to report any data security breach quickly",
    },
    "GOV-PROCESSING-REGISTER": {
        "fr": "La commune tient à jour un registre des activités de traitement",
        "de": "Die Gemeinde führt ein aktuelles Verzeichnis der Bearbeitungstätigkeiten",
        "it": "Il comune tiene aggiornato un registro delle attività di trattamento",
        "en": "The commune keeps an up-to-date record of processing activities",
    },
    "EP-TLS": {
        "fr": "Le site n'accepte que des versions sûres de TLS et présente un certificat valide",
        "de": "Die Website akzeptiert nur sichere TLS-Versionen und zeigt ein gültiges Zertifikat",
        "it": "Il sito accetta solo versioni sicure di TLS e presenta un certificato valido",
        "en": "The site accepts only safe TLS versions and presents a valid certificate",
    },
    "GOV-DP-ADVISOR": {
        "fr": "Un conseiller à la protection des données est désigné et joignable",
        "de": "Eine Datenschutzberaterin oder ein Datenschutzberater ist bezeichnet und erreichbar",
        "it": "Un consulente per la protezione dei dati è designato e raggiungibile",
        "en": "A data-protection advisor is appointed and can be reached",
    },
}
CONTROLS = (
    # id, family, severity, communes fail / unknown / pass / n.a., findings fail / unknown / pass
    ("EP-TLS", "endpoint", "high", (1, 0, 5, 0), (1, 0, 9)),
    ("SUP-DPA", "supplier", "high", (3, 2, 1, 0), (5, 3, 4)),
    ("GOV-PROCESSING-REGISTER", "governance", "medium", (2, 3, 1, 0), (2, 3, 1)),
    ("SUP-BREACH-NOTICE", "supplier", "medium", (1, 4, 1, 0), (1, 7, 4)),
    ("GOV-DP-ADVISOR", "governance", "low", (0, 0, 4, 2), (0, 0, 4)),
)


def dist(values: list[float], private: bool = False) -> Distribution:
    """Quantiles the way the analysis writes them (linear interpolation; in a private
    roll-up, no extremes and no mean)."""
    s = sorted(values)

    def q(p: float) -> float:
        k = (len(s) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(s) - 1)
        return round(s[lo] + (s[hi] - s[lo]) * (k - lo), 1)

    return Distribution(
        count=len(s), minimum=None if private else s[0], p25=q(0.25), median=q(0.5),
        p75=q(0.75), maximum=None if private else s[-1],
        mean=None if private else round(sum(s) / len(s), 1),
    )  # fmt: skip


COMMUNES = (
    # name, bfs, canton, population, band, score, grade, coverage, percentile, signature
    ("Aubonne", 5422, "VD", 3_312, "2000-4999", 71.4, "B", 88.0, 50.0, "verified"),
    ("Cossonay", 5477, "VD", 4_105, "2000-4999", 58.2, "C", 74.5, 0.0, "verified"),
    ("Bex", 5402, "VD", 7_823, "5000-9999", 63.9, "C", 81.2, 33.3, "verified"),
    ("Echallens", 5518, "VD", 6_012, "5000-9999", 80.5, "A", 93.0, 100.0, "verified"),
    ("Murten", 2275, "FR", 8_351, "5000-9999", 66.0, "B", 79.9, 66.7, "not_checked"),
    (HOSTILE_COMMUNE, None, "FR", 1_204, "1000-1999", 42.7, "D", 51.3, 0.0, "unsigned"),
)


def sample_rollup(lang: str = "fr", private: bool = False) -> Rollup:
    """A realistic roll-up of six communes (see the module's docstring)."""
    communes = [
        CommuneRow(
            key=f"bfs:{bfs}" if bfs else f"name:{canton}:dorf", name=name, bfs_number=bfs,
            canton=canton, population=population, band=band, as_of="2026-11-20", score=score,
            grade=grade, coverage=coverage, services=5 + i, vendors=3 + i % 3,
            percentile_in_band=percentile, signature=signature,
        )
        for i, (name, bfs, canton, population, band, score, grade, coverage, percentile,
                signature) in enumerate(COMMUNES)
    ]  # fmt: skip

    def group(dimension: str, key: str) -> GroupRow:
        rows = [
            c for c in communes
            if dimension == "all" or key in ((c.canton,) if dimension == "canton" else (c.band,))
        ]  # fmt: skip
        hidden = private and len(rows) < 3
        return GroupRow(
            dimension=dimension, key=key, communes=len(rows), suppressed=hidden,
            score=None if hidden else dist([c.score for c in rows if c.score is not None],
                                           private),
            coverage=None if hidden else dist([c.coverage for c in rows if c.coverage], private),
        )  # fmt: skip

    groups = [
        group("all", "all"), group("canton", "FR"), group("canton", "VD"),
        group("band", "1000-1999"), group("band", "2000-4999"), group("band", "5000-9999"),
    ]  # fmt: skip
    controls = [
        ControlRow(
            control_id=cid, title=TITLES[cid][lang], family=family, severity=severity,
            communes_fail=c[0], communes_unknown=c[1], communes_pass=c[2],
            communes_not_applicable=c[3], findings_fail=f[0], findings_unknown=f[1],
            findings_pass=f[2],
        )
        for cid, family, severity, c, f in CONTROLS
    ]  # fmt: skip

    def finding(cid: str, fail: int, unknown: int, passed: int) -> VendorControlRow:
        severity = next(c[2] for c in CONTROLS if c[0] == cid)
        return VendorControlRow(
            control_id=cid, title=TITLES[cid][lang], severity=severity, communes_fail=fail,
            communes_unknown=unknown, communes_pass=passed,
        )  # fmt: skip

    names = [c.name for c in communes]
    vendors = [
        VendorRow(
            key="uid:CHE-109.322.551",
            matched_by="uid",
            name="Helvetic Gov Solutions SA",
            uid="CHE-109.322.551",
            communes=5,
            share=83.3,
            commune_names=[] if private else names[:5],
            findings=[finding("SUP-DPA", 2, 1, 2), finding("SUP-BREACH-NOTICE", 1, 3, 1)],
        ),
        VendorRow(
            key="profile:nexa-cloud",
            matched_by="profile",
            name="Nexa Cloud Sàrl",
            profile="nexa-cloud",
            communes=3,
            share=50.0,
            commune_names=[] if private else names[2:5],
            findings=[],
        ),
        VendorRow(
            key="suppressed:3" if private else "name:evil",
            matched_by="name",
            name="" if private else HOSTILE_VENDOR,
            communes=2,
            share=33.3,
            commune_names=[] if private else [names[0], names[5]],
            suppressed=private,
            findings=[] if private else [finding("SUP-DPA", 1, 1, 0)],
        ),
        VendorRow(
            key="suppressed:4" if private else "name:imprimerie",
            matched_by="name",
            name="" if private else "Imprimerie Régionale SA",
            communes=1,
            share=16.7,
            commune_names=[] if private else [names[1]],
            suppressed=private,
            findings=[] if private else [finding("SUP-DPA", 0, 1, 0)],
        ),
    ]
    trend = [
        TrendRow(year=2025, communes=5, score=dist([52.0, 61.3, 55.4, 70.2, 60.1], private),
                 coverage=dist([70.0, 66.0, 81.0, 75.5, 72.0], private),
                 failures_per_commune=None if private else 9.4),
        TrendRow(year=2026, communes=6,
                 score=dist([c.score for c in communes if c.score], private),
                 coverage=dist([c.coverage for c in communes if c.coverage], private),
                 failures_per_commune=None if private else 7.2),
    ]  # fmt: skip
    sources = [
        SourceRow(file=f"results/{i}.json", sha256=f"{i:02x}" * 32, signature=c.signature,
                  key="SHA256:Rk9PYmFy" if c.signature == "verified" else None)
        for i, c in enumerate(communes)
    ]  # fmt: skip
    return Rollup(
        tool_version="1.4.0", lang=lang, private=private, results=8, communes_count=6,
        as_of_from="2026-03-02", as_of_until="2026-11-20",
        catalogue_versions=["2026.1", "2026.2"],
        signatures={"verified": 4, "unsigned": 1, "not_checked": 1},
        sources=[] if private else sources, groups=groups, communes=[] if private else communes,
        controls=controls, vendors=vendors, trend=trend,
    )  # fmt: skip


def text_of(html: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------


def test_vendor_sentence_in_french_and_german() -> None:
    fr = sample_rollup("fr").vendors[0]
    assert vendor_sentence(fr, "fr") == (
        "5 communes dépendent de Helvetic Gov Solutions SA (reconnu par son numéro IDE "
        "CHE-109.322.551). Points ouverts : Un contrat de sous-traitance est signé avec le "
        "fournisseur (SUP-DPA)\u00a0: non conforme dans 2 communes, à documenter dans 1 commune ; "
        "Le fournisseur s'engage à annoncer rapidement toute violation de la sécurité des "
        "données (SUP-BREACH-NOTICE)\u00a0: non conforme dans 1 commune, à documenter dans "
        "3 communes."
    )
    de = sample_rollup("de").vendors[0]
    assert vendor_sentence(de, "de") == (
        "5 Gemeinden hängen von Helvetic Gov Solutions SA ab (erkannt an der UID "
        "CHE-109.322.551). Offene Punkte: Mit dem Lieferanten ist ein "
        "Auftragsbearbeitungsvertrag unterzeichnet (SUP-DPA): nicht erfüllt in 2 Gemeinden, zu "
        "dokumentieren in 1 Gemeinde; Der Lieferant verpflichtet sich, jede Verletzung der "
        "Datensicherheit rasch zu melden (SUP-BREACH-NOTICE): nicht erfüllt in 1 Gemeinde, zu "
        "dokumentieren in 3 Gemeinden."
    )
    nexa = sample_rollup("en").vendors[1]
    assert vendor_sentence(nexa, "en") == (
        "3 communes depend on Nexa Cloud Sàrl (matched by the supplier profile 'nexa-cloud')."
        " No open point in these communes."
    )


@pytest.mark.parametrize("lang", LANGS)
def test_page_header_states_the_scope_and_flags_unsigned_results(lang: str) -> None:
    html = render_rollup_html(sample_rollup(lang))
    assert f'<html lang="{lang}">' in html
    text = text_of(html)
    expected = {
        "fr": ("Protection des données dans 6 communes", "02.03.2026 – 20.11.2026",
               "4 vérifiées · 1 résultat non signé · 1 non contrôlée", "Version interne"),
        "de": ("Datenschutz in 6 Gemeinden", "02.03.2026 – 20.11.2026",
               "4 geprüft · 1 Ergebnis ohne Signatur · 1 nicht geprüft", "Interne Fassung"),
        "it": ("Protezione dei dati in 6 comuni", "02.03.2026 – 20.11.2026",
               "4 verificate · 1 risultato non firmato · 1 non controllata", "Versione interna"),
        "en": ("Data protection in 6 communes", "2 Mar 2026 – 20 Nov 2026",
               "4 verified · 1 result unsigned · 1 not checked", "Internal version"),
    }[lang]  # fmt: skip
    for part in expected:
        assert part in text, part
    assert "2026.1, 2026.2" in text
    assert 'id="unsigned-warning"' in html
    assert re.search(r'<strong class="warn">[^<]+</strong>', html)
    # Every text of the page is translated: no key leaks through.
    assert "rollup.render." not in html


def test_groups_table_and_box_plots() -> None:
    html = render_rollup_html(sample_rollup("fr"))
    assert html.count('<rect class="box"') == 6  # all, FR, VD and the three bands
    assert '<title id="chart-distribution-title">' in html
    row = re.search(r"<tr><th scope=\"row\">Canton VD</th>(.*?)</tr>", html)
    assert row is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1)) == [
        "4", "58.2", "62.5", "67.7", "73.7", "80.5", "68.5", "84.6 %",
    ]  # fmt: skip
    assert "1&#39;000–1&#39;999 habitants" in html
    assert "moins de 3 communes" not in html


def test_private_page_names_no_commune_and_says_what_is_suppressed() -> None:
    rollup = sample_rollup("fr", private=True)
    html = render_rollup_html(rollup)
    text = text_of(html)
    for name, *_ in COMMUNES:
        assert name not in html
    assert "Dorf" not in html and 'id="communes"' not in html and 'id="sources"' not in html
    assert "Version de publication : aucune commune n'est nommée" in text
    # FR (2 communes), 1000-1999 (1) and 2000-4999 (2): said in words in the chart, its
    # description and the table.
    assert text.count("moins de 3 communes : non montré") == 9
    assert html.count('<tr class="suppressed">') == 3
    assert html.count('<rect class="box"') == 3
    # No extremes in a private roll-up: boxes without whiskers, said in words.
    assert "ni score le plus bas ou le plus haut, ni moyenne" in text
    described = re.search(r"chart-distribution.*?<desc[^>]*>(.*?)</desc>", html, re.S)
    assert described is not None
    assert "Canton VD\xa0: médiane 67.7, quartiles 62.5 à 73.7." in described.group(1)
    assert "scores de" not in described.group(1)
    # Two vendors used by fewer than three communes: counted, never named.
    assert "Non montrés, car utilisés par moins de 3 communes : 2 fournisseurs." in text
    assert "Imprimerie" not in html and "HYPERLINK" not in html
    assert html.count('<rect class="vendor-bar"') == 2


def test_hostile_names_are_escaped_everywhere() -> None:
    html = render_rollup_html(sample_rollup("en"))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the vendor's name, in the sentence
    assert "&#34;Dorf&#34;" in html  # quotes escaped (attributes cannot be broken out of)
    assert not re.search(r"<[^>]*\bonerror=", html)


def test_page_loads_nothing_from_outside() -> None:
    html = render_rollup_html(sample_rollup("de"))
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # Only the SVG namespace and the hostile names' escaped text mention a URL.
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html)
    assert "<link" not in html and "@import" not in html


def test_controls_chart_most_failing_first_with_unknown_apart_from_pass() -> None:
    html = render_rollup_html(sample_rollup("en"))
    chart = html[
        html.index('id="chart-controls"') : html.index("</svg>", html.index('id="chart-controls"'))
    ]
    labels = re.findall(r'text-anchor="end" font-size="10" fill="#44474e">([^<]+)<', chart)
    assert labels == [
        "SUP-DPA", "GOV-PROCESSING-REGISTER", "SUP-BREACH-NOTICE", "EP-TLS", "GOV-DP-ADVISOR",
    ]  # fmt: skip
    # 'To document' is its own amber segment, never the green of a pass.
    assert chart.count('class="seg-unknown"') == 3
    assert re.search(r'class="seg-unknown"[^>]*fill="#8a5a00"', chart)
    assert chart.count('class="seg-pass"') == 5 and chart.count('class="seg-fail"') == 4
    assert "SUP-DPA: 3 failed, 2 to document, 1 passed, 0 not applicable." in chart
    table = html[html.index("<caption>Every control") :]
    assert (
        table.index("SUP-DPA") < table.index("GOV-PROCESSING-REGISTER") < table.index("SUP-BREACH")
    )


def test_trend_only_with_two_years() -> None:
    rollup = sample_rollup("it")
    html = render_rollup_html(rollup)
    assert html.count('<circle class="median"') == 2 and "<polyline" in html
    assert "2025" in text_of(html) and 'id="trend-none"' not in html
    single = rollup.model_copy(update={"trend": rollup.trend[1:]})
    html = render_rollup_html(single)
    assert 'id="chart-trend"' not in html
    assert "Risultati di un solo anno: ancora nessuna evoluzione da mostrare." in html


def test_communes_table_with_numbers_per_language() -> None:
    html = render_rollup_html(sample_rollup("de"))
    row = re.search(r"<tr><th scope=\"row\"[^>]*>Murten</th>(.*?)</tr>", html)
    assert row is not None
    cells = [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]
    assert cells == [
        "FR", "8'351", "5'000–9'999 Einwohner", "20.11.2026", "66.0", "B", "79.9 %", "67",
        "nicht geprüft",
    ]  # fmt: skip
    assert '<td class="warn"><strong>keine Signatur</strong></td>' in html


def test_same_model_same_page() -> None:
    assert render_rollup_html(sample_rollup("fr")) == render_rollup_html(sample_rollup("fr"))


def test_empty_rollup_renders() -> None:
    empty = Rollup(
        tool_version="1.4.0", lang="en", private=False, results=0, communes_count=0,
        as_of_from=None, as_of_until=None, catalogue_versions=[],
        signatures={"verified": 0, "unsigned": 0, "not_checked": 0}, sources=[], groups=[],
        communes=[], controls=[], vendors=[], trend=[],
    )  # fmt: skip
    html = render_rollup_html(empty)
    text = text_of(html)
    assert "Data protection in 0 communes" in text
    assert "No control was evaluated." in text and "No vendor in the inventories." in text
    assert render_rollup_xlsx(empty)[:2] == b"PK"


# --------------------------------------------------------------------------
# the workbook
# --------------------------------------------------------------------------


def workbook(data: bytes):  # type: ignore[no-untyped-def]
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def test_workbook_sheets_and_typed_cells() -> None:
    book = workbook(render_rollup_xlsx(sample_rollup("fr")))
    assert book.sheetnames == [
        "Résumé", "Groupes", "Communes", "Contrôles", "Fournisseurs", "Évolution",
    ]  # fmt: skip
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref, sheet.title
    communes = book["Communes"]
    murten = next(r for r in communes.iter_rows(min_row=2, values_only=True) if r[0] == "Murten")
    assert murten[1:9] == ("FR", 2275, 8351, "5'000–9'999 habitants", murten[5], 66.0, "B", 79.9)
    assert murten[5].date().isoformat() == "2026-11-20"
    assert communes.column_dimensions["A"].width > len("Commune") + 2  # from the hostile name
    controls = list(book["Contrôles"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in controls][:2] == ["SUP-DPA", "GOV-PROCESSING-REGISTER"]
    assert controls[0][4:11] == (3, 2, 1, 0, 5, 3, 4)
    trend = list(book["Évolution"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in trend] == [2025, 2026] and trend[1][1] == 6


def test_workbook_vendors_one_row_per_vendor_and_per_control() -> None:
    book = workbook(render_rollup_xlsx(sample_rollup("de")))
    rows = list(book["Lieferanten"].iter_rows(min_row=2, values_only=True))
    helvetic = [r for r in rows if r[0] == "Helvetic Gov Solutions SA"]
    assert len(helvetic) == 3
    assert helvetic[0][:7] == (
        "Helvetic Gov Solutions SA", "erkannt an der UID CHE-109.322.551", "CHE-109.322.551",
        None, 5, 83.3, None,
    )  # fmt: skip
    assert helvetic[1][6:12] == ("SUP-DPA", helvetic[1][7], "hoch", 2, 1, 2)
    assert (
        len(rows) == 3 + 1 + 2 + 2
    )  # Helvetic 1+2, Nexa 1, the hostile vendor 1+1, Imprimerie 1+1


def test_workbook_keeps_hostile_text_as_text() -> None:
    data = render_rollup_xlsx(sample_rollup("en"))
    book = workbook(data)
    names = [r[0] for r in book["Communes"].iter_rows(min_row=2, values_only=True)]
    assert HOSTILE_COMMUNE in names
    vendor = book["Vendors"]
    cells = [c for row in vendor.iter_rows(min_row=2) for c in row if c.value == HOSTILE_VENDOR]
    assert cells and all(c.data_type == "s" for c in cells)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)


def test_private_workbook_has_no_commune() -> None:
    book = workbook(render_rollup_xlsx(sample_rollup("it", private=True)))
    assert "Comuni" not in book.sheetnames
    values = [str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r]
    for name, *_ in COMMUNES:
        assert name not in values
    assert not any("Imprimerie" in v or "HYPERLINK" in v for v in values)
    groups = list(book["Gruppi"].iter_rows(min_row=2, values_only=True))
    fr = next(r for r in groups if r[1] == "Cantone FR")
    assert fr[2:9] == (None,) * 7 and fr[-1] == "meno di 3 comuni: non mostrato"
    summary = dict(book["Sintesi"].iter_rows(min_row=2, values_only=True))
    assert summary["Fornitori non mostrati (meno di 3 comuni)"] == 2


def test_same_model_same_workbook_bytes() -> None:
    assert render_rollup_xlsx(sample_rollup("fr")) == render_rollup_xlsx(sample_rollup("fr"))


def test_a_commune_without_score_reads_as_unknown_never_as_a_figure() -> None:
    rollup = sample_rollup("en")
    blank = rollup.communes[1].model_copy(
        update={"score": None, "grade": None, "coverage": None, "percentile_in_band": None}
    )
    html = render_rollup_html(rollup.model_copy(update={"communes": [blank]}))
    row = re.search(r"<tr><th scope=\"row\"[^>]*>Cossonay</th>(.*?)</tr>", html)
    assert row is not None
    cells = [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]
    assert cells[4:8] == ["–", "–", "–", "–"]


@pytest.mark.parametrize(
    ("band", "lang", "expected"),
    [
        ("50000+", "de", "50'000+ Einwohner"),
        ("1-999", "fr", "1–999 habitants"),
        ("10000-19999", "it", "10'000–19'999 abitanti"),
        ("unknown", "en", "unknown inhabitants"),
    ],
)
def test_band_labels(band: str, lang: str, expected: str) -> None:
    from conformite.rollup.render_html import band_label

    assert band_label(band, lang) == expected
