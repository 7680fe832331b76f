"""The cross-script lexicon, learned by IBM Model 1 from articles present in both editions (our own sentences)."""

from jarida.retrieval import lexical
from jarida.retrieval.lexical import terms
from jarida.retrieval.parallel_lexicon import Lexicon, learn

PAIRS = [
    ("Le locataire paie le loyer du bail.", "يؤدي المكتري وجيبة الكراء."),
    ("Le bail prend fin au terme convenu.", "ينتهي الكراء عند الأجل المتفق عليه."),
    ("Le vendeur garantit la chose vendue.", "يضمن البائع الشيء المبيع."),
    ("Le vendeur délivre la chose au terme convenu.", "يسلم البائع الشيء عند الأجل المتفق عليه."),
    ("Le juge statue sur le bail.", "يبت القاضي في الكراء."),
    ("Le juge entend le vendeur.", "يستمع القاضي إلى البائع."),
]


def test_words_that_always_appear_together_translate_each_other():
    lexicon = learn(PAIRS)
    [bail] = terms("bail")
    [kira] = terms("الكراء")
    [vendeur] = terms("vendeur")
    assert max(lexicon.ar_fr[kira], key=lambda x: x[1])[0] == bail
    assert bail in lexicon.translations(terms("متى ينتهي الكراء؟"))
    assert kira in lexicon.translations(terms("Quand le bail prend-il fin ?"))
    assert vendeur not in lexicon.translations(terms("الكراء"))


def test_a_saved_lexicon_loads_identically_and_a_missing_one_is_empty(tmp_path):
    lexicon = learn(PAIRS)
    lexicon.save(tmp_path / "lexicon.json")
    again = Lexicon.load(tmp_path / "lexicon.json")
    assert again.ar_fr == lexicon.ar_fr and again.fr_ar == lexicon.fr_ar and again.digest == lexicon.digest
    assert Lexicon.load(tmp_path / "missing.json").translations(terms("الكراء")) == {}


def test_the_digest_follows_the_parallel_texts_and_the_analyzer(monkeypatch):
    assert learn(PAIRS).digest == learn(list(reversed(PAIRS))).digest
    assert learn(PAIRS).digest != learn(PAIRS[:-1]).digest
    before = learn(PAIRS).digest
    monkeypatch.setattr(lexical, "ANALYZER_VERSION", lexical.ANALYZER_VERSION + "-changed")
    assert learn(PAIRS).digest != before  # other index terms: `jarida index` relearns the lexicon
