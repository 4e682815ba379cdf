"""The staff console's URLs (namespace ``console``); other apps' console pages live beside it."""

from django.urls import path

from linli.places.views.console import (
    compounds,
    exceptions,
    home,
    organisations,
    photos,
    services,
    sheets,
    stations,
)

app_name = "console"
urlpatterns = [
    path("", home.home, name="home"),
    path("stations/", stations.station_list, name="stations"),
    path("stations/new/", stations.station_create, name="station_new"),
    path("stations/delete/", stations.station_delete, name="station_bulk_delete"),
    path("stations/<id:pk>/", stations.station_edit, name="station_edit"),
    path("stations/<id:pk>/hours/", stations.station_hours, name="station_hours"),
    path("stations/<id:pk>/services/", stations.station_add_service, name="station_add_service"),
    path(
        "stations/<id:pk>/services/<id:link_pk>/remove/",
        stations.station_remove_service,
        name="station_remove_service",
    ),
    path("stations/<id:pk>/delete/", stations.station_delete, name="station_delete"),
    path("stations/<id:pk>/exceptions/", exceptions.station_exceptions, name="station_exceptions"),
    path(
        "stations/<id:pk>/exceptions/<id:exception_pk>/",
        exceptions.station_exception_edit,
        name="station_exception_edit",
    ),
    path(
        "stations/<id:pk>/exceptions/<id:exception_pk>/delete/",
        exceptions.station_exception_delete,
        name="station_exception_delete",
    ),
    path("stations/<id:pk>/photos/", photos.station_photos, name="station_photos"),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/caption/",
        photos.station_photo_caption,
        name="station_photo_caption",
    ),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/move/",
        photos.station_photo_move,
        name="station_photo_move",
    ),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/delete/",
        photos.station_photo_delete,
        name="station_photo_delete",
    ),
    path("compounds/", compounds.compound_list, name="compounds"),
    path("compounds/new/", compounds.compound_form, name="compound_new"),
    path("compounds/<id:pk>/", compounds.compound_form, name="compound_edit"),
    path("compounds/<id:pk>/delete/", compounds.compound_delete, name="compound_delete"),
    path("services/", services.service_list, name="services"),
    path("services/new/", services.service_form, name="service_new"),
    path("services/<id:pk>/", services.service_form, name="service_edit"),
    path("services/<id:pk>/stations/", services.service_link, name="service_link"),
    path(
        "services/<id:pk>/stations/<id:link_pk>/remove/",
        services.service_unlink,
        name="service_unlink",
    ),
    path("organisations/", organisations.organisation_list, name="organisations"),
    path("organisations/new/", organisations.organisation_form, name="organisation_new"),
    path(
        "organisations/export.xlsx", organisations.organisation_export, name="organisation_export"
    ),
    path("organisations/<id:pk>/", organisations.organisation_form, name="organisation_edit"),
    path(
        "organisations/<id:pk>/merge/", organisations.organisation_merge, name="organisation_merge"
    ),
    path(
        "organisations/<id:pk>/delete/",
        organisations.organisation_delete,
        name="organisation_delete",
    ),
    path("import/report.xlsx", sheets.import_report, name="import_report"),
    path("import/<str:kind>/", sheets.import_page, name="import"),
    path("template/<str:kind>.xlsx", sheets.template_download, name="template"),
    path("export/<str:kind>.xlsx", sheets.export_download, name="export"),
]
