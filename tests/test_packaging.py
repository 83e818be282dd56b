"""`pip install .` gives a working bot: the content, the kiosk page and the evaluation sets ship inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True)
    return next(dist.glob("psychoed-*.whl"))


def _installed(wheel: Path, tmp_path: Path) -> Path:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def test_wheel_carries_content_and_answers_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("bot/data/intents/therapy.yaml", "bot/data/responses/sources.yaml",
                   "bot/data/intents/safety.yaml", "bot/kiosk/web/index.html", "bot/py.typed"):
        assert needed in names, needed
    site = _installed(wheel, tmp_path)
    code = ("from bot import Bot; from bot.content import default_path; b = Bot(); "
            "r = b.reply(\"my doctor gave me amitriptyline for back pain but I'm not depressed, why?\"); "
            "print(default_path(), r.intent, r.source, sep='|')")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    where, intent, source = out.split("|")
    assert Path(where) == site / "bot" / "data"
    assert (intent, source) == ("not_depressed_why_prescribed", "neuromodulators")


def test_eval_runs_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    """The evaluation sets ship in the wheel, so `psychoed eval` works away from a checkout."""
    site = _installed(wheel, tmp_path)
    run = f"import sys; sys.path.insert(0, {str(site)!r}); from bot.cli import main; sys.exit(main(['eval']))"
    done = subprocess.run([sys.executable, "-I", "-c", run], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "core eval: PASS" in done.stdout
