"""User-given names (runs, uploads) shown inside Streamlit markdown as the text they are.

A run named `![p](http://127.0.0.1:9/x.png)` would otherwise make every viewer's browser fetch
that address on each redraw, and `**bold**`, `:red[x]` or `$x$` would be rendered. CommonMark
lets any ASCII punctuation be escaped with a backslash, so escaping all of it is the one rule
that holds for links, images, emphasis, Streamlit's colour and emoji directives and LaTeX.
"""

from __future__ import annotations

import string

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})


def md_plain(text: str) -> str:
    """`text` escaped so that st.markdown shows it literally; newlines become spaces."""
    return " ".join(str(text).split()).translate(_ESCAPES)
