"""ASGI entry point for uvicorn and other servers."""

from core.jobs import configure_celery
from core.settings import get_settings
from regie.app import create_app

configure_celery(get_settings())
app = create_app()
