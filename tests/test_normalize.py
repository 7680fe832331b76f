"""French and Arabic normalisation: the same key however a number or word is printed."""

from jarida.normalize import arabic_index_form, index_form, number_key, repair_lam_alef, strip_bidi


def test_text_numbers_share_one_key_whatever_the_separator_or_digits():
    assert number_key("2.26.530") == number_key("2-26-530") == number_key("٢.٢٦.٥٣٠") == "2-26-530"
    assert number_key(" 09.08 ") == "09-08"
    assert number_key("1 - 03 - 194") == "1-03-194"


def test_arabic_index_form_removes_diacritics_tatweel_and_unifies_alef_forms():
    assert arabic_index_form("الأُسْرَة") == arabic_index_form("الاسرة") == "الاسره"
    assert arabic_index_form("إلـــى") == "الي"
    assert arabic_index_form("المادة ١٢") == "الماده 12"
    assert arabic_index_form("\ufefb") == "لا"  # the lam-alef ligature glyph


def test_index_form_folds_french_accents_and_apostrophes():
    assert index_form("L’Élève a dû") == "l'eleve a du"
    assert index_form("Œuvre") == "oeuvre"


def test_swapped_lam_alef_is_repaired_where_it_cannot_be_real_arabic():
    assert repair_lam_alef("األسرة") == "الأسرة"
    assert repair_lam_alef("أال") == "ألا"
    assert repair_lam_alef("لإلنسان") == "للإنسان"
    assert repair_lam_alef("في جميع الحاالت") == "في جميع الحالات"
    assert repair_lam_alef("إلى الأسرة") == "إلى الأسرة"  # correct text is left alone
    assert repair_lam_alef("المعالجة الآلية") == "المعالجة الآلية"


def test_direction_marks_are_stripped():
    assert strip_bidi("\u200fمرسوم\u200e رقم") == "مرسوم رقم"
