"""``python -m bulle.data record``: record this bubble's data connection, for clients in other languages.

The R helpers (``bulle_connect()`` in ``R/bulle.R``) run it before they open
the extract, so an R connection reaches the audit trail as a Python one
does. It prints the extract folder to read (embedded) and exits with 0, or
prints why not and exits with 1 (nothing may then be opened).
"""

from __future__ import annotations

import os
import sys

from . import DataAccessProblem, extract_dir, record_connection
from .record import NotRecorded


def main(argv: list[str]) -> int:
    if argv != ["record"]:
        print("usage: python -m bulle.data record", file=sys.stderr)
        return 2
    try:
        manifest = record_connection(os.environ)
    except (DataAccessProblem, NotRecorded) as problem:
        print(f"bulle.data: {problem}", file=sys.stderr)
        return 1
    if manifest is not None:
        print(extract_dir(os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
