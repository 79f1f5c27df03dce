"""An API process carries no library it only needs in rare paths or in the worker: the report
renderers and the iCalendar writer cost every worker about 20 MB (bench/README.md, "API
worker memory")."""

from __future__ import annotations

import json
import subprocess
import sys

RARE = ("reportlab", "openpyxl", "odf", "icalendar", "PIL")


def test_importing_the_api_app_leaves_out_renderers_and_icalendar() -> None:
    code = (
        "import json, sys; import regie.app; "
        f"print(json.dumps(sorted(m for m in {RARE!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
