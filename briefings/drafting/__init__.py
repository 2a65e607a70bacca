"""Draft a cable's statements from its free preview, for an editor to review.

Rules, not a language model: sentences by pysbd (`sentences.py`), figures by plain rules
(`quantities.py`), whose words they are by cue verbs and the situation's sides (`voices.py`),
what kind of statement each is (`kinds.py`), a change where the situation already has the fact
(`matching.py`); `drafter.py` puts them together. Nothing is downloaded at run time.
"""

from briefings.drafting.drafter import draft_off_loop, draft_statements
from briefings.drafting.models import CableRef, Draft
from briefings.drafting.preview import Preview, preview_from_html, preview_from_text

__all__ = [
    "CableRef",
    "Draft",
    "Preview",
    "draft_off_loop",
    "draft_statements",
    "preview_from_html",
    "preview_from_text",
]
