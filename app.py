"""WSGI entry point: `flask --app app ...` and `gunicorn app:app`."""

from pilots import create_app

app = create_app()
