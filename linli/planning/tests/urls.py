"""Test URLs: the project's, plus the planning router on its own API until linli/api.py mounts it.

django-ninja 1.7 binds a router per mount, so mounting it here as well is harmless; the copied
exception handlers give the same JSON errors as ``linli.api``.
"""

from django.urls import path
from ninja import NinjaAPI

from linli.api import api as main_api
from linli.planning.api import router
from linli.urls import urlpatterns as project_urlpatterns

test_api = NinjaAPI(urls_namespace="planning_test_api", title="planning test API")
for exc_class, handler in main_api._exception_handlers.items():
    test_api.add_exception_handler(exc_class, handler)
test_api.add_router("/planning/", router)

API_PREFIX = "/test-api/planning"
urlpatterns = [path("test-api/", test_api.urls), *project_urlpatterns]
