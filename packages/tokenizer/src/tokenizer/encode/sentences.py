"""Rule-based sentence boundaries placed where byte-level BPE cannot merge across them.

A boundary sits right after sentence-final punctuation (``.``, ``!``, ``?``, optionally followed by up to three
closing quotes/brackets) when a space, tab or newline follows, or after the last character before a blank line.
A period after a title or an initial (``Mr.``, ``Dr.``, ``J.``, ``e.g.``) is not a boundary. Every boundary is
just *before* an ASCII whitespace character and just after a non-whitespace one. GPT-2's pre-tokenizer never
joins a non-space character with the whitespace after it, so such a position is always a pre-token boundary:
encoding the sentences one by one gives exactly the ids of encoding the whole document. The leading space of
the next sentence stays with it (``" The"`` -> ``ĠThe``), as in the document's own encoding.

Runs at tens of MB/s: one stdlib ``re`` scan for sentence ends, one for blank lines.

Usage: ``split_sentences("Hi there. Bye.")`` -> ``["Hi there.", " Bye."]``
"""

from __future__ import annotations

import re

import numpy as np

_ABBREVIATIONS = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Prof",
    "St",
    "Jr",
    "Sr",
    "Gen",
    "Gov",
    "Sen",
    "Rep",
    "Inc",
    "Co",
    "Corp",
    "Ltd",
    "No",
    "vs",
    r"e\.g",
    r"i\.e",
    "[A-Z]",
)
# A "." preceded by a title or an initial ("Mr. Smith", "J. Doe", "e.g. this") rarely ends a sentence. The checks
# are fixed-width lookbehinds placed after the "." so they only run at periods (stdlib ``re`` is ~10x faster here
# than a variable-width lookbehind in ``regex``).
_NOT_ABBREV = "".join(rf"(?<!\W{a}\.)" for a in _ABBREVIATIONS)
_END = re.compile(rf"(?:\.{_NOT_ABBREV}|[!?])[\"'”’)\]]{{0,3}}(?=[ \t\n\r])")
_ABBREV_AT_START = re.compile(rf"(?:{'|'.join(_ABBREVIATIONS)})\.")
_BLANK = re.compile(r"\n[ \t\r]*\n")


def sentence_offsets(text: str) -> list[int]:
    """Character offsets where sentences start: ``[0, b1, b2, ...]`` (each ``b`` a boundary, all < len)."""
    found = {m.end() for m in _END.finditer(text)}
    head = _ABBREV_AT_START.match(text)  # the lookbehinds need a preceding character: check the start here
    if head is not None:
        found.discard(head.end())
    for m in _BLANK.finditer(text):
        p = m.start()
        while p > 0 and text[p - 1] in " \t\r":
            p -= 1
        if p > 0 and not text[p - 1].isspace():
            found.add(p)
    n = len(text)
    return [0, *sorted(p for p in found if 0 < p < n)]


def split_sentences(text: str) -> list[str]:
    """``text`` cut at ``sentence_offsets``; ``"".join(split_sentences(t)) == t``."""
    offs = [*sentence_offsets(text), len(text)]
    return [text[a:b] for a, b in zip(offs, offs[1:], strict=False) if b > a]


# ---- the same boundaries found from a byte-level encoding (fast path of ``tok encode``) ----------------------
# Rule 1 boundaries are token boundaries whose next token starts with an ASCII space/tab/newline and whose
# previous token may end a sentence. Most are decided from per-token tables with numpy: a token like "!" or '?"'
# always ends a sentence; a token starting with "." does when the token before it settles the abbreviation
# lookbehind on its own (it does not end with a letter, or is bounded and not a title/initial). The rest (short words
# before ".", the document's first 48 bytes, closers alone, split UTF-8) are checked with ``_END_AT`` on the
# text just before them, which is exactly ``_END``'s condition. Rule 2 scans the bytes for blank lines as
# ``sentence_offsets`` does. Tests check that the offsets equal the character rules' on real and random text.
_END_AT = re.compile(rf"(?:\.{_NOT_ABBREV}|[!?])[\"'”’)\]]{{0,3}}\Z")
_ABBREV_TAIL = re.compile(rf"\W(?:{'|'.join(_ABBREVIATIONS)})\Z")
_CLOSERS_ONLY = re.compile(r"[\"'”’)\]]{1,3}\Z")
_BLANK_BYTES = re.compile(rb"\n[ \t\r]*\n")
_ENDERS = (*(c.encode() for c in ".!?\"')]"), b"\x99", b"\x9d")  # ’ and ” end in 0x99 / 0x9d
_WINDOW = 48  # bytes before a candidate: >= 12 characters, more than the 10 the rule can look at
CHECK, ACCEPT, DOT0 = 0, 1, 2


def token_tables(id_bytes: list[bytes]) -> dict[str, np.ndarray]:
    """Per-id tables: starts with ASCII whitespace; may end a sentence; rule-1 state; safe word before a dot."""
    n = len(id_bytes)
    starts_ws, may_end, safe_word = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    state = np.full(n, CHECK, dtype=np.int8)
    for i, b in enumerate(id_bytes):
        starts_ws[i] = b[:1] in (b" ", b"\t", b"\n", b"\r")
        may_end[i] = b.endswith(_ENDERS)
        try:
            t = b.decode("utf-8")
        except UnicodeDecodeError:
            continue  # part of a character: always checked on the text
        # every abbreviation ends with an ASCII letter and holds no space: a word ending otherwise, or one whose
        # 5+ characters or leading non-word character bound the lookbehind, decides it on its own
        if not (t[-1:].isascii() and t[-1:].isalpha()):
            safe_word[i] = True
        else:
            bounded = len(t) >= 5 or not (t[:1].isalnum() or t[:1] == "_")
            safe_word[i] = bounded and _ABBREV_TAIL.search(t) is None
        if not may_end[i]:
            continue
        m = _END_AT.search(t)
        k = m.start() if m is not None else -1
        if m is not None and (t[k] in "!?" or k >= 5 or (k >= 1 and not t[k - 1].isalpha())):
            state[i] = ACCEPT  # the rule looks at no character before this token
        elif m is not None and m.start() == 0 and t[0] == ".":
            state[i] = DOT0
    return {"starts_ws": starts_ws, "may_end": may_end, "state": state, "safe_word": safe_word}


def _rule1_check(data: bytes, start: int, p: int) -> bool:
    window = data[max(start, p - _WINDOW) : p].decode("utf-8", "ignore")
    if _END_AT.search(window) is None:
        return False
    return not (p - start <= _WINDOW and _ABBREV_AT_START.fullmatch(window))


def _blank_boundaries(data: bytes, start: int, end: int, found: list[int]) -> None:
    for m in _BLANK_BYTES.finditer(data, start, end):
        p = m.start()
        while p > start and data[p - 1] in b" \t\r":
            p -= 1
        if p > start and not data[max(start, p - 4) : p].decode("utf-8", "ignore")[-1:].isspace():
            found.append(p)


def sentence_token_starts(
    data: bytes, ids: np.ndarray, ends: np.ndarray, doc_starts: np.ndarray, tables: dict[str, np.ndarray]
) -> np.ndarray | None:
    """Token indices where sentences start, other than document starts, for documents concatenated in
    ``data`` (UTF-8) and encoded as ``ids``; ``ends`` is each token's end byte, ``doc_starts`` each document's
    first token index (starting with 0). Working on a whole batch keeps numpy's per-call cost off small documents.
    ``None`` if a blank-line boundary is not a token boundary (the caller then encodes sentence by sentence)."""
    is_doc_start = np.zeros(ids.size + 1, dtype=bool)
    is_doc_start[doc_starts] = True
    cand = np.flatnonzero(tables["may_end"][ids[:-1]] & tables["starts_ws"][ids[1:]]) + 1
    cand = cand[~is_doc_start[cand]]
    doc = np.searchsorted(doc_starts, cand, side="right") - 1
    byte_starts = np.concatenate([[0], ends])[doc_starts]  # each document's first byte
    doc_byte = byte_starts[doc]
    p = ends[cand - 1]
    state = tables["state"][ids[cand - 1]]
    has_before = cand - 1 > doc_starts[doc]
    safe_before = has_before & tables["safe_word"][ids[np.maximum(cand - 2, 0)]]
    sure = ((state == ACCEPT) | ((state == DOT0) & safe_before)) & (p - doc_byte > _WINDOW)
    found = p[sure].tolist()
    for q, b0 in zip(p[~sure].tolist(), doc_byte[~sure].tolist(), strict=True):
        if _rule1_check(data, b0, q):
            found.append(q)
    if b"\n" in data:
        bounds = [*byte_starts.tolist(), len(data)]
        for b0, b1 in zip(bounds, bounds[1:], strict=False):
            _blank_boundaries(data, b0, b1, found)
    offsets = np.unique(np.asarray(found, dtype=np.int64))
    at = np.searchsorted(ends, offsets) + 1  # token i starts where token i-1 ends
    if offsets.size and not np.array_equal(ends[np.minimum(at - 1, ends.size - 1)], offsets):
        return None
    at = at[(at < ids.size) & ~is_doc_start[at]]
    return at
