"""``tok encode``: documents -> sentence-split ids -> token shards, as a resumable parallel job.

- ``job``: ``EncodeConfig`` and ``run_encode`` (workers, resume markers, the manifest);
- ``units``: the document stream cut into work units, one unit encoded into ``train``/``valid`` shards;
- ``documents``: documents encoded into ids plus the token length of each sentence;
- ``sentences``: the rule-based sentence boundaries (always pre-token boundaries of byte-level BPE).

Usage: ``from tokenizer.encode import EncodeConfig, run_encode``;
``run_encode(EncodeConfig(tokenizer="tok/", inputs=("corpus/",), output="shards/"))``
"""

from tokenizer.encode.documents import EncodedBatch, encode_by_sentence, encode_document, encode_documents
from tokenizer.encode.job import EncodeConfig, EncodeError, run_encode
from tokenizer.encode.sentences import sentence_offsets, split_sentences
from tokenizer.encode.units import encode_unit, is_valid_doc, iter_units

__all__ = [
    "EncodeConfig",
    "EncodeError",
    "EncodedBatch",
    "encode_by_sentence",
    "encode_document",
    "encode_documents",
    "encode_unit",
    "is_valid_doc",
    "iter_units",
    "run_encode",
    "sentence_offsets",
    "split_sentences",
]
