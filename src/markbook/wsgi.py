import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markbook.settings")
application = get_wsgi_application()
# Load every URL (the views and the API's schemas) now rather than on a worker's first
# request, which would otherwise take seconds after each start (docs/deployment.md).
_urls = get_resolver().url_patterns
