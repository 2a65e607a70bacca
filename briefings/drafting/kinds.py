"""What kind of statement a sentence makes, from its words alone.

- An assessment: the cable judges (docs/EDITORIAL.md, "The cable judges"): words of
  likelihood, degree, quality or verdict ("unlikely", "preposterous", "foolish", "not
  enough", "largely unknown", "heavily"), and conditional predictions ("would", "could").
- A bottom-line candidate: the subtitle, a judgement that sums up ("overall", "thus", "in
  short"), and the closing judgement (the preview's last assessment).
- An open question: where the preview stops, a question (or, lacking one, its last heading).
- The news is the opening paragraph; figures and claims come from `quantities.py` and
  `voices.py`.
"""

from __future__ import annotations

import re

_JUDGEMENT = re.compile(
    r"\b(?:(?:un)?likely|unlikely|probabl[ey]|possibl[ey]|impossible|improbable|doubtful|"
    r"certain(?:ly)?|clearly|obvious(?:ly)?|evident(?:ly)?|arguabl[ey]|surely|"
    r"preposterous|absurd|ridiculous|baseless|unfounded|false|untrue|implausible|exaggerated|"
    r"foolish|reckless|risky|dangerous|naive|misguided|mistaken|wrong|futile|"
    r"not\senough|insufficient|inadequate|enough\sto|too\s(?:few|small|weak|little)|"
    r"largely|heavily|significant(?:ly)?|substantial(?:ly)?|considerabl[ey]|marginal(?:ly)?|"
    r"unknown|untested|unproven|uncertain|unclear|questionable|"
    r"lack(?:s|ing)?|weak(?:er|ness)?|strong(?:er)?|capab(?:le|ility)|effective(?:ly)?|"
    r"valuable|crucial|critical|decisive|meaningful|serious(?:ly)?|major|minor|"
    r"threat(?:en|ens)?|struggling|fail(?:s|ed|ure)?|succeed|success(?:ful)?|"
    r"would|could|might|must|should|will\send\sup|at\smost|at\sbest|at\sleast|only\sif|"
    r"confidence|confident)\b",
    re.IGNORECASE,
)
# Words that sum up: a judgement they open or carry is a bottom-line candidate.
_SUMMING_UP = re.compile(
    r"\b(?:overall|thus|therefore|in\sshort|in\ssum|all\sin\sall|in\sconclusion|"
    r"the\sbottom\sline|ultimately|in\sthe\send|on\sbalance|hence|all\sthis\smeans)\b",
    re.IGNORECASE,
)
# Words a reader would not take as the cable's own statement: an aside to the reader.
_ASIDES = re.compile(
    r"^(?:let\s(?:us|me|'s)|let’s|read\s(?:on|more)|subscribe|see\s|click|share)\b",
    re.IGNORECASE,
)


def judgement_cue(text: str) -> str | None:
    """The first word by which the cable judges in this text, if any."""
    found = _JUDGEMENT.search(text)
    return found.group(0) if found else None


def sums_up(text: str) -> bool:
    return _SUMMING_UP.search(text) is not None


def is_question(text: str) -> bool:
    return text.rstrip(" \"'”’)").endswith("?")


def is_aside(text: str) -> bool:
    """A line to the reader ("Let us unpack."), not a statement about the situation."""
    return _ASIDES.match(text.strip('(“"‘ ')) is not None


def is_heading_like(paragraph: str) -> bool:
    """A short line with no verb-like ending: a heading ("Lukashenko’s calculus.")."""
    words = paragraph.split()
    return 0 < len(words) <= 6 and not is_question(paragraph)
