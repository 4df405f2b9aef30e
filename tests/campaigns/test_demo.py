"""`flask demo` gives a newcomer a living app, and running it twice changes nothing."""
from __future__ import annotations


def test_demo_loads_fictional_data_once(app, runner, client, auth):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "6 new contacts" in first.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "0 new contacts" in again.output

    auth.login("viewer")
    contacts = client.get("/contacts/").get_data(as_text=True)
    assert "Anna Lindqvist" in contacts and "@example.org" in contacts
    assert "Erlan Demo-Example" in client.get("/cases/").get_data(as_text=True)
    assert "Urgent appeal (demo)" in client.get("/templates/").get_data(as_text=True)
