"""The calendar service: a Flask application factory and nothing else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from rules import zone_data  # noqa: F401  (before any zone is loaded: the pinned tzdata only)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build an app from the environment (docs/contract.md: CALENDAR_*) and an optional test
    mapping."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CALENDAR_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    register_config(app, test_config)
    register_extensions(app)
    register_caches(app)
    register_guards(app)
    register_http_cache(app)
    register_headers(app)
    register_filters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_proxy_fix(app)
    return app


def register_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    from calendar_service import config

    instance_path = Path(app.instance_path)
    if not instance_path.exists():  # it holds the signing key and the SQLite file: owner only
        instance_path.mkdir(parents=True, mode=0o700, exist_ok=True)
    app.config.from_mapping(config.load(instance_path, test_config))
    config.create_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server to restart: pinging it would only add a query to each request.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    from rules import is_valid_zone

    if not is_valid_zone(app.config["CALENDAR_TIMEZONE"]):
        raise RuntimeError(
            f"CALENDAR_TIMEZONE={app.config['CALENDAR_TIMEZONE']!r} is not an IANA time zone "
            "(for example Europe/London)"
        )


def register_extensions(app: Flask) -> None:
    from calendar_service.extensions import csrf, login_manager, migrate, register_session_teardown
    from calendar_service.store.db import db

    db.init_app(app)
    register_session_teardown(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    from calendar_service.web.sessions import PublicAwareSessionInterface

    app.session_interface = PublicAwareSessionInterface()
    login_manager.login_view = "organiser.sign_in"
    login_manager.session_protection = "strong"

    from calendar_service.store.models import Organiser

    def load_organiser(session_id: str) -> Organiser | None:
        """The organiser of a session ``"<id>:<generation>"`` (``Organiser.get_id``), unless
        their sessions were ended since (the generation moved on)."""
        organiser_id, _, generation = session_id.partition(":")
        if not organiser_id.isdigit() or not generation.isdigit():
            return None
        organiser = db.session.get(Organiser, int(organiser_id))
        if organiser is None or organiser.session_generation != int(generation):
            return None
        return organiser

    login_manager.user_loader(load_organiser)  # a plain call: flask_login has no types


def register_caches(app: Flask) -> None:
    from calendar_service.app_caches import init_app

    init_app(app)


def register_guards(app: Flask) -> None:
    from calendar_service.web.guards import register_guards as register

    register(app)


def register_http_cache(app: Flask) -> None:
    from calendar_service.web.http_cache import register_http_cache as register

    register(app)


def register_headers(app: Flask) -> None:
    from calendar_service.web.headers import register_headers as register

    register(app)


def register_filters(app: Flask) -> None:
    from calendar_service.services.rule_text import rule_text
    from calendar_service.web.filters import register_filters as register

    register(app)
    app.add_template_filter(rule_text, "rule_text")


def register_blueprints(app: Flask) -> None:
    from calendar_service import feeds, organiser, public
    from calendar_service.api import bp as api_bp
    from calendar_service.extensions import csrf
    from calendar_service.web import health

    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(organiser.bp)
    csrf.exempt(api_bp)  # the API authenticates each request with a bearer token, not a cookie
    app.register_blueprint(api_bp)


def register_error_handlers(app: Flask) -> None:
    from calendar_service.web.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from calendar_service.cli import register

    register(app)


def register_proxy_fix(app: Flask) -> None:
    hops = int(app.config.get("CALENDAR_TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
