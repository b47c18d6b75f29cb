"""Keep lookup codes out of the logs: the web servers' log lines lose every query string.

aiohttp logs a request it cannot parse (a URL over 8,190 bytes, a malformed line) with the
request line itself, query string and lookup code included. The filter rewrites such records
(message and traceback) before any handler sees them.
"""

from __future__ import annotations

import logging
import re

#: Loggers of the web servers (aiohttp's; faust's web driver logs through them too).
WEB_LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web", "aiohttp.internal")
#: A query string (up to the next space, quote or line end) and a bare ``code=`` parameter.
QUERY = re.compile(r"\?[^\s'\"]*")
CODE = re.compile(r"(?i)\bcode=[^\s&'\"]*")
REDACTED = "?[query removed]"


def redact(text: str) -> str:
    return CODE.sub("code=[removed]", QUERY.sub(REDACTED, text))


class RedactQueries(logging.Filter):
    """A filter that removes query strings from a record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        return True


def redact_web_logs() -> None:
    """Install the filter on the web servers' loggers (once per process)."""
    for name in WEB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueries) for f in logger.filters):
            logger.addFilter(RedactQueries())
