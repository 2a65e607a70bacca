"""Editors' /stats, a reader's /forget, and counted links (webhook mode)."""
