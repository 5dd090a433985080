"""The HTTP answer to a refused start: 403 with the policy's sentence.

JupyterHub replaces the reason of any exception raised while spawning with a
generic "Failed to start your server" text; the sentence survives only as the
exception's ``jupyterhub_message``, which JupyterHub's error pages prefer.
The rule's identifier rides along as ``bulle_rule`` for the audit trail.
"""

from __future__ import annotations

from tornado import web


def refusal(sentence: str, rule: str) -> web.HTTPError:
    error = web.HTTPError(403, "%s", sentence)
    error.jupyterhub_message = sentence  # type: ignore[attr-defined]
    error.bulle_rule = rule  # type: ignore[attr-defined]
    return error
