"""服务组织 pages: who may see and change them, the checks on what is typed, merge and delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from linli.core.models import AuditEntry
from linli.places import queries
from linli.places.models import Organisation, Service, ServiceCategory
from linli.places.services import (
    CREDIT_CODE_CHARS,
    clean_credit_code,
    clean_organisation_phone,
    credit_code_check_char,
)

pytestmark = pytest.mark.django_db

# Codes built from GB 32100-2015 with the check character computed by hand from the weights
# 3^(i-1) mod 31, and three codes of real companies whose check character is published.
SOCIAL_GROUP = "51140404MJY12345" + "7"  # 民政 (5) 社会团体 (1), 140404, subject code
PUBLISHED = ["91350200776049653A", "913502115628130384", "91350213678251743X"]


@pytest.fixture(autouse=True)
def _english(client: Client) -> Any:
    """Pages in English, so the assertions read as the msgids; one test checks the Chinese."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def org(hierarchy: Any) -> Organisation:
    return Organisation.objects.get(name="仁爱社工服务中心")


def _data(**over: Any) -> dict[str, Any]:
    data = {
        "name": "市红十字会",
        "kind": Organisation.Kind.PARTNER,
        "credit_code": "",
        "phone": "",
        "email": "",
        "website": "",
        "description": "",
    }
    data.update(over)
    return data


def _service(org: Organisation, name: str) -> Service:
    return Service.objects.create(
        district=org.district,
        organisation=org,
        category=ServiceCategory.objects.get(code="haircut"),
        name=name,
    )


def _writes() -> int:
    return AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).count()


# ------------------------------------------------------------------------------ credit code


def test_the_check_character_matches_published_codes() -> None:
    for code in PUBLISHED:
        assert credit_code_check_char(code[:17]) == code[17]
        assert clean_credit_code(code) == code


def test_a_constructed_code_is_accepted_in_any_width_and_case() -> None:
    body = SOCIAL_GROUP[:17]
    code = body + credit_code_check_char(body)
    # Σ valueᵢ × weightᵢ for 51140404MJY123457, worked out by hand: 5·1+1·3+1·9+4·27+0·19+4·26
    # +0·16+4·17+21·20+18·29+30·25+1·13+2·8+3·24+4·10+5·30+7·28 = 2476; 2476 mod 31 = 27;
    # 31 − 27 = 4 → "4".
    assert code == "51140404MJY123457" + "4"
    assert clean_credit_code(code) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    assert clean_credit_code(f" {full_width} ") == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91350200776049653", "18 characters"),
        ("91350200776049653AX", "18 characters"),
        ("91350200776O49653A", "other than"),  # the letter O is not in the set
        ("9135A200776049653A", "positions 3 to 8"),
        ("91350200776049653B", "should be A"),
    ],
)
def test_a_bad_credit_code_is_refused_with_the_reason(code: str, why: str) -> None:
    from linli.core.exceptions import LinliError

    with pytest.raises(LinliError) as err:
        clean_credit_code(code)
    assert why in str(err.value.message)


def test_every_single_character_typo_is_caught() -> None:
    code = PUBLISHED[0]
    for position in range(17):
        for ch in CREDIT_CODE_CHARS:
            if ch == code[position] or (2 <= position <= 7 and not ch.isdigit()):
                continue
            typo = code[:position] + ch + code[position + 1 :]
            assert credit_code_check_char(typo[:17]) != typo[17], typo


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13912345678", "13912345678"),
        ("0351-1234567", "0351-1234567"),
        ("０３５１－１２３４５６７", "0351-1234567"),
        ("(0351) 1234567-8001", "03511234567-8001"),
        ("400-123-4567", "400-123-4567"),
        ("+86 139 1234 5678、2021234", "13912345678、2021234"),
    ],
)
def test_phone_numbers_are_accepted_as_staff_write_them(raw: str, clean: str) -> None:
    assert clean_organisation_phone(raw) == clean


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize("name", ["console:organisations", "console:organisation_new"])
def test_anonymous_is_sent_to_login(client: Client, hierarchy: Any, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_resident_is_sent_to_login(as_user: Any, resident: Any, org: Organisation) -> None:
    client = as_user(resident)
    for url in [
        reverse("console:organisations"),
        reverse("console:organisation_edit", args=[org.pk]),
        reverse("console:organisation_merge", args=[org.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("console:organisation_edit", args=[org.pk]), _data())
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "仁爱社工服务中心"


def test_other_district_admin_gets_404_and_changes_nothing(
    as_user: Any, other_district_admin: Any, org: Organisation
) -> None:
    client = as_user(other_district_admin)
    for name in ["console:organisation_edit", "console:organisation_merge"]:
        assert client.get(reverse(name, args=[org.pk])).status_code == 404, name
    assert client.post(reverse("console:organisation_delete", args=[org.pk])).status_code == 404
    assert (
        client.post(reverse("console:organisation_edit", args=[org.pk]), _data()).status_code == 404
    )
    response = client.get(reverse("console:organisations"))
    assert response.status_code == 200
    assert "仁爱社工服务中心" not in response.content.decode()
    org.refresh_from_db()
    assert org.name == "仁爱社工服务中心"
    assert _writes() == 0


def test_merge_into_another_districts_organisation_is_refused(
    as_user: Any, district_admin: Any, other_district_admin: Any, org: Organisation
) -> None:
    foreign = Organisation.objects.create(
        district=other_district_admin.district, name="外区组织", kind="social"
    )
    response = as_user(district_admin).post(
        reverse("console:organisation_merge", args=[org.pk]), {"target": foreign.pk}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert Service.objects.get(name="义务理发").organisation_id == org.pk


@pytest.mark.parametrize("pk", ["999999", "0"])
def test_guessed_ids_are_404(as_user: Any, district_admin: Any, hierarchy: Any, pk: str) -> None:
    client = as_user(district_admin)
    assert client.get(f"/console/organisations/{pk}/").status_code == 404
    assert client.get(f"/console/organisations/{pk}/merge/").status_code == 404


@pytest.mark.parametrize("persona", ["community_staff", "station_keeper"])
def test_community_staff_and_keepers_read_but_do_not_change(
    request: Any, as_user: Any, org: Organisation, persona: str
) -> None:
    client = as_user(request.getfixturevalue(persona))
    response = client.get(reverse("console:organisations"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "仁爱社工服务中心" in body
    assert reverse("console:organisation_new") not in body
    response = client.get(reverse("console:organisation_edit", args=[org.pk]))
    assert response.status_code == 200
    assert "disabled" in response.content.decode()
    assert client.get(reverse("console:organisation_new")).status_code == 403
    assert (
        client.post(
            reverse("console:organisation_edit", args=[org.pk]), _data(name="改名")
        ).status_code
        == 403
    )
    assert client.post(reverse("console:organisation_new"), _data()).status_code == 403
    assert client.get(reverse("console:organisation_merge", args=[org.pk])).status_code == 403
    assert client.post(reverse("console:organisation_delete", args=[org.pk])).status_code == 403
    org.refresh_from_db()
    assert org.name == "仁爱社工服务中心"
    assert Organisation.objects.count() == 1
    assert _writes() == 0


# ------------------------------------------------------------------------------ list


def test_list_searches_filters_and_counts_services(
    as_user: Any, district_admin: Any, org: Organisation
) -> None:
    red = Organisation.objects.create(district=org.district, name="市红十字会", kind="partner")
    _service(red, "急救培训")
    _service(red, "应急救护")
    client = as_user(district_admin)
    body = client.get(reverse("console:organisations"), {"kind": "partner"}).content.decode()
    assert "市红十字会" in body
    assert "仁爱社工服务中心" not in body
    body = client.get(reverse("console:organisations"), {"q": "红十字"}).content.decode()
    assert "市红十字会" in body
    assert "仁爱社工服务中心" not in body
    response = client.get(
        reverse("console:organisations"),
        {"q": "仁爱"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    body = response.content.decode()
    assert "<html" not in body
    assert '<td class="num">1</td>' in body


def test_list_pages_by_twenty(as_user: Any, district_admin: Any, org: Organisation) -> None:
    Organisation.objects.bulk_create(
        Organisation(district=org.district, name=f"组织{i:02d}", kind="social") for i in range(25)
    )
    client = as_user(district_admin)
    first = client.get(reverse("console:organisations")).content.decode()
    second = client.get(reverse("console:organisations"), {"page": 2}).content.decode()
    assert "组织00" in first
    assert "组织24" not in first
    assert "组织24" in second


# ------------------------------------------------------------------------------ create and edit


def test_subdistrict_staff_creates_an_organisation(as_user: Any, subdistrict_staff: Any) -> None:
    code = SOCIAL_GROUP + credit_code_check_char(SOCIAL_GROUP)
    response = as_user(subdistrict_staff).post(
        reverse("console:organisation_new"),
        _data(
            credit_code=code.lower(),
            phone="0351-1234567",
            email="office@hongshizi.org.cn",
            website="www.hongshizi.org.cn",
        ),
    )
    assert response.status_code == 302
    created = Organisation.objects.get(name="市红十字会")
    assert response["Location"] == reverse("console:organisation_edit", args=[created.pk])
    assert created.credit_code == code
    assert created.website == "https://www.hongshizi.org.cn"
    assert created.district_id == subdistrict_staff.district_id
    entry = AuditEntry.objects.get(object_type="places.organisation", object_id=str(created.pk))
    assert entry.changes["name"] == [None, "市红十字会"]
    assert entry.changes["phone"][1] != "0351-1234567"  # personal fields are masked


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91350200776049653B", "check character should be A"),
        ("credit_code", "1234", "18 characters"),
        ("phone", "12345", "is not a phone number"),
        ("email", "office@", "e-mail address"),
        ("website", "not a site", "web address"),
        ("name", "  ", "required"),
    ],
)
def test_bad_fields_are_refused_next_to_the_field(
    as_user: Any, district_admin: Any, hierarchy: Any, field: str, value: str, message: str
) -> None:
    response = as_user(district_admin).post(
        reverse("console:organisation_new"), _data(**{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organisation.objects.filter(name="市红十字会").exists()
    assert _writes() == 0


def test_a_duplicate_name_names_the_existing_organisation(
    as_user: Any, district_admin: Any, org: Organisation
) -> None:
    response = as_user(district_admin).post(
        reverse("console:organisation_new"), _data(name="仁爱社工服务中心 ")
    )
    assert response.status_code == 200
    assert "already has an organisation named “仁爱社工服务中心”" in response.content.decode()
    assert Organisation.objects.count() == 1


def test_a_full_width_variant_of_a_name_is_a_duplicate(
    as_user: Any, district_admin: Any, org: Organisation
) -> None:
    Organisation.objects.create(district=org.district, name="ABC 志愿者协会", kind="social")
    response = as_user(district_admin).post(
        reverse("console:organisation_new"), _data(name="ａｂｃ志愿者协会")
    )
    assert "already has an organisation named “ABC 志愿者协会”" in response.content.decode()


def test_the_same_name_in_another_district_is_fine(
    as_user: Any, other_district_admin: Any, org: Organisation
) -> None:
    response = as_user(other_district_admin).post(
        reverse("console:organisation_new"), _data(name=org.name)
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(name=org.name).count() == 2


def test_renaming_reaches_the_station_page(
    as_user: Any, district_admin: Any, client: Client, org: Organisation, hierarchy: Any
) -> None:
    station = hierarchy.station_heping  # offers 义务理发 by this organisation
    page = reverse("resident:station", args=[station.pk])
    assert "仁爱社工服务中心" in client.get(page).content.decode()
    response = as_user(district_admin).post(
        reverse("console:organisation_edit", args=[org.pk]),
        _data(name="仁爱社会工作服务中心", kind="social"),
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="places.organisation", object_id=str(org.pk))
    assert entry.changes["name"] == ["仁爱社工服务中心", "仁爱社会工作服务中心"]
    queries.clear_caches()  # as another worker process would see it
    body = Client().get(page).content.decode()
    assert "仁爱社会工作服务中心" in body


# ------------------------------------------------------------------------------ delete and merge


def test_a_provider_cannot_be_deleted_and_the_page_offers_the_merge(
    as_user: Any, district_admin: Any, org: Organisation
) -> None:
    client = as_user(district_admin)
    response = client.get(reverse("console:organisation_delete", args=[org.pk]))
    body = response.content.decode()
    assert "provides 1 service" in body
    assert reverse("console:organisation_merge", args=[org.pk]) in body
    response = client.post(reverse("console:organisation_delete", args=[org.pk]))
    assert response.status_code == 409
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert _writes() == 0


def test_an_unused_organisation_is_deleted_and_audited(
    as_user: Any, district_admin: Any, org: Organisation
) -> None:
    spare = Organisation.objects.create(
        district=org.district, name="多余组织", kind="social", phone="13912345678"
    )
    response = as_user(district_admin).post(reverse("console:organisation_delete", args=[spare.pk]))
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=spare.pk).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert entry.object_repr == "多余组织"
    assert entry.changes["phone"][0] == "139****5678"


def test_merge_moves_every_service_and_deletes_the_misspelt_one(
    as_user: Any, subdistrict_staff: Any, client: Client, hierarchy: Any
) -> None:
    district = hierarchy.district
    wrong = Organisation.objects.create(
        district=district, name="红十字会", kind="partner", phone="0351-7654321"
    )
    right = Organisation.objects.create(district=district, name="市红十字会", kind="partner")
    first_aid = _service(wrong, "急救培训")
    blood = _service(wrong, "献血咨询")
    first_aid.at_stations.create(district=district, station=hierarchy.station_xiyuan)
    page = reverse("resident:station", args=[hierarchy.station_xiyuan.pk])
    assert "红十字会" in client.get(page).content.decode()

    staff = as_user(subdistrict_staff)
    form = staff.get(reverse("console:organisation_merge", args=[wrong.pk])).content.decode()
    assert "急救培训" in form
    assert "献血咨询" in form
    response = staff.post(
        reverse("console:organisation_merge", args=[wrong.pk]), {"target": right.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:organisation_edit", args=[right.pk])
    assert not Organisation.objects.filter(pk=wrong.pk).exists()
    assert set(right.services.values_list("name", flat=True)) == {"急救培训", "献血咨询"}
    right.refresh_from_db()
    assert right.phone == "0351-7654321"  # what the kept one lacked is carried over
    kept = AuditEntry.objects.get(
        object_type="places.organisation", action=AuditEntry.Action.UPDATE, object_id=str(right.pk)
    )
    assert kept.changes["merged_from"] == [None, "红十字会"]
    removed = AuditEntry.objects.get(object_type="places.organisation", action="delete")
    assert removed.changes["merged_into"] == [None, "市红十字会"]
    for service in (first_aid, blood):
        entry = AuditEntry.objects.get(object_type="places.service", object_id=str(service.pk))
        assert entry.changes == {"organisation": ["红十字会", "市红十字会"]}
    queries.clear_caches()
    body = Client().get(page).content.decode()
    assert "市红十字会" in body


def test_merge_into_itself_is_refused(as_user: Any, district_admin: Any, org: Organisation) -> None:
    response = as_user(district_admin).post(
        reverse("console:organisation_merge", args=[org.pk]), {"target": org.pk}
    )
    assert response.status_code == 200
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert _writes() == 0


def test_the_nav_shows_organisations_to_all_staff(
    as_user: Any, station_keeper: Any, hierarchy: Any
) -> None:
    body = as_user(station_keeper).get(reverse("console:home")).content.decode()
    assert reverse("console:organisations") in body


def test_the_refusal_reads_in_chinese_by_default(district_admin: Any, org: Organisation) -> None:
    from tests.personas import login

    chinese = login(Client(), district_admin)
    response = chinese.post(
        reverse("console:organisation_new"), _data(credit_code="91350200776049653B")
    )
    body = response.content.decode()
    assert "信用代码最后一位校验码不符（按前 17 位计算应为 A）" in body


def test_too_many_numbers_are_refused_before_the_database_would() -> None:
    from linli.core.exceptions import LinliError

    with pytest.raises(LinliError):
        clean_organisation_phone("13912345678、13912345679、13912345670")


def test_every_bad_field_is_shown_at_once(
    as_user: Any, district_admin: Any, hierarchy: Any
) -> None:
    response = as_user(district_admin).post(
        reverse("console:organisation_new"),
        _data(credit_code="1234", phone="12345", email="x@", website="not a site"),
    )
    assert response.content.decode().count('class="field-error"') == 4


def test_the_export_holds_the_filtered_organisations_and_is_audited(
    as_user: Any, community_staff: Any, other_district_admin: Any, org: Organisation
) -> None:
    import io

    from openpyxl import load_workbook

    code = PUBLISHED[1]
    Organisation.objects.create(
        district=org.district, name="市红十字会", kind="partner", credit_code=code
    )
    Organisation.objects.create(
        district=other_district_admin.district, name="外区红十字会", kind="partner"
    )
    response = as_user(community_staff).get(reverse("console:organisation_export"), {"q": "红十字"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("名称", "类型", "统一社会信用代码")
    assert rows[1:] == [("市红十字会", "合作伙伴", code, None, None, None, 0, None)]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.changes == {"rows": 1}
