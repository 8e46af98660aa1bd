"""A fast English word and sentence tokenizer that follows spaCy's rules, for datatrove's Gopher and C4 filters.

FineWeb runs Gopher's word rules and C4's sentence count on spaCy's English tokenizer (``spacy.blank("en")`` +
the sentencizer), which costs about as much as the whole article extraction. Gopher's "80% of words contain a
letter" rule depends on how punctuation is tokenized, so a whitespace split (``RegexWordTokenizer``) keeps pages
that FineWeb drops. ``SpacyLikeWordTokenizer`` is one regular expression written from spaCy's English
punctuation rules (checked against spaCy on Reuters news, never on the bench's pages): punctuation is split off a word (``"end."`` -> ``end`` ``.``) except
inside numbers (``3.5``, ``1,000``, ``24/7``) and spaCy's English abbreviations (``Mr.``, ``U.S.``, ``e.g.``,
single-letter initials); hyphens between letters split (``well-known`` -> ``well`` ``-`` ``known``) but not a
letter-digit code (``COVID-19``); clitics split (``don't`` -> ``do`` ``n't``, ``it's`` -> ``it`` ``'s``); URLs,
e-mail addresses and ``@handles`` stay whole. Sentences end, as in spaCy's sentencizer, before the first
non-punctuation token after a ``.``/``!``/``?`` token. Agreement with datatrove's spaCy tokenizer on held-out
news (Reuters-21578) is in docs/corpus.md and pinned by tests/corpus/test_quality.py.

Usage: ``GopherQualityFilter(language=SpacyLikeWordTokenizer())``
"""

from __future__ import annotations

import re
import unicodedata

from datatrove.utils.word_tokenizers import WordTokenizer

# spaCy's English tokenizer exceptions that end in "." (spacy/lang/en/tokenizer_exceptions.py), letters only.
_ABBREVIATIONS = (
    "Adm Ak Ala Apr Ariz Ark Aug Bros Calif Co Colo Conn Corp Dec Del Dr Feb Fla Ga Gen Gov Ia Id Ill Inc Ind "
    "Jan Jr Jul Jun Kan Kans Ky La Ltd Mar Mass Md Messrs Mich Minn Miss Mo Mont Mr Mrs Ms Mt Neb Nebr Nev Nov "
    "Oct Okla Ore Pa Prof Rep Rev Sen Sep Sept St Tenn Va Wash Wis co vs"
).split()
_TRAIL = r"""[^\s.,;:!?)\]}"'”’»]"""  # a URL does not end in sentence punctuation or a closing quote
# Inside a word spaCy splits only at its English infixes: a hyphen before a letter, "," between letters,
# ":<>=/" before a letter, "." between a lower- and an upper-case letter; every other mark stays in the word.
_JOIN = r"""(?:(?<![a-z])\.|\.(?![A-Z])|(?<=\d),|,(?=\d)|(?<=[^\W\d_])-(?=\d)|[:<>=/](?![^\W\d_])|[;"'’&^_@#%$*+!?~|])"""
_RULES = rf"""
    (?:https?://|www\.)\S*{_TRAIL}                     # URL
  | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                       # e-mail
  | @\w+                                               # handle
  | (?<![\w.])(?:{"|".join(_ABBREVIATIONS)}|Ph\.D)\.(?!\w)   # spaCy's abbreviation exceptions
  | (?<![\w.])(?:[^\W\d_]\.){{2,}}(?!\w)               # U.S., e.g., a.m.
  | (?<![\w.])[^\W\d_]\.(?!\w)                         # an initial: F.
  | \w+?(?=[nN]['’][tT](?!\w))                         # do|n't
  | [nN]['’][tT](?!\w)
  | \w+(?:['’]\w+)*?(?=['’](?:[sSdDmM]|re|RE|ve|VE|ll|LL)(?!\w))   # it|'s, we|'re
  | ['’](?:[sSdDmM]|re|RE|ve|VE|ll|LL)(?!\w)
  | \d+(?:[.,:/]\d+)+                                  # 3.5, 1,000, 5:30, 24/7
  | (?<!\w)[cC]an(?=not(?!\w))                        # can|not
  | \w+(?:{_JOIN}\w+)*                                # words: COVID-19, O'Neill, AT&T, 5:30, SIEG.F
  | \.{{2,}} | -{{2,}} | …+                             # ellipsis, dashes
  | [^\w\s]                                            # any other punctuation mark or symbol, one each
"""
REFERENCE_TOKEN_RE = re.compile(_RULES, re.VERBOSE)  # the rules alone (the tests' slow reference)
# Fast path first: a word followed by a space is the token the rules give it (none of them applies to a bare
# word before a space except "cannot"), without trying the abbreviation list and the clitic look-aheads.
_TOKEN_RE = re.compile(r"(?![cC]annot(?!\w))\w+(?=\s|\Z) |" + _RULES, re.VERBOSE)
SENTENCE_END = frozenset("!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮‼‽⁇⁈⁉⸮⸼﹒﹖﹗！．？｡。")  # spaCy's sentencizer (BMP, common)


def _is_punct(token: str) -> bool:
    """spaCy's ``is_punct``: every character is Unicode punctuation."""
    return all(unicodedata.category(ch).startswith("P") for ch in token)


class SpacyLikeWordTokenizer(WordTokenizer):
    """spaCy-English-like words (``word_tokenize``) and sentences (``sent_tokenize``, ``span_tokenize``)."""

    def __init__(self, language: str = "en") -> None:
        super().__init__(language)
        self._last: tuple[str, list[str]] = ("", [])

    def word_tokenize(self, text: str) -> list[str]:
        """The words of ``text``; the last text's words are kept, as the Gopher filters ask for the same text
        one after the other (treat the list as read-only)."""
        if text is not self._last[0]:
            self._last = (text, _TOKEN_RE.findall(text))
        return self._last[1]

    def count_sentences(self, text: str, at_most: int) -> int:
        """``len(self.sent_tokenize(text))``, but stops counting at ``at_most``."""
        n = 0
        seen_end = False
        for tok in _TOKEN_RE.findall(text):
            if not n:
                n = 1
            elif seen_end and tok not in SENTENCE_END and not _is_punct(tok):
                n, seen_end = n + 1, False
                if n >= at_most:
                    return n
            if tok in SENTENCE_END:
                seen_end = True
        return n

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans (datatrove's ``split_into_sentences`` cuts at their ends)."""
        spans: list[tuple[int, int]] = []
        start = end = -1
        seen_end = False
        for m in _TOKEN_RE.finditer(text):
            tok = m.group()
            if start < 0:
                start = m.start()
            elif seen_end and tok not in SENTENCE_END and not _is_punct(tok):
                spans.append((start, end))
                start, seen_end = m.start(), False
            if tok in SENTENCE_END:
                seen_end = True
            end = m.end()
        if start >= 0:
            spans.append((start, end))
        return spans

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b] for a, b in self.span_tokenize(text)]
