"""Requirement IDs (TEN-4, ROS-2 ...) are for the people who maintain Markbook: code,
docstrings and tests cite them; nothing a user reads shows them."""

import re

_ID = r"(?:TEN|ACC|ROS|ASM|DSR|CON|RET|SEC)-\d+"
REQUIREMENT_ID = re.compile(rf"\b{_ID}\b")
# "(ACC-2)", "(ROS-2, ACC-3)": the whole citation goes, with the space before it.
_CITATION = re.compile(rf"\s*\({_ID}(?:,\s*{_ID})*\)")
# "(RET-1: contract records)", "(RET-1, as logs)": the IDs go, the explanation stays.
_CITATION_LEAD = re.compile(rf"\({_ID}(?:,\s*{_ID})*(?::|,)\s*")
# "(CSV or .xlsx; ROS-2, ROS-3)": the IDs at the end of a parenthesis go.
_CITATION_TAIL = re.compile(rf"[;,]\s*{_ID}(?:,\s*{_ID})*(?=\))")


def without_requirement_ids(text: str) -> str:
    """`text` without its requirement citations, for a page or document people read."""
    return _CITATION_TAIL.sub("", _CITATION_LEAD.sub("(", _CITATION.sub("", text)))
