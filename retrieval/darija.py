"""Question-side help for Moroccan Darija, in Arabic script or Latin "arabizi" (wa7d, 3andi, 9anoun).

The corpus speaks Modern Standard Arabic and French; Darija asks with everyday words. A question in Darija is
expanded with the standard Arabic and French legal terms of the everyday words it uses (a glossary of common
words, not of particular questions), and arabizi is also transliterated into Arabic script.
"""

from __future__ import annotations

import re

from jarida.normalize import arabic_index_form

# everyday word (arabizi stems or Arabic-script forms, matched at word start) → standard Arabic + French terms
GLOSSARY: dict[tuple[str, ...], str] = {
    ("tle9", "tla9", "ntle9", "tal9", "طلق", "نطلق", "تطلق"): "طلاق التطليق divorce",
    ("zwaj", "zowej", "nzowej", "tzowej", "zawj", "زواج", "نزوج", "تزوج", "جواج"): "زواج mariage",
    ("mrati", "mra", "مراتي", "المرا"): "الزوجة épouse",
    ("rajli", "rajel", "راجلي", "الراجل"): "الزوج mari",
    ("wlad", "drari", "bnti", "wldi", "weldi", "ولادي", "بنتي", "ولدي", "الدراري"): "الأطفال الأبناء enfant mineur",
    ("khdma", "khdam", "nkhdem", "khedma", "خدمة", "خدام", "نخدم", "الخدمة"): "الشغل الأجير العمل travail salarié",
    ("patron", "lpatron", "m3lem", "معلم", "الباطرون"): "المشغل employeur",
    ("jrawni", "jra", "trdoni", "mtrod", "طردوني", "جراو", "مطرود"): "الفصل الطرد licenciement",
    ("khlas", "lkhlas", "sala", "خلاص", "الخلاص"): "الأجر salaire",
    ("rota", "conge", "congé", "عطلة", "الكونجي"): "العطلة congé",
    ("l7bs", "7bs", "حبس", "الحبس"): "الحبس العقوبة emprisonnement peine",
    ("ghrama", "lghrama", "غرامة", "ذعيرة"): "الغرامة amende",
    ("chrit", "cheri", "chera", "bi3", "شريت", "شرا", "بعت"): "البيع الشراء vente",
    ("kra", "krit", "mkri", "كرا", "كريت", "مكري"): "الكراء bail location",
    ("ddar", "dar", "الدار", "دار"): "المسكن المحل logement",
    ("chèque", "cheque", "chek", "شيك", "الشيك"): "الشيك chèque",
    ("lbanka", "banka", "البانكا", "البنك"): "البنك banque",
    ("charika", "char", "شركة", "الشركة"): "الشركة société",
    ("lm7kama", "m7kama", "tribunal", "المحكمة", "محكمة"): "المحكمة tribunal",
    ("sr9a", "ser9", "sra9", "سرقة", "سرق", "شفر"): "السرقة vol",
    ("dreb", "drbni", "darbni", "ضربني", "ضرب"): "الضرب الجرح violences coups blessures",
    ("mat", "mout", "qtel", "قتل", "مات"): "القتل الوفاة homicide",
    ("tomobil", "tonobil", "tamobil", "طوموبيل", "الطوموبيل"): "سيارة حادثة سير véhicule",
    ("nafa9a", "nfa9a", "نفقة", "النفقة"): "النفقة pension alimentaire",
    ("7adana", "حضانة", "الحضانة"): "الحضانة garde",
    ("wert", "lwert", "wirt", "الورث", "ورث"): "الإرث الميراث succession",
    ("ma3lomat", "donnees", "données", "data", "معلومات"): "المعطيات الشخصية données personnelles",
    ("pub", "publicit", "إشهار"): "الاستقراء المباشر prospection directe",
    ("9anoun", "l9anon", "9anon", "قانون"): "القانون loi",
    ("ch7al", "sh7al", "شحال", "قداش"): "كم مدة combien délai",
    ("l3am", "3am", "3amayn", "عام", "عامين"): "سنة سنتين année",
    ("msafer", "safer", "مسافر", "غايب"): "غياب absence",
    ("wra9", "lwra9", "لوراق", "الوراق"): "الوثائق documents",
}
ARABIZI_DIGITS = re.compile(r"[a-z][2-9]|[2-9][a-z]", re.IGNORECASE)
DARIJA_MARKERS = frozenset(
    "wach wash chno chnou dyal dial bghit 3and 3andi kayn kayna ma3a mn bach had hadi hada"
    " واش شنو ديال بغيت عندي كاين كاينة باش هاد هادي غادي ماشي فين علاش كيفاش".split()
)
_DIGRAPHS = [("ch", "ش"), ("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("ou", "و"), ("th", "ت")]
_LETTERS = dict(zip("2357989", "ءعخحقهق", strict=True)) | dict(
    zip("abdfhijklmnqrstuwyz", "ابدفهيجكلمنقرستوويز", strict=True)
)


def is_arabizi(text: str) -> bool:
    """Latin-script Darija: digits inside words (wa7d, 3andi) or Darija function words."""
    words = re.findall(r"[\w']+", text.lower())
    return bool(words) and (len(ARABIZI_DIGITS.findall(text)) >= 2 or sum(w in DARIJA_MARKERS for w in words) >= 2)


def is_darija(text: str) -> bool:
    """Darija in either script (Arabic-script Darija is told by its function words: واش، ديال، شنو…)."""
    words = set(re.findall(r"\w+", text.lower()))
    return is_arabizi(text) or len(words & DARIJA_MARKERS) >= 1 and any("\u0600" <= c <= "\u06ff" for c in text)


def transliterate(text: str) -> str:
    """Arabizi → Arabic script, letter by letter (vowels inside words dropped): "l7bs" → "لحبس"."""
    out = []
    for word in re.findall(r"[a-z0-9']+", text.lower()):
        for latin, arabic in _DIGRAPHS:
            word = word.replace(latin, arabic)
        head, body = word[:1], word[1:]
        body = re.sub(r"[aeiouy]", "", body) if len(body) > 2 else body
        out.append("".join(_LETTERS.get(c, c if not c.isascii() else "") for c in head + body))
    return " ".join(w for w in out if w)


def glossary_terms(text: str) -> list[str]:
    """Standard Arabic and French terms for the everyday Darija words of `text`."""
    words = re.findall(r"\w+", arabic_index_form(text).lower())
    words += [w[1:] for w in words if len(w) > 3 and w[0] == "l" and w.isascii()]  # Darija article: lkhedma
    found = []
    for forms, terms in GLOSSARY.items():
        normalised = [arabic_index_form(f).lower() for f in forms]
        if any(w == f or (len(f) >= 4 and w.startswith(f)) for w in words for f in normalised):
            found.append(terms)
    return found


def expand(question: str) -> str:
    """The question as retrieval should read it: itself, plus transliteration and glossary terms for Darija."""
    if not is_darija(question):
        return question
    parts = [question]
    if is_arabizi(question):
        parts.append(transliterate(question))
    parts.extend(glossary_terms(question))
    return " ".join(parts)
