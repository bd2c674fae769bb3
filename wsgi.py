"""The WSGI entry point for gunicorn (``gunicorn wsgi:app``): the only module that builds an app
at import."""

from calendar_service import create_app

app = create_app()
