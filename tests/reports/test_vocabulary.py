"""The classification vocabularies match the legal registration form, in both languages.

The codes, their order and the Dutch labels come from the Regeling registratieformulier
antidiscriminatievoorzieningen via ``reports/fixtures/reference/registration-categories.csv``.
The English labels are the gettext message ids; the Dutch labels are their ``nl`` translations in
``locale/``. No database is needed.
"""

from __future__ import annotations

import ast
import csv
import gettext
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from reports.selectors.statistics import empty_form
from reports.vocabulary import (
    FORM_TABLES,
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    SocietalDomain,
    Status,
)

BASE_DIR = Path(settings.BASE_DIR)
CATEGORIES_CSV = BASE_DIR / "reports" / "fixtures" / "reference" / "registration-categories.csv"

VOCABULARIES: dict[str, type[models.TextChoices]] = {
    "ground": Ground,
    "societal_domain": SocietalDomain,
    "nature": Nature,
    "handling": Handling,
    "contact_type": ContactType,
    "channel": Channel,
}

#: Rows per table of the legal form, without the ``total`` row every table ends with.
LEGAL_ROW_COUNTS = {"ground": 15, "societal_domain": 15, "nature": 6, "handling": 8}

#: Table number on the legal form (table 1 is the overall total).
LEGAL_TABLE_NUMBERS = {"ground": "2", "societal_domain": "3", "nature": "4", "handling": "5"}


def _read_categories() -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            rows[row["dimension"]].append(row)
    return dict(rows)


CATEGORIES = _read_categories()


def test_csv_has_exactly_the_known_dimensions():
    assert list(CATEGORIES) == list(VOCABULARIES)


def test_csv_codes_are_unique_per_dimension():
    for dimension, rows in CATEGORIES.items():
        codes = [row["code"] for row in rows]
        assert len(codes) == len(set(codes)), dimension


@pytest.mark.parametrize("dimension", list(VOCABULARIES))
def test_codes_match_the_csv_in_order(dimension):
    vocabulary = VOCABULARIES[dimension]
    assert list(vocabulary.values) == [row["code"] for row in CATEGORIES[dimension]]


@pytest.mark.parametrize("dimension", list(VOCABULARIES))
def test_dutch_labels_are_the_legal_labels(dimension):
    vocabulary = VOCABULARIES[dimension]
    with translation.override("nl"):
        labels = {member.value: str(member.label) for member in vocabulary}
    assert labels == {row["code"]: row["label_nl"] for row in CATEGORIES[dimension]}


@pytest.mark.parametrize("dimension", list(VOCABULARIES))
def test_english_labels_match_the_csv(dimension):
    vocabulary = VOCABULARIES[dimension]
    with translation.override("en"):
        labels = {member.value: str(member.label) for member in vocabulary}
    assert labels == {row["code"]: row["label_en"] for row in CATEGORIES[dimension]}


def test_same_english_label_gets_its_own_dutch_label_per_dimension():
    with translation.override("nl"):
        assert str(Channel.OTHER.label) == "Anders"
        assert str(SocietalDomain.OTHER.label) == "Overig"
        assert str(Nature.OTHER.label) == "Overig"
        assert str(Ground.RACE.label) == "Ras (herkomst/huidskleur)"


def test_form_tables_are_the_five_tables_of_the_legal_form_in_order():
    assert list(FORM_TABLES) == ["total", "ground", "societal_domain", "nature", "handling"]
    assert FORM_TABLES["total"] is None
    for table in LEGAL_ROW_COUNTS:
        assert FORM_TABLES[table] is VOCABULARIES[table]


@pytest.mark.parametrize("table", list(LEGAL_ROW_COUNTS))
def test_row_count_per_table_matches_the_legal_form(table):
    vocabulary = FORM_TABLES[table]
    assert vocabulary is not None
    assert len(vocabulary.values) == LEGAL_ROW_COUNTS[table]
    csv_rows = [row for row in CATEGORIES[table] if row["form_table"]]
    assert len(csv_rows) == LEGAL_ROW_COUNTS[table]
    assert {row["form_table"] for row in csv_rows} == {LEGAL_TABLE_NUMBERS[table]}


def test_dimensions_outside_the_form_have_no_form_table():
    for dimension in ("contact_type", "channel"):
        assert all(row["form_table"] == "" for row in CATEGORIES[dimension]), dimension


def test_empty_form_has_every_row_then_total():
    form = empty_form()
    assert list(form) == list(FORM_TABLES)
    assert list(form["total"]) == ["total"]
    for table, count in LEGAL_ROW_COUNTS.items():
        rows = list(form[table])
        assert len(rows) == count + 1, table
        assert rows == [*FORM_TABLES[table].values, "total"]


def test_status_and_total_labels_in_dutch():
    with translation.override("nl"):
        assert {member.value: str(member.label) for member in Status} == {
            "new": "Nieuw",
            "in_progress": "In behandeling",
            "awaiting_reporter": "Wacht op melder",
            "awaiting_other_party": "Wacht op wederpartij",
            "closed": "Afgesloten",
            "reopened": "Heropend",
            "rejected": "Niet in behandeling genomen",
        }
        assert _("Total") == "Totaal"


# --- The catalogues (nl, ar, tr) ------------------------------------------------------------------


@dataclass
class PoEntry:
    line: int
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _parse_po(path: Path) -> list[PoEntry]:
    """A small parser for the PO files ``makemessages`` writes (entries separated by blank lines;
    the project has no polib)."""
    entries: list[PoEntry] = []
    entry: PoEntry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if entry is None:
            entry = PoEntry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: string without a keyword"
            text = ast.literal_eval(line)
        else:
            keyword, _sep, rest = line.partition(" ")
            text = ast.literal_eval(rest.strip())
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0)
            elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
                target = (keyword, 0)
            else:
                raise AssertionError(f"{path}:{number}: unknown keyword {keyword!r}")
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)
    return entries


#: The translated catalogues: language → its standard gettext Plural-Forms header.
#: ar and tr are machine translations that need review by a native speaker (docs/translations.md).
CATALOGUES = {
    "nl": "nplurals=2; plural=(n != 1);",
    "ar": ("nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
           "n%100>=11 && n%100<=99 ? 4 : 5;"),
    "tr": "nplurals=2; plural=(n > 1);",
}


def _po(language: str) -> Path:
    return BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"


def _entries(language: str) -> list[PoEntry]:
    path = _po(language)
    assert path.exists(), f"{path} is missing; run makemessages -l {language}"
    return [e for e in _parse_po(path) if e.msgid and not e.obsolete]


def _nl_entries() -> list[PoEntry]:
    return _entries("nl")


def _nplurals(language: str) -> int:
    return int(re.match(r"nplurals=(\d+);", CATALOGUES[language]).group(1))


def _describe(entry: PoEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt is not None else ""
    return f"line {entry.line}: {context}{entry.msgid!r}"


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_catalogue_header_names_the_language_and_is_not_fuzzy(language):
    header = next(e for e in _parse_po(_po(language)) if e.msgid == "")
    assert "fuzzy" not in header.flags
    assert f"Language: {language}\n" in header.msgstr[0]
    assert f"Plural-Forms: {CATALOGUES[language]}\n" in header.msgstr[0]


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_catalogue_has_no_untranslated_entries(language):
    entries = _entries(language)
    assert len(entries) > 100  # the parser found the catalogue
    forms = list(range(_nplurals(language)))
    untranslated = [
        _describe(e)
        for e in entries
        if not e.msgstr
        or any(not text for text in e.msgstr.values())
        or (e.msgid_plural is not None and sorted(e.msgstr) != forms)
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_catalogues_have_the_same_messages(language):
    """Every language translates exactly the messages of the Dutch catalogue."""
    def keys(entries: list[PoEntry]) -> set[tuple[str | None, str]]:
        return {(e.msgctxt, e.msgid) for e in entries}

    assert keys(_entries(language)) == keys(_nl_entries())


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_catalogue_has_no_fuzzy_entries(language):
    assert [_describe(e) for e in _entries(language) if "fuzzy" in e.flags] == []


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\([a-z_]+\)[sdif]", text)


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_catalogue_keeps_python_format_placeholders(language):
    """Singular messages keep exactly their placeholders. Plural forms may leave one out (the
    English singular "your file" has no count), but never add one, and the last form (used
    for most numbers) keeps every placeholder of ``msgid_plural``."""
    broken = []
    for entry in _entries(language):
        if "python-format" not in entry.flags:
            continue
        if entry.msgid_plural is None:
            wanted = set(_placeholders(entry.msgid))
            if set(_placeholders(entry.msgstr[0])) != wanted:
                broken.append(_describe(entry))
            continue
        allowed = set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural))
        forms = [set(_placeholders(entry.msgstr[i])) for i in sorted(entry.msgstr)]
        if any(not form <= allowed for form in forms) or forms[-1] != set(
                _placeholders(entry.msgid_plural)):
            broken.append(_describe(entry))
    assert broken == []


@pytest.mark.parametrize("language", list(CATALOGUES))
def test_compiled_catalogue_matches_the_po_file(language):
    """The committed ``.mo`` is what Django reads: it must hold every translation of the ``.po``."""
    mo = _po(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing; run compilemessages"
    with mo.open("rb") as stream:
        catalog = gettext.GNUTranslations(stream)._catalog
    stale = []
    for entry in _entries(language):
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if catalog.get(key) != entry.msgstr[0]:
                stale.append(_describe(entry))
        elif any(catalog.get((key, i)) != text for i, text in entry.msgstr.items()):
            stale.append(_describe(entry))
    assert stale == [], "run compilemessages"


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Discriminatie melden"),
    ("en", "Report discrimination"),
    ("ar", "الإبلاغ عن التمييز"),
    ("tr", "Ayrımcılığı bildirin"),
])
def test_each_public_language_translates_the_page_title(language, expected):
    with translation.override(language):
        assert _("Report discrimination") == expected


def test_arabic_uses_its_six_plural_forms():
    from django.utils.translation import ngettext

    message = ("You tried too often. Please wait %(minutes)d minute and try again.",
               "You tried too often. Please wait %(minutes)d minutes and try again.")
    with translation.override("ar"):
        texts = {n: ngettext(*message, n) % {"minutes": n} for n in (0, 1, 2, 3, 11, 100)}
    assert texts == {
        0: "حاولت مرات كثيرة جدًا. يُرجى الانتظار 0 دقيقة ثم المحاولة مرة أخرى.",
        1: "حاولت مرات كثيرة جدًا. يُرجى الانتظار دقيقة واحدة (1) ثم المحاولة مرة أخرى.",
        2: "حاولت مرات كثيرة جدًا. يُرجى الانتظار دقيقتين (2) ثم المحاولة مرة أخرى.",
        3: "حاولت مرات كثيرة جدًا. يُرجى الانتظار 3 دقائق ثم المحاولة مرة أخرى.",
        11: "حاولت مرات كثيرة جدًا. يُرجى الانتظار 11 دقيقة ثم المحاولة مرة أخرى.",
        100: "حاولت مرات كثيرة جدًا. يُرجى الانتظار 100 دقيقة ثم المحاولة مرة أخرى.",
    }
