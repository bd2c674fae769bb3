"""Flask extensions, created unbound and initialised by ``create_app``, and how the app closes
each request's database session."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from calendar_service.store.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()


def register_session_teardown(app: Flask) -> None:
    """Close each request's session before Flask-SQLAlchemy's own teardown would, forgiving a
    connection the database dropped after the answer was made.

    Closing a session rolls its transaction back.  When the server went away meanwhile (a
    restart), that ROLLBACK fails after the view has already answered, and the error escaping
    teardown turns a good answer into a 500.  There is nothing left to roll back on a dead
    connection, so it is invalidated instead and the pool replaces it.  Teardowns run in the
    reverse order of registration: this one must be registered after ``db.init_app``.
    """

    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        try:
            db.session.remove()
        except SQLAlchemyError as failure:
            app.logger.warning(
                "closing the request's session failed (%s); invalidating it", failure
            )
            db.session().invalidate()
            db.session.remove()
