"""The notifier's FastAPI application; its lifespan runs the consumer and the worker pool."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import running, service_app
from services.common.dead_letter_routes import dead_letter_router
from services.common.ratelimit import RateLimit
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.config import NotifierSettings
from services.notifier.entrypoints.deps import SUBSCRIPTIONS_LIMIT, dead_letter_store
from services.notifier.entrypoints.routers import deliveries, ops, subscriptions
from services.notifier.errors import NotifierError


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()

    def wire(app: FastAPI) -> Notifier:
        app.state.notifier = notifier = bootstrap(settings)
        return notifier

    app = service_app(
        "notifier",
        "Tells organisations, by webhook or e-mail, about events that affect them.",
        running(wire),
        NotifierError,
        settings,
        settings.max_body_bytes,
        limits=[
            RateLimit(
                SUBSCRIPTIONS_LIMIT, settings.subscription_rate_per_s, settings.subscription_burst
            )
        ],
        metrics_endpoint=False,
    )
    app.include_router(subscriptions.router)
    app.include_router(deliveries.router)
    app.include_router(dead_letter_router(dead_letter_store))
    app.include_router(ops.router)

    return app
