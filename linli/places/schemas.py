"""Shapes of the staff API (``/api/places/``): what clients send and what the OpenAPI document says.

The list endpoints build their rows with ``.values()`` and serialise them with ``json``
directly (``linli.places.api.json_response``), so these schemas are validated only on input and
on the detail endpoints; on lists they document the response.
``test_api_stations.test_a_list_response_matches_its_documented_schema`` keeps the two honest.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from linli.core import limits
from linli.core.limits import BodySchema


class ErrorOut(Schema):
    """Every error of the API: a stable machine code and a message for people."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Not found."])


class Ref(Schema):
    """A related record named by id and name."""

    id: int
    name: str


class CodeName(Schema):
    """A reference-list item: its stable code and its name in the request's language."""

    code: str
    name: str


class Place(Schema):
    """A node of the hierarchy (subdistrict, community, compound)."""

    id: int
    code: str
    name: str


class StationRow(Schema):
    """A station in a list (no personal data: the keeper's contact is on the detail only)."""

    id: int
    code: str
    name: str
    kind: str = Field(description="Facility category code, e.g. happiness_station.")
    kind_name: str
    subdistrict_id: int
    subdistrict_name: str
    community_id: int | None
    community_name: str | None
    address: str
    lon: float
    lat: float
    phone: str = Field(description="The station's public phone.")
    is_active: bool
    updated_at: dt.datetime


class Page(Schema):
    """Envelope of every staff list: the total count over all pages and one page of items."""

    total: int = Field(description="Rows matching the filters, over all pages.")
    page: int
    page_size: int


class StationPage(Page):
    items: list[StationRow]


class HoursOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday.")
    opens: str = Field(examples=["08:30"])
    closes: str = Field(examples=["18:00"], description="00:00 means midnight.")


class ExceptionOut(Schema):
    date: dt.date
    closed: bool
    opens: str | None
    closes: str | None
    note: str


class ServiceAtStationOut(Schema):
    id: int = Field(description="The service's id.")
    name: str
    category: CodeName
    organisation: Ref | None
    fee: str
    booking_required: bool
    is_active: bool
    rrule: str = Field(
        description="iCalendar RRULE, e.g. FREQ=MONTHLY;BYDAY=1FR; empty = "
        "whenever the station is open."
    )
    opens: str | None
    closes: str | None
    schedule_note: str


class StationDetail(Schema):
    """One station with its hours, functions, amenities and services.

    ``contact_name`` / ``contact_phone`` (the keeper's) are masked (王**, 138****5678) unless the
    user may change the station; ``contact_masked`` says which.
    """

    id: int
    code: str
    name: str
    kind: str
    kind_name: str
    district_id: int
    subdistrict: Place
    community: Place | None
    compound: Place | None
    description: str
    address: str
    lon: float
    lat: float
    phone: str
    contact_name: str
    contact_phone: str
    contact_masked: bool
    holiday_policy: str
    is_active: bool
    updated_at: dt.datetime
    can_change: bool
    can_delete: bool
    hours: list[HoursOut]
    exceptions: list[ExceptionOut] = Field(description="Exceptions from today on.")
    functions: list[CodeName]
    amenities: list[CodeName]
    services: list[ServiceAtStationOut]


class HoursIn(BodySchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    opens: limits.LocalTime
    closes: limits.LocalTime = Field(description="00:00 means midnight.")


class HoursPut(BodySchema):
    """The whole weekly timetable of a station (replaces the old one)."""

    hours: list[HoursIn] = Field(max_length=100)
    holiday_policy: Literal["closed", "open"] | None = None


class StationIn(BodySchema):
    """A station as staff send it to create or replace one (PUT replaces every field).

    Places are named by codes, as in the Excel sheets, so that a sheet, a form and this API share
    one path (``linli.places.services.StationInput``).
    """

    code: limits.CodeStr = Field(min_length=1)
    name: limits.NameStr = Field(min_length=1)
    kind: limits.CodeStr = Field(
        description="Facility category code.", examples=["happiness_station"]
    )
    community: limits.ShortCodeStr = Field(
        "", description="Community code; empty for a subdistrict-level place."
    )
    subdistrict: limits.ShortCodeStr = Field(
        "", description="Subdistrict code (needed without a community)."
    )
    compound: limits.ShortCodeStr = Field("", description="Compound code.")
    description: limits.DescriptionText = ""
    address: limits.AddressStr = ""
    lon: float = Field(ge=-180, le=180, description="WGS-84 longitude.")
    lat: float = Field(ge=-90, le=90, description="WGS-84 latitude.")
    phone: limits.PhoneStr = Field("", description="Public phone.")
    contact_name: limits.PersonNameStr = Field("", description="Keeper's name.")
    contact_phone: limits.PhoneStr = Field("", description="Keeper's mobile.")
    holiday_policy: Literal["closed", "open"] = "open"
    is_active: bool = True
    functions: list[limits.CodeStr] = Field(
        default_factory=list, max_length=50, description="Station function codes."
    )
    amenities: list[limits.CodeStr] = Field(
        default_factory=list, max_length=50, description="Amenity codes."
    )


class CompoundRow(Schema):
    id: int
    code: str
    name: str
    community_id: int
    community_name: str
    households: int
    population: int
    address: str


class CompoundPage(Page):
    items: list[CompoundRow]


class GateOut(Schema):
    id: int
    name: str
    lon: float
    lat: float


class CompoundDetail(CompoundRow):
    grid_id: int | None
    outline: dict[str, object] | None
    gates: list[GateOut]
    station_ids: list[int] = Field(description="Stations in the compound that the user may see.")


class ServiceRow(Schema):
    id: int
    name: str
    category: str
    category_name: str
    organisation_id: int | None
    organisation_name: str | None
    fee: str
    booking_required: bool
    is_active: bool


class ServicePage(Page):
    items: list[ServiceRow]


class OrganisationRow(Schema):
    id: int
    name: str
    kind: str
    phone: str = Field(description="The organisation's public phone.")
    website: str


class OrganisationPage(Page):
    items: list[OrganisationRow]


class CommunityNode(Schema):
    id: int
    code: str
    name: str


class SubdistrictNode(Schema):
    id: int
    code: str
    name: str
    communities: list[CommunityNode]


class ScopeTree(Schema):
    """The part of the hierarchy the user may see: subdistricts → communities."""

    level: str = Field(description="all, district, subdistrict, community or station.")
    subdistricts: list[SubdistrictNode]
