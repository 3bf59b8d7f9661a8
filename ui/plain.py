"""Text that Streamlit shows as typed: names of files, zip entries, classes and runs are data, not markup."""

import re

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; Streamlit's LaTeX ($), colour and icon
# directives (:red[...], :material/...:) and emoji shortcodes (:smile:) start with marks from this set too.
_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: str) -> str:
    """`text` with every markdown, LaTeX and directive character escaped, for st.error/warning/caption/markdown."""
    return _MARKUP.sub(r"\\\1", str(text))
