"""Content of the cables bot: the facts store, cables and the briefings rendered from them.

Knows nothing of Telegram beyond the HTML subset that Telegram accepts.
"""
