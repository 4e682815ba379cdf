"""The staff console for the directory: stations, compounds, services, Excel import and export.

Thin views: authorise through ``linli.places.permissions`` (a record outside the user's scope is
a 404, guessed ids included), validate a form, call one function of ``linli.places.services`` (or
``imports``/``exports``), respond. Lists answer htmx requests with only the results table.
"""

# The staff gate other apps' console pages use too (linli.activities.views_console).
from linli.places.views.console._common import staff_required

__all__ = ["staff_required"]
