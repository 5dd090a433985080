"""A simulator of Trino's file-based system access control.

No Trino server runs beside bulle's tests, so bulle carries a faithful model
of the decisions Trino's ``file`` system access control takes from one rules
file (see Trino's documentation page "File-based access control" and its
``FileBasedSystemAccessControl``): the compiled rules are checked with it,
and ``bulle trino simulate`` / ``bulle access explain`` use it.

- :mod:`.patterns`: Trino's Java regular expressions, matched in full;
- :mod:`.rules`: the rules file, parsed strictly, with Trino's defaults for
  absent sections;
- :mod:`.simulator`: the decisions (:class:`AccessControl`);
- :mod:`.checks`: the table of check names the command line accepts;
- :mod:`.explain`: what a user can read, for access reviews.

This package imports nothing from bulle but :mod:`bulle.policies`.
"""

from .rules import Rules, RulesInvalid, load_rules, parse_rules
from .simulator import AccessControl, Decision, Identity, Principal, ViewExpression

__all__ = [
    "AccessControl",
    "Decision",
    "Identity",
    "Principal",
    "Rules",
    "RulesInvalid",
    "ViewExpression",
    "load_rules",
    "parse_rules",
]
