# cables-bot: a small image that runs the bot with long polling.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/cables.db
# matplotlib (the /forces chart) keeps its font cache here: the bot's home, /app, is root's.
ENV MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY briefings ./briefings
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /app cables \
    && mkdir -p /data && chown cables /data

USER cables
VOLUME ["/data"]
# Healthy: the database opens, its schema is current and the feed was polled lately.
HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 CMD ["cables-bot", "check"]
CMD ["cables-bot", "run"]
