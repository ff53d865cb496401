"""The library's messages in the form's words: field labels for parameter names, the boxes' date forms.

The library's exceptions keep their programmer wording (``days_back_to_start_from='abc' is not a
date. Accepted: ... a pandas Timestamp or a numpy datetime64``); under a form field the same
message reads ``Days Back to Start From 'abc' is not a date. Accepted: today (or 0), ...`` (issue 12).
Only names the form maps to a field are rewritten, so a message never loses a word it needs.
"""

from __future__ import annotations

import re
from typing import Mapping

from .._specs.date_grammar import ACCEPTED_FORMS, DAYS_BACK_FORMS

__all__ = ["BOX_FORMS", "in_form_words"]

#: What a date text box takes, in the words of the box (no Python types).
BOX_FORMS = "today (or 0), yesterday (or 1), today-N (or N, e.g. today-7), or a date YYYY-MM-DD"
DAYS_FORMS = "today (or 0), yesterday (or 1), today-N (or N, e.g. today-7)"

# A value as the library prints it after ``name=``: a quoted string, a list, a tuple or one token.
_VALUE = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\([^)]*\)|[^\s,;:)\]]+"""
_EMPTY = {"None", "[]", "()", "''", '""', "set()"}


#: Parameter names that are not English words, though they look like one.
_NOT_WORDS = frozenset({"skus", "asins"})


def _is_identifier_like(name: str) -> bool:
    """``seller_id``, ``reportPeriod``, ``skus``: names no English sentence uses (``start``/``end`` are words)."""
    return "_" in name or bool(re.search(r"[a-z][A-Z]", name)) or name in _NOT_WORDS


def in_form_words(message: str, labels: Mapping[str, str]) -> str:
    """``message`` with each parameter of ``labels`` (parameter -> field label) replaced by its label.

    ``name=value`` becomes ``Label value`` (``Label (empty)`` for ``None``/``[]``/``''``); a bare
    identifier-like name becomes its label; the library's list of accepted date forms becomes the
    forms a text box takes.
    """
    text = str(message)
    text = text.replace(ACCEPTED_FORMS, BOX_FORMS).replace(DAYS_BACK_FORMS, DAYS_FORMS)
    # a report option as the library names it: reportOptions['currencyCode']='dollars'
    text = re.sub(r"reportOptions\['(\w+)'\]", lambda m: m.group(1) if m.group(1) in labels else m.group(0), text)
    for name in sorted(labels, key=len, reverse=True):
        label = labels[name]

        def shown(match: re.Match[str], label: str = label) -> str:
            value = match.group(1)
            return f"{label} (empty)" if value in _EMPTY else f"{label} {value}"

        # not inside code advice such as ``Client(marketplace='IE')``
        text = re.sub(rf"(?<![\w.])(?<!\w\(){re.escape(name)}=({_VALUE})", shown, text)
        # "seller_id is required", "start is empty", "keywords: 30 words given"
        text = re.sub(rf"^{re.escape(name)}(?=[ :])", label, text)
        if _is_identifier_like(name):
            text = re.sub(rf"(?<![\w.'\"]){re.escape(name)}(?![\w'\"=])", label, text)
    return text
