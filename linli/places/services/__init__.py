"""Every write to places: one named function per use case.

Each function owns its transaction, re-checks permission through ``linli.places.permissions``
(defence in depth: the console views, the JSON API in ``linli.places.api`` and the Excel importer
in ``linli.places.imports`` all call these, and none of them may be the only guard), records one
audit entry and raises a ``linli.core.exceptions`` error with a stable code on refusal.

Inputs are keyed by codes (category code, community code, function and amenity codes), not by
database ids, so that a sheet, a form and an API payload share one path.

Deleting a station is *soft* by default: ``is_active`` becomes False, the station leaves the
resident directory and the API's public lists, and its services, hours and history stay for the
audit trail and for activities that will refer to it. ``hard=True`` removes a record entered by
mistake together with its hours, exceptions, photos and service links; the audit entry keeps a
(masked) snapshot of what was removed.
"""

from linli.places.services._scope import (
    resolve_district,
)
from linli.places.services.compounds import (
    COMPOUND_FIELDS,
    CompoundInput,
    GateInput,
    create_compound,
    delete_compound,
    update_compound,
)
from linli.places.services.hours import (
    EXCEPTION_HISTORY_DAYS,
    EXCEPTION_MAX_AHEAD_DAYS,
    EXCEPTION_MAX_DAYS,
    ExceptionInput,
    ExceptionPeriod,
    HoursInput,
    add_opening_exception,
    check_exception,
    delete_opening_exception,
    exception_periods,
    set_opening_hours,
    update_opening_exception,
)
from linli.places.services.organisations import (
    ORGANISATION_FIELDS,
    OrganisationInput,
    create_organisation,
    delete_organisation,
    merge_organisations,
    update_organisation,
)
from linli.places.services.photos import (
    PHOTO_FORMATS,
    PHOTO_MAX_BYTES,
    PHOTO_MAX_COUNT,
    PHOTO_MAX_PIXELS,
    add_station_photo,
    check_photo,
    delete_station_photo,
    move_station_photo,
    update_station_photo,
)
from linli.places.services.service_items import (
    SERVICE_FIELDS,
    ScheduleInput,
    ServiceInput,
    add_service_at_station,
    can_change_service,
    check_schedule,
    create_service,
    remove_service_at_station,
    update_service,
)
from linli.places.services.stations import (
    STATION_FIELDS,
    StationInput,
    create_station,
    delete_station,
    update_station,
)
from linli.places.services.validators import (
    CREDIT_CODE_CHARS,
    CREDIT_CODE_WEIGHTS,
    clean_credit_code,
    clean_organisation_email,
    clean_organisation_phone,
    clean_organisation_website,
    credit_code_check_char,
)

__all__ = [
    "COMPOUND_FIELDS",
    "CREDIT_CODE_CHARS",
    "CREDIT_CODE_WEIGHTS",
    "EXCEPTION_HISTORY_DAYS",
    "EXCEPTION_MAX_AHEAD_DAYS",
    "EXCEPTION_MAX_DAYS",
    "ORGANISATION_FIELDS",
    "PHOTO_FORMATS",
    "PHOTO_MAX_BYTES",
    "PHOTO_MAX_COUNT",
    "PHOTO_MAX_PIXELS",
    "SERVICE_FIELDS",
    "STATION_FIELDS",
    "CompoundInput",
    "ExceptionInput",
    "ExceptionPeriod",
    "GateInput",
    "HoursInput",
    "OrganisationInput",
    "ScheduleInput",
    "ServiceInput",
    "StationInput",
    "add_opening_exception",
    "add_service_at_station",
    "add_station_photo",
    "can_change_service",
    "check_exception",
    "check_photo",
    "check_schedule",
    "clean_credit_code",
    "clean_organisation_email",
    "clean_organisation_phone",
    "clean_organisation_website",
    "create_compound",
    "create_organisation",
    "create_service",
    "create_station",
    "credit_code_check_char",
    "delete_compound",
    "delete_opening_exception",
    "delete_organisation",
    "delete_station",
    "delete_station_photo",
    "exception_periods",
    "merge_organisations",
    "move_station_photo",
    "remove_service_at_station",
    "resolve_district",
    "set_opening_hours",
    "update_compound",
    "update_opening_exception",
    "update_organisation",
    "update_service",
    "update_station",
    "update_station_photo",
]
