"""A release a newsroom's IT team can install: the wheel, installed outside the repository,
finds its templates and data; the systemd unit and the Dockerfile match the package and the
README's install steps; there is one version, with a changelog entry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import __version__
from tests.helpers import ROOT, CliResult, Run

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
UNIT = ROOT / "deploy" / "patchbot.service"
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "bot", "story_templates")


def test_one_version_printed_by_the_cli_and_in_the_changelog(run_cli: Run) -> None:
    assert "version" not in PYPROJECT["project"]  # read from bot/__init__.py, not written twice
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bot.__version__"}
    result: CliResult = run_cli("--version")
    assert result.stdout == f"patchbot, version {__version__}\n"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_every_folder_of_the_package_ships() -> None:
    """Every folder under bot/ and story_templates/ is a listed package (else a wheel would
    silently leave it out)."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in ((ROOT / "bot", "bot"), (ROOT / "story_templates", "bot.story_templates")):
        for folder in [top, *(p for p in top.rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__" or not any(f.is_file() for f in folder.iterdir()):
                continue
            found.add(".".join([name, *folder.relative_to(top).parts]))
    assert found == listed


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the sources (nothing written into the clone)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(dist), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("patchbot-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed in it. Its dependencies (pandas...)
    come from this one's site-packages through a .pth line: no network is needed, and this
    environment's editable install of the clone is not seen (a .pth line adds a path; it does
    not run the .pth files there)."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(target)}))
    (purelib / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = target / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target


@dataclass(frozen=True)
class Installed:
    """The wheel installed in a fresh virtual environment, run from a folder outside the clone
    with none of this machine's PATCHBOT_/SLACK_ settings."""

    target: Path
    elsewhere: Path
    env: dict[str, str]

    def patchbot(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.target / "bin" / "patchbot"), *args],
            cwd=self.elsewhere, env=self.env, capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp_path = tmp_path_factory.mktemp("install")
    target = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    elsewhere = tmp_path / "newsroom"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATCHBOT_", "SLACK_"))}
    env.pop("PYTHONPATH", None)
    return Installed(target, elsewhere, env)


@pytest.mark.process
def test_the_wheel_installed_outside_the_repository_drafts_and_checks(
    installed: Installed,
) -> None:
    target, elsewhere, env, patchbot = (
        installed.target, installed.elsewhere, installed.env, installed.patchbot
    )  # fmt: skip
    where = subprocess.run(
        [str(target / "bin" / "python"), "-c", "import bot, bot.rendering as r; "
         "print(bot.__file__); print(r.DEFAULT_TEMPLATES_DIR)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(path.startswith(str(target)) for path in where), where  # not the clone's copy
    assert where[1].endswith("site-packages/bot/story_templates")
    assert patchbot("--version").stdout == f"patchbot, version {__version__}\n"
    drafted = patchbot("draft", "--story", "weekly_roundup")
    assert drafted.returncode == 0, drafted.stderr
    assert "\nDurham City - 16 cases\n" in drafted.stdout  # the bundled data, in the wheel
    checked = patchbot("templates", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("All templates in ")
    assert "site-packages" in checked.stdout


@pytest.mark.process
def test_an_edit_in_the_editors_folder_shows_in_draft_check_preview_and_status(
    installed: Installed, tmp_path: Path
) -> None:
    """The README's systemd steps on a clean install (the editors' folder made by `templates
    init`, the .env lines naming it), then an editor changes the round-up's headlines."""
    steps = README[README.index("### systemd") : README.index("### Docker")]
    folder = "/srv/patchbot/story_templates"
    assert f"patchbot templates init {folder}" in steps
    assert f"PATCHBOT_TEMPLATES_DIR={folder}" in steps
    templates = tmp_path / folder.lstrip("/")  # the same steps, under this test's folder
    made = installed.patchbot("templates", "init", str(templates))
    assert made.returncode == 0, made.stderr
    env_file = tmp_path / ".env"
    shutil.copy(ROOT / "config.example.env", env_file)
    with env_file.open("a", encoding="utf-8") as settings:
        settings.write(f"PATCHBOT_STATE_DIR={tmp_path / 'state'}\n")
        settings.write(f"PATCHBOT_TEMPLATES_DIR={templates}\n")
    toml = templates / "stories.toml"
    edited = (
        toml.read_text(encoding="utf-8")
        # the same length, so that the headlines stay within 100 characters
        .replace(
            "    Covid-19 cases in every neighbourhood", "    EDITED: Covid-19 cases in every area"
        )
        .replace(
            '    {{ listed_count|counted("neighbourhood"',
            '    EDITED: {{ listed_count|counted("area"',
        )
    )
    assert edited.count("EDITED") == 2
    toml.write_text(edited, encoding="utf-8")

    def patchbot(*args: str) -> subprocess.CompletedProcess[str]:
        return installed.patchbot("--env-file", str(env_file), *args)

    drafted = patchbot("draft", "--story", "weekly_roundup")
    assert drafted.returncode == 0, drafted.stderr
    assert drafted.stdout.startswith("==== weekly_roundup ====\nEDITED: ")
    checked = patchbot("templates", "check")
    assert checked.stdout == f"All templates in {templates} are fine.\n", checked.stderr
    shown = patchbot("preview", "weekly_roundup", "--all-variants")
    assert shown.returncode == 0, shown.stderr
    assert f"patchbot: templates from {templates}\n" in shown.stderr
    assert shown.stdout.count("│ ▌EDITED: ") == 2
    status = patchbot("status")
    assert f"templates:     {templates}\n" in status.stdout
    toml.write_text(edited.replace("min_cases = 3", "min_cases = 0"), encoding="utf-8")
    line = edited[: edited.index("min_cases = 3")].count("\n") + 1
    assert patchbot("templates", "check").stdout.startswith(
        f"stories.toml:{line}: [weekly_roundup] min_cases = 0 is too low: it must be at least 1"
    )


def _unit() -> dict[str, list[str]]:
    """The unit's settings, each key with all its values (systemd allows repeats)."""
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_the_systemd_unit_matches_the_readme_install_steps() -> None:
    unit = _unit()
    assert "sudo git clone <this repository> /opt/patchbot" in README
    assert "sudo python3 -m venv .venv && sudo .venv/bin/pip install -q ." in README
    assert unit["WorkingDirectory"] == ["/opt/patchbot"]
    assert unit["ExecStart"] == [
        "/opt/patchbot/.venv/bin/patchbot --env-file /opt/patchbot/.env run"
    ]
    assert "useradd --system" in README
    assert unit["User"] == ["patchbot"]
    environment = dict(pair.split("=", 1) for line in unit["Environment"] for pair in line.split())
    assert environment["PATCHBOT_STATE_DIR"] == "/var/lib/" + unit["StateDirectory"][0]
    templates = environment["PATCHBOT_TEMPLATES_DIR"]
    # The editors' own folder (issue 15): outside the clone and the installed package.
    assert templates == "/srv/patchbot/story_templates"
    assert f"sudo .venv/bin/patchbot templates init {templates}" in README
    assert f"PATCHBOT_STATE_DIR={environment['PATCHBOT_STATE_DIR']}" in README
    assert f"PATCHBOT_TEMPLATES_DIR={templates}" in README


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` against a root holding what the README's steps install."""
    root = tmp_path / "root"
    executable = root / "opt/patchbot/.venv/bin/patchbot"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system")
    verified = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "patchbot.service"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (verified.returncode, verified.stderr) == (0, "")


def test_the_dockerfile_copies_what_the_package_needs() -> None:
    copied = [
        part for line in re.findall(r"^COPY (.+)$", DOCKERFILE, re.M) for part in line.split()[:-1]
    ]
    for source in copied:
        assert (ROOT / source).exists(), source
    assert set(SOURCES) <= set(copied)  # readme, licence, package and templates for the build
    assert "RUN pip install .\n" in DOCKERFILE
    assert "RUN patchbot templates init /srv/patchbot/story_templates\n" in DOCKERFILE
    assert "PATCHBOT_TEMPLATES_DIR=/srv/patchbot/story_templates" in DOCKERFILE
    assert 'CMD ["patchbot", "run"]' in DOCKERFILE
