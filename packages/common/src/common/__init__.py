"""common: the small package under corpus, tokenizer, trainer and benchmarks.

It owns what every package shares, once: atomic writes (``fileio``), typed ``--section.field=value`` overrides
(``overrides``), the output-folder settings guard (``settings_guard``), hashes with one meaning per name
(``hashing``), where the shared sample data lives (``sample_data``), and one-line CLI errors (``cli``).
It depends on the standard library only.

Usage: ``from common import atomic_path, apply_overrides, check_settings, file_sha256, UserError``
"""

from common.cli import Parser, fail, int_at_least, non_negative_int, positive_int, run_cli
from common.errors import DiskFull, OverrideError, SettingsMismatch, UserError
from common.fileio import atomic_path, disk_full_error, is_disk_full, write_json_atomic
from common.hashing import canonical_json, file_sha256, json_sha256
from common.overrides import apply_overrides, convert, parse_override, set_field
from common.sample_data import ENV_VAR, require_sample_data, sample_data_dir
from common.settings_guard import check_settings, normalise, stored_settings

__all__ = [
    "DiskFull",
    "ENV_VAR",
    "OverrideError",
    "Parser",
    "SettingsMismatch",
    "UserError",
    "apply_overrides",
    "atomic_path",
    "canonical_json",
    "check_settings",
    "convert",
    "disk_full_error",
    "fail",
    "int_at_least",
    "is_disk_full",
    "file_sha256",
    "json_sha256",
    "non_negative_int",
    "normalise",
    "parse_override",
    "positive_int",
    "require_sample_data",
    "run_cli",
    "sample_data_dir",
    "set_field",
    "stored_settings",
    "write_json_atomic",
]
