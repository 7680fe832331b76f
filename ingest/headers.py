"""Parse what users cite from a text's header: type, number, dates, title, and the BO reference."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jarida.normalize import ascii_digits, number_key

FR_MONTHS = {
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
}
AR_MONTHS = {
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "أبريل": 4,
    "ابريل": 4,
    "ماي": 5,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليوز": 7,
    "يوليو": 7,
    "غشت": 8,
    "أغسطس": 8,
    "شتنبر": 9,
    "سبتمبر": 9,
    "أكتوبر": 10,
    "اكتوبر": 10,
    "نونبر": 11,
    "نوفمبر": 11,
    "دجنبر": 12,
    "ديسمبر": 12,
}
FR_MONTH_NAMES = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
AR_MONTH_NAMES = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ماي",
    "يونيو",
    "يوليوز",
    "غشت",
    "شتنبر",
    "أكتوبر",
    "نونبر",
    "دجنبر",
]
HIJRI_MONTHS_FR = (
    r"moharrem|muharram|safar|rebia?\s*I{1,2}|rabii?\s*I{1,2}|rabia?\s*I{1,2}|joumada\s*I{1,2}|journada\s*I{1,2}|"
    r"rejeb|rajab|chaabane|chaoual|chaabane|ramadan|kaada|hija|hijja|kaâda|rebia?\s*(?:premier|second)"
)
HIJRI_MONTHS_AR = r"محرم|صفر|ربيع الأول|ربيع الآخر|ربيع الثاني|جمادى الأولى|جمادى الآخرة|جمادى الثانية|رجب|شعبان|رمضان|شوال|ذي القعدة|ذو القعدة|ذي الحجة|ذو الحجة"  # noqa: E501

TEXT_TYPES_FR = [
    ("dahir portant loi", "dahir"),
    ("dahir", "dahir"),
    ("loi organique", "loi"),
    ("loi", "loi"),
    ("décret-loi", "decret"),
    ("décret", "decret"),
    ("decret", "decret"),
    ("arrêté conjoint", "arrete"),
    ("arrêté", "arrete"),
    ("arrete", "arrete"),
    ("circulaire", "circulaire"),
    ("convention", "convention"),
]
TEXT_TYPES_AR = [
    ("ظهير شريف", "dahir"),
    ("ظهير", "dahir"),
    ("القانون التنظيمي", "loi"),
    ("قانون تنظيمي", "loi"),
    ("القانون", "loi"),
    ("قانون", "loi"),
    ("المرسوم", "decret"),
    ("مرسوم", "decret"),
    ("قرار مشترك", "arrete"),
    ("القرار", "arrete"),
    ("قرار", "arrete"),
    ("منشور", "circulaire"),
    ("دورية", "circulaire"),
    ("اتفاقية", "convention"),
]
_NUMBER = r"(\d{1,4}(?:\s?[.\-‐–]\s?\d{1,4}){1,2})"
_FR_TYPE = "|".join(re.escape(t) for t, _ in TEXT_TYPES_FR)
_AR_TYPE = "|".join(re.escape(t) for t, _ in TEXT_TYPES_AR)
FR_HEADER = re.compile(rf"^\s*({_FR_TYPE})\s+(?:n\s*°|no|n°)\s*{_NUMBER}\b(.*)", re.IGNORECASE)
AR_HEADER = re.compile(rf"^\s*({_AR_TYPE})\s+رقم\s+{_NUMBER}(.*)")
# "قرار مشترك لوزير الداخلية ووزير الفلاحة … رقم 1096.26 صادر في …": the number comes after the authorities.
AR_HEADER_LONG = re.compile(rf"^\s*({_AR_TYPE})\s(?:(?!\n\n).){{0,240}}?\bرقم\s+{_NUMBER}\s+(?:صادر|الصادر)", re.DOTALL)
FR_GREGORIAN = re.compile(r"\(?\s*(1er|\d{1,2})\s+(" + "|".join(FR_MONTHS) + r")\s+(\d{4})\s*\)?", re.IGNORECASE)
NUMERIC_DATE = re.compile(r"\((\d{1,2})-(\d{1,2})-(\d{4})\)")
AR_GREGORIAN = re.compile(r"\(\s*(\d{1,2})\s+(" + "|".join(AR_MONTHS) + r")\s+(\d{4})\s*\)")
FR_HIJRI = re.compile(rf"\b(1er|\d{{1,2}})\s+({HIJRI_MONTHS_FR})\s+(1[34]\d\d)\b", re.IGNORECASE)
AR_HIJRI = re.compile(rf"(\d{{1,2}})\s+(?:من\s+)?({HIJRI_MONTHS_AR})\s+(1[34]\d\d)")
BO_FR = re.compile(
    r"(?:Bulletin\s+Officiel|B\.?\s?O\.?)\s*(?:\(?[ée]dition[^)]*\)?\s*)?n\s*°\s*(\d{3,5})", re.IGNORECASE
)
BO_PAGE = re.compile(r"(?:\bp(?:age|\.)|ص(?:فحة)?\.?)\s*(\d{1,5})")
BO_RUNNING_HEAD_FR = re.compile(r"^N\s*°\s*(\d{3,5})\s*[-—–]\s*.*?\((\d{1,2}-\d{1,2}-\d{4})\)")
BO_AR = re.compile(r"الجريدة الرسمية\s+(?:\S+\s+)?عدد\s+(\d{3,5})")


@dataclass
class TextHeader:
    """What a legal text's opening lines say about it."""

    text_type: str
    number: str
    title: str
    date: str = ""  # ISO
    date_hijri: str = ""
    line: str = ""  # the header line as printed


@dataclass
class BoReference:
    """Where a text was published: BO number, date, page."""

    number: str
    date: str = ""
    page: str = ""
    printed: str = ""

    def label(self, lang: str) -> str:
        """How a reader cites it: "BO n° 5714 du 5 mars 2009, p. 552" / "الجريدة الرسمية عدد 7521 …"."""
        if lang == "ar":
            parts = [f"الجريدة الرسمية عدد {self.number}"]
            parts += [f"بتاريخ {spelled_date(self.date, 'ar')}"] if self.date else []
            parts += [f"ص {self.page}"] if self.page else []
            return "، ".join(parts)
        parts = [f"BO n° {self.number}"] + ([f"du {spelled_date(self.date, 'fr')}"] if self.date else [])
        return " ".join(parts) + (f", p. {self.page}" if self.page else "")


def spelled_date(iso: str, lang: str) -> str:
    """ "2009-03-05" → "5 mars 2009" / "5 مارس 2009" (Moroccan month names)."""
    year, month, day = (int(x) for x in iso.split("-"))
    names = FR_MONTH_NAMES if lang == "fr" else AR_MONTH_NAMES
    return f"{'1er' if day == 1 and lang == 'fr' else day} {names[month - 1]} {year}"


def _iso(day: str, month: int, year: str) -> str:
    d = 1 if day.lower() == "1er" else int(day)
    return f"{int(year):04d}-{month:02d}-{d:02d}"


def gregorian_date(text: str) -> str:
    """First Gregorian date in a French or Arabic header, ISO formatted; "" when none."""
    text = ascii_digits(text)
    found = []
    if m := FR_GREGORIAN.search(text):
        found.append((m.start(), _iso(m.group(1), FR_MONTHS[m.group(2).lower()], m.group(3))))
    if m := AR_GREGORIAN.search(text):
        found.append((m.start(), _iso(m.group(1), AR_MONTHS[m.group(2)], m.group(3))))
    if m := NUMERIC_DATE.search(text):
        found.append((m.start(), _iso(m.group(1), int(m.group(2)), m.group(3))))
    return min(found)[1] if found else ""


def hijri_date(text: str) -> str:
    """First Hijri date as printed ("22 safar 1430", "9 محرم 1448"); "" when none."""
    text = ascii_digits(text)
    m = FR_HIJRI.search(text) or AR_HIJRI.search(text)
    return " ".join(m.groups()) if m else ""


def text_type_of(word: str, lang: str) -> str:
    """Canonical text type for a printed type word ("Décret" → "decret", "ظهير شريف" → "dahir")."""
    table = TEXT_TYPES_AR if lang == "ar" else TEXT_TYPES_FR
    lowered = word.lower().strip()
    return next((canon for printed, canon in table if lowered == printed.lower()), lowered)


TITLE_TYPES = [
    ("dahir", "dahir"), ("ظهير", "dahir"), ("constitution", "constitution"), ("دستور", "constitution"),
    ("décret", "decret"), ("مرسوم", "decret"), ("arrêté", "arrete"), ("قرار", "arrete"),
    ("convention", "convention"), ("اتفاقية", "convention"), ("loi", "loi"), ("قانون", "loi"),
    ("code", "code"), ("مدونة", "code"), ("مجموعة", "code"),
]  # fmt: skip


def type_from_title(title: str, default: str = "text") -> str:
    """A text type guessed from a title without a header line ("Dahir formant Code …" → "dahir")."""
    lowered = title.lower()
    return next((canon for word, canon in TITLE_TYPES if re.search(rf"\b{word}\b", lowered)), default)


def is_header_start(lines: list[str], lang: str) -> bool:
    """Whether a text header starts at `lines[0]` ("Loi n° 09-08 …", "قرار مشترك … رقم 1096.26 صادر في …")."""
    first = ascii_digits(lines[0]) if lines else ""
    if lang != "ar":
        return first.lstrip()[:1].isupper() and bool(FR_HEADER.match(first))
    return bool(AR_HEADER.match(first) or AR_HEADER_LONG.match(" ".join(ascii_digits(x) for x in lines[:4])))


def parse_header(lines: list[str], lang: str) -> TextHeader | None:
    """A text header starting at `lines[0]` (the following lines complete title and dates), or None."""
    if not lines:
        return None
    first = ascii_digits(lines[0])
    block = " ".join(ascii_digits(x) for x in lines[:6])
    m = (AR_HEADER if lang == "ar" else FR_HEADER).match(first)
    if not m and lang == "ar":
        m = AR_HEADER_LONG.match(block)
    if not m:
        return None
    title_lines = [first.strip()]
    for line in lines[1:4]:
        if re.match(r"^\s*([-_=*.]{3,}|LIVRE|TITRE|CHAPITRE|Chapitre|Livre|Titre|الباب|الكتاب|القسم)", line):
            break
        title_lines.append(line.strip())
    title = " ".join(title_lines)
    title = re.split(
        r"\s(?:LOUANGE A DIEU|Louange à Dieu|الحمد لله|Vu la|بناء على|Que l'on sache|رئيس الحكومة|Le Chef du)", title
    )[0]
    return TextHeader(
        text_type=text_type_of(m.group(1), lang),
        number=number_key(m.group(2)),
        title=re.sub(r"\s+", " ", title).strip()[:300],
        date=gregorian_date(block),
        date_hijri=hijri_date(block),
        line=lines[0].strip(),
    )


def find_bo_reference(text: str) -> BoReference | None:
    """The first BO reference printed in `text` (French or Arabic), with its date and page when given."""
    text = ascii_digits(text)
    for pattern in (BO_FR, BO_AR):
        if m := pattern.search(text):
            window = re.split(r"[;\n]", text[m.end() : m.end() + 90])[0]
            page = BO_PAGE.search(window)
            printed = (m.group(0) + window[: page.end() if page else len(window)]).strip(" ,.)(")
            return BoReference(m.group(1), gregorian_date(window), page.group(1) if page else "", printed)
    for line in text.splitlines():
        if m := BO_RUNNING_HEAD_FR.match(line.strip()):
            return BoReference(m.group(1), gregorian_date(line), "", line.strip())
    return None
