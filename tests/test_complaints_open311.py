"""Open311 GeoReport v2 as servers publish it: the spec's own GET requests sample, JSON and XML.

The sample is the one in the GeoReport v2 specification (wiki.open311.org/GeoReport_v2,
"GET Service Requests"), with only its points moved into the generated county.
"""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.importers.complaints import import_complaints
from data.schema import Complaint
from tests.test_complaints_matching import build_county

LON, LAT = 116.25, 35.03  # inside 卧龙山街道 of the generated county, outside every compound

SPEC_JSON = [
    {"service_request_id": 638344, "status": "closed", "status_notes": "Duplicate request.",
     "service_name": "Sidewalk and Curb Issues", "service_code": "006", "description": None,
     "agency_responsible": None, "service_notice": None,
     "requested_datetime": "2010-04-14T06:37:38-08:00", "updated_datetime": "2010-04-14T06:37:38-08:00",
     "expected_datetime": "2010-04-15T06:37:38-08:00", "address": "8TH AVE and JUDAH ST",
     "address_id": 545483, "zipcode": 94122, "lat": LAT, "long": LON,
     "media_url": "http://city.org/media/638344.jpg"},
    {"service_request_id": 638349, "status": "open", "status_notes": None,
     "service_name": "Sidewalk and Curb Issues", "service_code": "006", "description": None,
     "agency_responsible": None, "service_notice": None,
     "requested_datetime": "2010-04-19T06:37:38-08:00", "updated_datetime": "2010-04-19T06:37:38-08:00",
     "expected_datetime": "2010-04-19T06:37:38-08:00", "address": "8TH AVE and JUDAH ST",
     "address_id": 545483, "zipcode": 94122, "lat": LAT, "long": LON,
     "media_url": "http://city.org/media/638349.jpg"},
]

SPEC_XML = f"""<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>638344</service_request_id>
    <status>closed</status>
    <status_notes>Duplicate request.</status_notes>
    <service_name>Sidewalk and Curb Issues</service_name>
    <service_code>006</service_code>
    <description></description>
    <agency_responsible></agency_responsible>
    <service_notice></service_notice>
    <requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
    <updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
    <expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
    <address>8TH AVE and JUDAH ST</address>
    <address_id>545483</address_id>
    <zipcode>94122</zipcode>
    <lat>{LAT}</lat>
    <long>{LON}</long>
    <media_url>http://city.org/media/638344.jpg</media_url>
  </request>
  <request>
    <service_request_id>638349</service_request_id>
    <status>open</status>
    <status_notes></status_notes>
    <service_name>Sidewalk and Curb Issues</service_name>
    <service_code>006</service_code>
    <description></description>
    <agency_responsible></agency_responsible>
    <service_notice></service_notice>
    <requested_datetime>2010-04-19T06:37:38-08:00</requested_datetime>
    <updated_datetime>2010-04-19T06:37:38-08:00</updated_datetime>
    <expected_datetime>2010-04-19T06:37:38-08:00</expected_datetime>
    <address>8TH AVE and JUDAH ST</address>
    <address_id>545483</address_id>
    <zipcode>94122</zipcode>
    <lat>{LAT}</lat>
    <long>{LON}</long>
    <media_url>http://city.org/media/638349.jpg</media_url>
  </request>
</service_requests>
""".encode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_spec_sample_imports(engine, tmp_path, fmt):
    build_county(engine, points_only=False)
    path = tmp_path / f"requests.{fmt}"
    path.write_bytes(json.dumps(SPEC_JSON).encode() if fmt == "json" else SPEC_XML)
    report = import_complaints(engine, path)
    assert report.ok, report.error_lines()
    assert report.created == 2
    with Session(engine) as s:
        got = {c.order_no: c for c in s.scalars(select(Complaint))}
    closed, open_ = got["638344"], got["638349"]
    assert (closed.status, closed.status_notes) == ("已办结", "Duplicate request.")
    assert (open_.status, open_.status_notes) == ("办理中", None)
    # 06:37:38 at −08:00 is 14:37:38 UTC, 22:37:38 in Beijing
    assert closed.received_at == datetime(2010, 4, 14, 22, 37, 38)
    assert closed.closed_at == datetime(2010, 4, 14, 22, 37, 38) and open_.closed_at is None
    assert open_.received_at == datetime(2010, 4, 19, 22, 37, 38)
    assert (round(closed.lon, 6), round(closed.lat, 6)) == (LON, LAT)
    assert closed.address == "8TH AVE and JUDAH ST" and closed.category == "Sidewalk and Curb Issues"
    # an English category no table knows is reported, never silently kept
    assert any("Sidewalk and Curb Issues" in line for line in report.note_lines())


def test_xml_with_entities_is_not_expanded(engine, tmp_path):
    build_county(engine, points_only=False)
    evil = SPEC_XML.replace(b'<?xml version="1.0" encoding="utf-8"?>',
                            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    evil = evil.replace(b"<address>8TH AVE and JUDAH ST</address>", b"<address>&x;</address>", 1)
    path = tmp_path / "evil.xml"
    path.write_bytes(evil)
    report = import_complaints(engine, path)
    with Session(engine) as s:
        addresses = [a for (a,) in s.execute(select(Complaint.address))]
    assert not any("root:" in (a or "") for a in addresses)
    assert report.ok or report.error_lines()


def test_open_status_notes_keep_our_own_state(engine, tmp_path):
    """Our export writes 退回 in extended_attributes.state: an open request stays 退回, not 办理中."""
    build_county(engine, points_only=False)
    req = dict(SPEC_JSON[1], service_request_id="R1", status_notes="已退回承办单位重新办理",
               extended_attributes={"state": "退回"})
    path = tmp_path / "r.json"
    path.write_text(json.dumps([req]), encoding="utf-8")
    assert import_complaints(engine, path).ok
    with Session(engine) as s:
        c = s.scalar(select(Complaint))
    assert (c.status, c.status_notes) == ("退回", "已退回承办单位重新办理")
