"""Rule-based sentence boundaries placed where byte-level BPE cannot merge across them.

A boundary sits right after sentence-final punctuation (``.``, ``!``, ``?``, optionally followed by up to three
closing quotes/brackets) or after the last character before a blank line, and always just *before* a
whitespace character. GPT-2's pre-tokenizer never joins a non-space character with the whitespace after it, so
such a position is always a pre-token boundary: encoding the sentences one by one gives exactly the ids of
encoding the whole document, and the sentence ids concatenate back to the document. The leading space of the
next sentence stays with it (``" The"`` -> ``ĠThe``), as in the document's own encoding.

Usage: ``split_sentences("Hi there. Bye.")`` -> ``["Hi there.", " Bye."]``
"""

from __future__ import annotations

import regex

# Whitespace that GPT-2's \s certainly matches (a subset is safe: a missed boundary is only a longer sentence).
_WS = r"[ \t\n\r]"
# Titles and initials whose period rarely ends a sentence ("Mr. Smith", "J. Doe", "U.S. officials").
_ABBREV = r"(?<!\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Gen|Gov|Sen|Rep|Inc|Co|Corp|Ltd|No|vs|e\.g|i\.e|[A-Z])\.)"
_BOUNDARY = regex.compile(
    rf"(?<=[.!?][\"'”’)\]]{{0,3}}){_ABBREV}(?={_WS})"  # after . ! ? and closing quotes/brackets
    rf"|(?<=[^\s])(?=[^\S\n]*\n[^\S\n]*\n)"  # after the last character before a blank line
)


def sentence_offsets(text: str) -> list[int]:
    """Character offsets where sentences start: ``[0, b1, b2, ...]`` (each ``b`` a boundary, all < len)."""
    offsets = [0]
    for m in _BOUNDARY.finditer(text):
        p = m.start()
        if offsets[-1] < p < len(text):
            offsets.append(p)
    return offsets


def split_sentences(text: str) -> list[str]:
    """``text`` cut at ``sentence_offsets``; ``"".join(split_sentences(t)) == t``."""
    offs = [*sentence_offsets(text), len(text)]
    return [text[a:b] for a, b in zip(offs, offs[1:], strict=False) if b > a]
