"""E-mail through Flask-Mailman, always sent from a background job (never inside a request).

Where messages go is decided when the app is created, from Flask's conventional settings:

* ``MAIL_SERVER`` set: SMTP (``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``,
  ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``, ``MAIL_TIMEOUT``);
* no ``MAIL_SERVER`` outside production: every message becomes an ``.eml`` file under ``instance/mail/``
  (``pilots.mail.eml``; its path is logged), so ``make run`` shows its e-mails without any set-up;
* no ``MAIL_SERVER`` in production: e-mail is off (:func:`enabled` is False) and the pages that would send one
  say so, rather than writing messages nobody reads on the server;
* ``MAIL_BACKEND`` set explicitly wins (the tests use ``locmem``).

:func:`render` builds a message for one user in *their* language, with links under ``BASE_URL``.
"""

from __future__ import annotations

from email.utils import formataddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives, Mail

from pilots.web.urls import absolute

mail = Mail()


def init_app(app: Flask) -> None:
    config = app.config
    if not config.get("MAIL_BACKEND"):
        if config.get("MAIL_SERVER"):
            config["MAIL_BACKEND"] = "smtp"
        elif config.get("ENV_NAME") != "production":
            config["MAIL_BACKEND"] = "pilots.mail.eml"
            config.setdefault("MAIL_FILE_PATH", str(Path(app.instance_path) / "mail"))
    config.setdefault("MAIL_TIMEOUT", 10)  # seconds: a mail server that hangs makes the job fail and retry
    mail.init_app(app)


def enabled() -> bool:
    """Whether this installation can send e-mail at all (see the module doc)."""
    return bool(current_app.config.get("MAIL_BACKEND"))


def render(user: Any, template: str, subject: str, **context: Any) -> EmailMultiAlternatives:
    """The message ``template`` (``templates/email/<template>.txt`` and ``.html``) for ``user``, in their language.

    ``subject`` is an English text marked for translation (``lazy_gettext``); it is translated here. Links in the
    templates come from ``absolute_url`` (BASE_URL), so a message never carries an address a request made up.
    """
    config = current_app.config
    lang = user.locale or config["BABEL_DEFAULT_LOCALE"]
    with current_app.test_request_context("/", base_url=config["BASE_URL"]), force_locale(lang):
        values = {"user": user, "lang": lang, "absolute": absolute, **context}
        text = render_template(f"email/{template}.txt", **values)
        html = render_template(f"email/{template}.html", **values)
        title = str(subject)
    message = EmailMultiAlternatives(
        subject=title, body=text, from_email=config.get("MAIL_DEFAULT_SENDER"), to=[formataddr((user.name, user.email))]
    )
    message.attach_alternative(html, "text/html")
    return message
