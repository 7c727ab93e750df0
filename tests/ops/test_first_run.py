"""The README's commands run as written after its first one, and every install comes from
the lock files, whose pins stay inside pyproject.toml's ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPOSITORY = Path(__file__).resolve().parents[2]
README = (REPOSITORY / "README.md").read_text()


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _pins(lock: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPOSITORY / lock).read_text(), re.M)
    return {name.lower().replace("_", "-"): version for name, version in found}


def test_the_first_command_installs_from_the_lock_and_runs_the_whole_product() -> None:
    first = _shell_lines()[0]

    assert first.startswith("python3 -m venv .venv && ")
    assert "-r requirements-dev.lock" in first
    assert first.endswith("&& .venv/bin/inventory dev")


def test_later_commands_name_the_installed_programs_in_the_venv() -> None:
    for line in _shell_lines():
        for command in re.split(r"&&|;", line.split("#", 1)[0]):
            program = command.strip().split(" ", 1)[0]
            assert program not in {"inventory", "pytest", "pip"}, line


def test_ci_and_the_image_install_from_the_lock_files() -> None:
    ci = (REPOSITORY / ".ci" / "run").read_text()
    dockerfile = (REPOSITORY / "Dockerfile").read_text()

    assert "pip install --quiet -r requirements-dev.lock -e '.[dev]'" in ci
    assert "pip install -r requirements.lock" in dockerfile


def test_every_pin_is_inside_the_ranges_of_pyproject() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    dev_pins, service_pins = _pins("requirements-dev.lock"), _pins("requirements.lock")

    for text in wanted:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in dev_pins, text
        assert requirement.specifier.contains(dev_pins[name]), (text, dev_pins[name])
    for text in project["dependencies"]:
        name = Requirement(text).name.lower().replace("_", "-")
        # The image runs what the tests ran.
        assert service_pins[name] == dev_pins[name], name
