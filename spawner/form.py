"""The spawn form: a list of the user's open projects and their profiles.

Each choice is its own submit button whose ``formaction`` posts to that
bubble's named server, so the form never has to guess which server a choice
belongs to; the server then checks that the posted choice is its own.
Rendering and parsing are pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bulle.policies import Profile, Project, server_name
from bulle.policies.units import format_duration, format_memory

FIELD = "bubble"


class FormRejected(ValueError):
    """The submitted form is not one this hub could have produced."""


def render_options_form(choices: Sequence[tuple[Project, Sequence[Profile]]], spawn_url_of: Mapping[str, str]) -> str:
    """HTML for the chooser. ``spawn_url_of`` maps server names to their spawn URLs."""
    if not choices:
        return (
            '<div class="bulle-chooser alert alert-info" role="status">'
            "You are not a member of any open project, so there is no bubble you can start. "
            "Ask your project lead or an administrator.</div>"
        )
    sections = []
    for project, profiles in choices:
        buttons = []
        for profile in profiles:
            name = server_name(project.id, profile.name)
            value = f"{project.id}/{profile.name}"
            details = (
                f"{profile.cpu:g} CPU · {format_memory(profile.memory)}"
                + (f" · {profile.gpu} GPU" if profile.gpu else "")
                + f" · stops after {format_duration(profile.max_lifetime)}"
            )
            buttons.append(
                f'<button type="submit" class="btn btn-primary bulle-choice" name="{FIELD}" '
                f'value="{escape(value)}" formaction="{escape(spawn_url_of[name])}" '
                f'data-project="{escape(project.id)}" data-profile="{escape(profile.name)}">'
                f"{escape(profile.display_title)}</button> "
                f'<small class="text-muted">{escape(details)}</small>'
            )
        sections.append(
            f'<fieldset class="bulle-project mb-3" data-project="{escape(project.id)}">'
            f'<legend>{escape(project.title)} <small class="text-muted">{escape(project.id)}'
            f" · until {project.valid_until.isoformat()}</small></legend>" + "<br>".join(buttons) + "</fieldset>"
        )
    return '<div class="bulle-chooser">' + "".join(sections) + "</div>"


def parse_choice(formdata: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """``{"project", "profile"}`` from the posted form, or :class:`FormRejected`."""
    unexpected = sorted(set(formdata) - {FIELD, "_xsrf"})
    if unexpected:
        raise FormRejected(f"unexpected form fields: {', '.join(unexpected)}")
    values = formdata.get(FIELD, [])
    if len(values) != 1:
        raise FormRejected("the form must name exactly one bubble")
    project, sep, profile = values[0].partition("/")
    if not sep or not project or not profile or "/" in profile:
        raise FormRejected(f"{values[0]!r} is not a project/profile choice")
    return {"project": project, "profile": profile}
