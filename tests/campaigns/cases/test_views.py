"""Case pages: create, list and filter, read, edit; timeline events, the case-update offer, photos."""
from __future__ import annotations

import io

from PIL import Image

from tests.conftest import csrf_token


def create_case(client, **fields):
    data = {"name": "Ivan Petrov", "status": "detained", "charges": "art. 405 of the Criminal Code",
            "arrest_date": "2024-11-02", "place_of_detention": "SIZO-1", "summary": "A journalist.", **fields}
    data["csrf_token"] = csrf_token(client, "/cases/new")
    return client.post("/cases/new", data=data)


def test_a_campaigner_creates_reads_and_edits_a_case(client, auth):
    auth.login("campaigner")
    response = create_case(client, public="1")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ivan Petrov" in page and "art. 405 of the Criminal Code" in page and "SIZO-1" in page
    edit_url = response.headers["Location"] + "/edit"
    token = csrf_token(client, edit_url)
    response = client.post(edit_url, data={"csrf_token": token, "name": "Ivan Petrov", "status": "on_trial",
                                           "alias": "I.P.", "summary": "Now on trial."})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "On trial" in page and "Now on trial." in page


def test_bad_fields_are_reported_and_nothing_is_saved(client, auth):
    auth.login("campaigner")
    response = create_case(client, name="", arrest_date="02.11.2024")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is required" in page
    assert "No cases match." in client.get("/cases/").get_data(as_text=True)


def test_the_list_filters_by_status(client, auth):
    auth.login("campaigner")
    create_case(client, name="Detained Person")
    create_case(client, name="Released Person", status="released")
    page = client.get("/cases/?status=released").get_data(as_text=True)
    assert "Released Person" in page and "Detained Person" not in page
    page = client.get("/cases/?q=detained").get_data(as_text=True)
    assert "Detained Person" in page and "Released Person" not in page


def test_confidential_cases_say_so_and_each_view_is_audited(client, auth, app):
    from core.audit import search

    auth.login("campaigner")
    location = create_case(client, alias="Prisoner A").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "confidential: not for public pages" in page and "Prisoner A (Ivan Petrov)" in page
    with app.app_context():
        events, _ = search(action="case.view_confidential")
        assert [(e.target, e.actor_email) for e in events] == [
            (f"case:{location.rsplit('/', 1)[1]}", "campaigner@example.org")]
    # The list names a confidential case without its details: reading them is an audited opening.
    listing = client.get("/cases/").get_data(as_text=True)
    assert "Prisoner A" in listing and "open the case to read it" in listing
    assert "art. 405" not in listing and "SIZO-1" not in listing


def test_viewers_read_but_cannot_create(client, auth, app):
    auth.login("viewer")
    assert client.get("/cases/").status_code == 200
    token = csrf_token(client, "/cases/")  # the sign-out form carries one
    response = client.post("/cases/new", data={"csrf_token": token, "name": "X"})
    assert response.status_code == 403


def test_a_transfer_on_the_timeline_offers_a_case_update(client, auth):
    auth.login("campaigner")
    location = create_case(client).headers["Location"]
    token = csrf_token(client, location)
    response = client.post(location + "/events", data={"csrf_token": token, "happened_on": "2025-01-10",
                                                        "kind": "hearing", "description": "First hearing",
                                                        "source_url": "https://example.org/hearing"})
    page = client.get(location).get_data(as_text=True)
    assert "First hearing" in page and 'href="https://example.org/hearing"' in page
    assert "Send a case update" not in page
    client.post(location + "/events", data={"csrf_token": token, "happened_on": "2025-02-01", "kind": "transfer",
                                            "description": "Moved to colony no. 2"})
    page = client.get(location).get_data(as_text=True)
    assert "Send a case update" in page and "transfer" in page
    assert "No contact has been sent a message about this case yet." in page
    response = client.post(location + "/events", data={"csrf_token": token, "happened_on": "2025-02-01",
                                                        "kind": "transfer", "description": "x",
                                                        "source_url": "javascript:alert(1)"}, follow_redirects=True)
    assert "source url must be a link starting with https://" in response.get_data(as_text=True)


def test_uploaded_photos_lose_their_exif_and_gps(client, auth):
    auth.login("campaigner")
    location = create_case(client).headers["Location"]
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 30.0)}
    raw = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(raw, "JPEG", exif=exif.tobytes())
    assert b"SecretCameraMaker" in raw.getvalue()
    token = csrf_token(client, location)
    response = client.post(location + "/photos", data={"csrf_token": token, "caption": "At home",
                                                        "photo": (io.BytesIO(raw.getvalue()), "p.jpg")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "its metadata (EXIF, GPS) was removed" in response.get_data(as_text=True)
    page = client.get(location).get_data(as_text=True)
    src = page.split('<figure class="photo"><img src="')[1].split('"')[0]
    stored = client.get(src)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert b"SecretCameraMaker" not in stored.data
    assert dict(Image.open(io.BytesIO(stored.data)).getexif()) == {}
    response = client.post(location + "/photos", data={"csrf_token": token,
                                                        "photo": (io.BytesIO(b"not an image"), "p.jpg")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "not an image we can read" in response.get_data(as_text=True)
