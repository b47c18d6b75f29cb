"""The hub's web pages as pure parts: lookup, status JSON, board, receipt image, audit event."""
