"""Rendering: the sections, jinja2 templates into Telegram HTML, and the forces chart."""
