"""The staff console's URLs (namespace ``console``); other apps' console pages live beside it."""

from django.urls import path

from linli.places import views_console as views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("stations/", views.station_list, name="stations"),
    path("stations/new/", views.station_create, name="station_new"),
    path("stations/delete/", views.station_delete, name="station_bulk_delete"),
    path("stations/<id:pk>/", views.station_edit, name="station_edit"),
    path("stations/<id:pk>/hours/", views.station_hours, name="station_hours"),
    path("stations/<id:pk>/services/", views.station_add_service, name="station_add_service"),
    path(
        "stations/<id:pk>/services/<id:link_pk>/remove/",
        views.station_remove_service,
        name="station_remove_service",
    ),
    path("stations/<id:pk>/delete/", views.station_delete, name="station_delete"),
    path("stations/<id:pk>/exceptions/", views.station_exceptions, name="station_exceptions"),
    path(
        "stations/<id:pk>/exceptions/<id:exception_pk>/",
        views.station_exception_edit,
        name="station_exception_edit",
    ),
    path(
        "stations/<id:pk>/exceptions/<id:exception_pk>/delete/",
        views.station_exception_delete,
        name="station_exception_delete",
    ),
    path("stations/<id:pk>/photos/", views.station_photos, name="station_photos"),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/caption/",
        views.station_photo_caption,
        name="station_photo_caption",
    ),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/move/",
        views.station_photo_move,
        name="station_photo_move",
    ),
    path(
        "stations/<id:pk>/photos/<id:photo_pk>/delete/",
        views.station_photo_delete,
        name="station_photo_delete",
    ),
    path("compounds/", views.compound_list, name="compounds"),
    path("compounds/new/", views.compound_form, name="compound_new"),
    path("compounds/<id:pk>/", views.compound_form, name="compound_edit"),
    path("compounds/<id:pk>/delete/", views.compound_delete, name="compound_delete"),
    path("services/", views.service_list, name="services"),
    path("services/new/", views.service_form, name="service_new"),
    path("services/<id:pk>/", views.service_form, name="service_edit"),
    path("services/<id:pk>/stations/", views.service_link, name="service_link"),
    path(
        "services/<id:pk>/stations/<id:link_pk>/remove/",
        views.service_unlink,
        name="service_unlink",
    ),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_form, name="organisation_new"),
    path("organisations/export.xlsx", views.organisation_export, name="organisation_export"),
    path("organisations/<id:pk>/", views.organisation_form, name="organisation_edit"),
    path("organisations/<id:pk>/merge/", views.organisation_merge, name="organisation_merge"),
    path("organisations/<id:pk>/delete/", views.organisation_delete, name="organisation_delete"),
    path("import/report.xlsx", views.import_report, name="import_report"),
    path("import/<str:kind>/", views.import_page, name="import"),
    path("template/<str:kind>.xlsx", views.template_download, name="template"),
    path("export/<str:kind>.xlsx", views.export_download, name="export"),
]
