"""environment.yml (conda users) and pyproject.toml (pip users) must ask for the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-only entries that have no pip counterpart
CONDA_ONLY = {"python", "pip"}
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(spec: str) -> tuple[str, str]:
    name, constraint = _REQ.match(spec).groups()
    return _norm(name), constraint.replace(" ", "").replace("=", "==").replace(
        "====", "=="
    ).replace(">==", ">=").replace("<==", "<=")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return dict(_parse(s) for s in specs)


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            specs += [s for s in dep["pip"] if not s.startswith("-e")]
        else:
            specs.append(dep)
    parsed = dict(_parse(s) for s in specs)
    return {k: v for k, v in parsed.items() if k not in CONDA_ONLY}


def test_same_packages_and_pins():
    pip, conda = pyproject_requirements(), conda_requirements()
    assert sorted(pip) == sorted(conda), (
        f"only in pyproject: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}"
    )
    differing = {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}
    assert not differing, f"pins differ (pyproject, environment.yml): {differing}"


def test_conda_env_installs_the_package_and_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    assert "python=3.11" in env["dependencies"]


def test_torch_is_pinned():
    assert pyproject_requirements()["torch"] == "==2.13.0"


def test_parser_sees_a_difference():
    """The comparison itself can fail: a changed pin is reported."""
    assert _parse("torch==2.13.0") != _parse("torch==2.14.0")
    assert _parse("nbval=0.11.0") == _parse("nbval==0.11.0")
