"""Links to the newsletter, tagged with where in the bot the reader found them.

Every trial and "read the cable" link carries utm_source=telegram, utm_medium=bot and a
utm_campaign naming the surface (start, brief, calculus, daily, inline-<section>, latest,
or a push's cable slug), so the newsletter's own analytics see which surface converts. The
link's own query (a coupon in TRIAL_URL, say) is kept.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

UTM = ("utm_source", "utm_medium", "utm_campaign")


def tagged(url: str, campaign: str) -> str:
    """url with Telegram's UTM tags for campaign, in place of any it had."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in UTM]
    query += [("utm_source", "telegram"), ("utm_medium", "bot"), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(query)))
