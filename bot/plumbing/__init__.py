"""The Telegram plumbing: the HTTP client, update ordering, the flood guard, errors, logs."""
