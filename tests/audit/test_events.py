"""Event types, their versioned schemas, and the validation of events against them."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from bulle import audit
from bulle.audit.events import EVENT_TYPES, SCHEMA_BASE, check_event, load_schema

from .conftest import DETAILS, T0, make_event

SCHEMAS = resources.files("bulle.audit").joinpath("schemas")


def schema_names() -> set[str]:
    return {entry.name for entry in SCHEMAS.iterdir() if entry.is_dir()} - {"envelope"}


def test_every_type_has_a_schema_and_every_schema_a_type() -> None:
    assert schema_names() == set(EVENT_TYPES)
    for name, version in EVENT_TYPES.items():
        assert SCHEMAS.joinpath(name, f"v{version}.yaml").is_file()


@pytest.mark.parametrize("name", sorted([*EVENT_TYPES, "envelope"]))
def test_schemas_name_themselves_and_say_what_they_record(name: str) -> None:
    schema = load_schema(name, EVENT_TYPES.get(name, 1))
    assert schema["$id"] == f"{SCHEMA_BASE}{name}"
    assert schema["version"] == EVENT_TYPES.get(name, 1)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False, "unexpected fields must be refused, not stored"
    assert "required" in schema
    assert len(schema["description"].split()) >= 15, "say what is recorded and what is not"


def test_schemas_of_contents_say_what_is_deliberately_not_recorded() -> None:
    for name in ("envelope", "auth.login", "kernel.execute", "kernel.result", "terminal.input", "admin.api"):
        assert "Not recorded" in load_schema(name, 1)["description"], name


def test_a_valid_event_has_a_canonical_body() -> None:
    event = make_event("auth.login", actor="alice", time=T0)
    assert event.body == (
        '{"actor":"alice","bubble":null,"details":{"authenticator":"LocalPasswordAuthenticator",'
        '"remote_ip":"127.0.0.1"},"key":null,"object":null,"outcome":"allow","project":null,'
        '"time":"2026-05-01T12:00:00.000000Z","type":"auth.login","version":1}'
    )
    assert audit.event_from_dict(event.as_dict()) == event


def test_unknown_type_is_refused() -> None:
    with pytest.raises(audit.EventInvalid, match=r"'auth\.hack' is not an audit event type"):
        audit.make_event("auth.hack", actor="alice", time=T0)


def test_missing_detail_is_refused_with_its_name() -> None:
    with pytest.raises(audit.EventInvalid, match="remote_ip"):
        audit.make_event("auth.login", actor="alice", time=T0, details={"authenticator": "X"})


def test_unexpected_detail_is_refused_so_nothing_unplanned_is_stored() -> None:
    details = {**DETAILS["kernel.execute"], "outputs": "patient 123: schizophrenia"}
    with pytest.raises(audit.EventInvalid, match="must not contain"):
        make_event("kernel.execute", details=details)


def test_control_characters_in_searchable_fields_are_refused() -> None:
    with pytest.raises(audit.EventInvalid, match="actor"):
        make_event("auth.login", actor="alice\x1fbob")
    make_event("auth.login", actor="alice bob")  # the allowed neighbour


def test_bubble_is_user_slash_server() -> None:
    with pytest.raises(audit.EventInvalid, match="bubble"):
        make_event("terminal.input", bubble="psy-cohort-notebook")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event("auth.login", time=dt.datetime(2026, 5, 1, 12, 0))  # noqa: DTZ001


def test_a_record_of_an_older_schema_version_is_refused() -> None:
    data = make_event("auth.login").as_dict()
    with pytest.raises(audit.EventInvalid, match="schema version 1"):
        check_event({**data, "version": 2})
