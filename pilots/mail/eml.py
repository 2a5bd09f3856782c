"""A Flask-Mailman backend for laptops: each message is written as one ``.eml`` file (open it in any mail program)."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask_mailman.backends.file import EmailBackend as FileBackend

log = logging.getLogger(__name__)


class EmailBackend(FileBackend):
    """Writes to ``MAIL_FILE_PATH`` (``instance/mail/``) and logs each file's path."""

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            path = Path(self.file_path) / f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
            path.write_bytes(message.message().as_bytes())
            log.warning("e-mail to %s written to %s", ", ".join(message.to), path)
            sent += 1
        return sent
