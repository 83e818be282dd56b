"""`pip install .` gives a working bot: the content and the kiosk page ship inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_content_and_answers_without_the_source_tree(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("psychoed-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("bot/data/intents/therapy.yaml", "bot/data/responses/sources.yaml",
                   "bot/data/intents/safety.yaml", "bot/web/index.html", "bot/py.typed"):
        assert needed in names, needed
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from bot import Bot; from bot.content import default_path; b = Bot(); "
            "r = b.reply(\"my doctor gave me amitriptyline for back pain but I'm not depressed, why?\"); "
            "print(default_path(), r.intent, r.source, sep='|')")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    where, intent, source = out.split("|")
    assert Path(where) == site / "bot" / "data"
    assert (intent, source) == ("not_depressed_why_prescribed", "neuromodulators")
