"""app.plain_text: user-given names are shown as text, never as markdown (links, images, bold)."""

import re
import string

from hypothesis import given
from hypothesis import strategies as st_

from app.plain_text import md_plain

HOSTILE = [
    "![p](http://127.0.0.1:9/x.png)",
    "**bold** _it_ `code`",
    "[link](http://127.0.0.1:9/)",
    ":red[alarm] :smile: $x^2$",
    "# heading",
    "<img src=x onerror=alert(1)>",
]


def _unescape(text: str) -> str:
    """What CommonMark shows for backslash-escaped ASCII punctuation."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def test_every_markdown_character_of_a_hostile_name_is_escaped():
    for name in HOSTILE:
        shown = md_plain(name)
        unescaped = [
            c
            for i, c in enumerate(shown)
            if c in string.punctuation and c != "\\" and (i == 0 or shown[i - 1] != "\\")
        ]
        assert unescaped == [], (name, shown)
        assert _unescape(shown) == name


@given(st_.text(max_size=80))
def test_the_shown_text_is_the_name_itself(name):
    assert _unescape(md_plain(name)) == " ".join(name.split())
    assert "\n" not in md_plain(name)
