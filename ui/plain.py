"""Text that Streamlit shows as typed: names of files, zip entries, classes and runs are data, not markup."""

import re

# Marks that start markdown, HTML, LaTeX ($), Streamlit's directives and emoji (:red[...], :smile:) or tables
# anywhere in a line; CommonMark lets a backslash escape any of them. Letters, digits, . and - stay as they are,
# so a message still reads "notes.png" or "demo-run" to a test or a search.
_ANYWHERE = re.compile(r"([\\`*_\[\]<>$~:|#&])")
# Marks that start a list, a heading underline or a numbered list only at the start of a line.
_LINE_START = re.compile(r"^(\s*)([-+=])|^(\s*\d+)([.)])", re.MULTILINE)


def plain(text: str) -> str:
    """`text` with every markdown, LaTeX and directive mark escaped, for st.error/warning/caption/markdown."""
    escaped = _ANYWHERE.sub(r"\\\1", str(text))
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}", escaped)
