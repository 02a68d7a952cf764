"""Entry point for ``celery -A app.worker worker`` and ``celery -A app.worker beat``."""

from app import create_app

celery = create_app().extensions["celery"]
