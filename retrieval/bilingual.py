"""A bilingual (Arabic ↔ French) glossary of legal terms, so BM25 can reach an edition in the other script.

Arabic questions about French-only codes (obligations and contracts, civil procedure, commerce) and French
questions about the Arabic-only Constitution share no word with their answer; adding the other language's
legal terms of the words a question uses gives the lexical branch something to match. General legal
vocabulary only; the dense branch reads the question as asked.
"""

from __future__ import annotations

from jarida.normalize import arabic_index_form, index_form

# (Arabic forms, French terms)
TERMS: list[tuple[tuple[str, ...], str]] = [
    (("عقد", "العقد", "عقود"), "contrat"),
    (("الكراء", "كراء", "مكتري", "المكتري", "المكري"), "bail louage locataire loyer"),
    (("البيع", "بيع", "المشتري", "البائع"), "vente acheteur vendeur"),
    (("الشركة", "شركة", "الشركاء"), "société associés"),
    (("التاجر", "تاجر", "التجار"), "commerçant"),
    (("الأصل التجاري", "أصل تجاري"), "fonds de commerce"),
    (("التسيير الحر",), "gérance libre"),
    (("حساب بنكي", "الحساب البنكي"), "compte bancaire"),
    (("الدائنين", "الدائن", "الدائنون"), "créanciers créance"),
    (("الدين", "دين", "المدين"), "dette débiteur"),
    (("صعوبات المقاولة", "التسوية القضائية"), "difficultés de l'entreprise redressement judiciaire"),
    (("التصفية القضائية",), "liquidation judiciaire"),
    (("الحجز", "حجز"), "saisie saisissable"),
    (("التعويض", "تعويض"), "dommages-intérêts réparation indemnité"),
    (("الضرر", "ضرر"), "dommage préjudice"),
    (("الوصية", "وصية"), "testament legs disposer"),
    (("الإرث", "الميراث", "الورثة"), "succession héritiers"),
    (("الاستئناف", "استئناف"), "appel délai d'appel"),
    (("الحكم", "حكم", "الأحكام"), "jugement décision"),
    (("التنفيذ", "تنفيذ"), "exécution"),
    (("التقادم", "تقادم"), "prescription"),
    (("المحكمة", "محكمة"), "tribunal"),
    (("الفائدة", "فائدة", "الفوائد"), "intérêts"),
    (("القرض", "قرض", "السلف"), "prêt"),
    (("الكفالة", "كفالة", "الكفيل"), "cautionnement caution"),
    (("الشيك", "شيك"), "chèque"),
    (("الكمبيالة", "كمبيالة"), "lettre de change"),
    (("الوكالة", "الوكيل"), "mandat mandataire"),
    (("الرهن", "رهن"), "hypothèque gage nantissement"),
    (("الملكية", "ملكية"), "propriété"),
    (("الجار", "الجيران"), "voisin"),
    (("البناء", "الحائط", "جدار"), "édifice bâtiment mur"),
    (("المسؤولية", "مسؤول"), "responsabilité responsable"),
    (("الخطأ", "خطأ"), "faute"),
    (("الأجير", "الأجراء", "أجير"), "salarié"),
    (("المشغل",), "employeur"),
    (("الفصل من العمل", "الطرد"), "licenciement"),
    (("الأجر", "الأجرة"), "salaire"),
    (("العطلة", "الرخصة"), "congé"),
    (("الزواج", "زواج"), "mariage"),
    (("الطلاق", "التطليق"), "divorce"),
    (("الحضانة",), "garde"),
    (("النفقة",), "pension alimentaire"),
    (("العقوبة", "يعاقب"), "peine puni"),
    (("السرقة", "سرق"), "vol"),
    (("الغرامة",), "amende"),
    (("الحبس", "السجن"), "emprisonnement"),
    (("الدستور",), "constitution"),
    (("البرلمان", "مجلس النواب"), "parlement chambre des représentants"),
    (("الحكومة",), "gouvernement"),
    (("الملك",), "roi"),
    (("المعطيات الشخصية", "معطيات ذات طابع شخصي"), "données à caractère personnel"),
    (("المعالجة", "معالجة"), "traitement"),
    (("الإشهار", "الاستقراء المباشر"), "prospection directe publicité"),
]
_ARABIC = [(tuple(arabic_index_form(f) for f in forms), french) for forms, french in TERMS]
_FRENCH = [(index_form(french).split()[0], forms[0]) for forms, french in TERMS]


def other_language_terms(question: str) -> str:
    """The other script's legal terms for the legal words of a question ("" when none)."""
    if any("\u0600" <= c <= "\u06ff" for c in question):
        text = f" {arabic_index_form(question)} "
        return " ".join(french for forms, french in _ARABIC if any(f" {f}" in text for f in forms))
    words = set(index_form(question).replace("'", " ").split())
    return " ".join(arabic for first, arabic in _FRENCH if first in words)
