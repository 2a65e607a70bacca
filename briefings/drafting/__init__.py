"""Statements drafted from a cable's free preview for editors to review: rules, no model."""

from briefings.drafting.drafter import draft_statements
from briefings.drafting.models import CableRef, Draft
from briefings.drafting.preview import Preview, preview_from_html, preview_from_text

__all__ = [
    "CableRef",
    "Draft",
    "Preview",
    "draft_statements",
    "preview_from_html",
    "preview_from_text",
]
