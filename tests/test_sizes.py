"""One size rule for every setting (netlib.sizes): SI units decimal, IEC units and a bare
letter binary, plain numbers bytes; anything else a one-line error naming the variable."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlib import memory, sizes
from netlib.config import ConfigError
from runlayer import StoreError, retention

KiB, MiB, GiB, TiB = 2**10, 2**20, 2**30, 2**40

EXAMPLES = [
    ("123456", 123_456),
    ("1", 1),
    ("500B", 500),
    ("512M", 512 * MiB),  # a bare letter is binary, as docker and ulimit read it
    ("1.5G", int(1.5 * GiB)),
    ("1.5g", int(1.5 * GiB)),
    ("64k", 64 * KiB),
    ("2T", 2 * TiB),
    ("2GiB", 2 * GiB),  # IEC: powers of 1024
    ("512 MiB", 512 * MiB),
    ("4Ki", 4 * KiB),
    ("1 Gi", GiB),
    ("100MB", 100 * 10**6),  # SI: powers of 1000
    ("100mb", 100 * 10**6),
    ("64kB", 64_000),
    ("64KB", 64_000),
    ("1.5 GB", 1_500_000_000),
    ("3TB", 3 * 10**12),
    ("  8G  ", 8 * GiB),
    ("0.5K", 512),
    ("1.0000001K", 1024),  # a fraction of a byte is dropped
    ("123456789012345678", 123_456_789_012_345_678),  # exact: no float rounding
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_the_rule_on_a_table_of_examples(text, expected):
    assert sizes.parse_size(text) == expected
    assert memory.parse_bytes(text) == expected
    assert retention.parse_size(text) == expected


BAD = {
    "": "is not a size",
    "lots": "is not a size",
    "-1G": "is not a size",
    "+1G": "is not a size",
    "1e9": "is not a size",
    "1e9999": "is not a size",
    "4 GB RAM": "is not a size",
    "1.5.2G": "is not a size",
    "G": "is not a size",
    ".5G": "is not a size",
    "5X": "is not a size",
    "5 iB": "is not a size",
    "nan": "is not a size",
    "inf": "is not a size",
    "9" * 100: "is not a size",
    "0": "less than one byte",
    "0.4": "less than one byte",
    "0K": "less than one byte",
    "9999999T": "more than 8 EiB",
}


@pytest.mark.parametrize("text", list(BAD))
def test_bad_values_are_one_line_naming_the_variable_and_an_example(text):
    with pytest.raises(sizes.SizeError) as info:
        sizes.parse_size(text, "NETLIB_X", example="4G")
    message = str(info.value)
    assert message.startswith(f"NETLIB_X={text!r} ") and BAD[text] in message
    assert "e.g. NETLIB_X=4G" in message and "\n" not in message
    with pytest.raises(ConfigError, match=f"^{memory.BUDGET_ENV}=.*e.g. {memory.BUDGET_ENV}=4G"):
        memory.parse_bytes(text)
    with pytest.raises(StoreError, match=f"^{retention.BUDGET_ENV}=.*{retention.BUDGET_ENV}=200M"):
        retention.parse_size(text)


def test_the_error_says_which_units_are_which():
    with pytest.raises(sizes.SizeError) as info:
        sizes.parse_size("lots", "NETLIB_X")
    message = str(info.value)
    assert "powers of 1024 (512M, 2GiB)" in message and "powers of 1000 (100MB)" in message


def test_one_formatter_in_decimal_units():
    assert memory.format_bytes is sizes.format_size
    assert [sizes.format_size(b) for b in (0, 512, 1500, 2_500_000, 34.1e9, 2e12)] == [
        "0 B", "512 B", "1.5 KB", "2.5 MB", "34.1 GB", "2000.0 GB"
    ]  # fmt: skip


@given(st.integers(min_value=1, max_value=10**15))
def test_what_the_formatter_writes_reads_back_as_the_same_size(n):
    back = sizes.parse_size(sizes.format_size(n).replace(" ", ""))
    assert abs(back - n) <= 0.05 * n + 0.5  # one decimal of at least 1.0: rounding only


@given(st.text(max_size=30))
def test_any_text_gives_a_size_or_a_size_error(text):
    try:
        value = sizes.parse_size(text)
    except sizes.SizeError as exc:
        assert "\n" not in str(exc).replace(repr(text), "")
    else:
        assert 1 <= value <= sizes.MAX_SIZE
