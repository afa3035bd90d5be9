"""pyproject.toml is the single source of truth for package pins.

binder/requirements.txt (what Binder builds) and environment.yml (for conda users)
repeat those pins; these tests fail, naming the package, when they drift apart.
The last test asks repo2docker itself which files it would build Binder from.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PYTHON = "3.11"  # the Python that Binder and conda users get


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines, where):
    """{normalised name: version} from requirement strings; each must be name==version."""
    out = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, (
            f"{where}: {line!r} must pin one exact version (name==X.Y.Z)"
        )
        assert norm(req.name) not in out, f"{where}: {req.name} is listed twice"
        out[norm(req.name)] = specs[0].version
    return out


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_pins(*extras):
    project = pyproject()
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return pins(lines, "pyproject.toml")


def binder_requirements():
    """(pins, option lines) of binder/requirements.txt."""
    reqs, options = [], []
    for line in (ROOT / "binder/requirements.txt").read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        (options if line.startswith("-") or line == "." else reqs).append(line)
    return pins(reqs, "binder/requirements.txt"), options


def environment_yml():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def assert_same(expected, actual, where):
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differ = {n: (expected[n], actual[n]) for n in expected.keys() & actual.keys() if expected[n] != actual[n]}
    problems = [f"{n}: pyproject.toml has =={a}, {where} has =={b}" for n, (a, b) in differ.items()]
    if missing:
        problems.append(f"missing from {where}: {missing}")
    if extra:
        problems.append(f"in {where} but not in pyproject.toml: {extra}")
    assert not problems, "pins drifted apart:\n  " + "\n  ".join(problems)


def test_pyproject_pins_every_requirement_exactly():
    project = pyproject()
    assert project["optional-dependencies"].keys() >= {"lab", "test", "book", "classroom"}
    pyproject_pins(*project["optional-dependencies"])  # asserts name==version each


def test_binder_requirements_match_pyproject():
    expected = pyproject_pins("lab")  # Binder runs the notebooks; it needs no test tools
    actual, options = binder_requirements()
    torch = actual.get("torch", "")
    actual["torch"] = torch.removesuffix("+cpu")
    assert_same(expected, actual, "binder/requirements.txt")
    assert torch.endswith("+cpu"), (
        f"binder/requirements.txt: want torch=={expected['torch']}+cpu (CPU-only), got =={torch}"
    )
    assert f"--extra-index-url {CPU_INDEX}" in options, (
        "binder/requirements.txt must look in PyTorch's CPU index for torch"
    )
    assert {"-e .", "."} & set(options), "binder/requirements.txt must install vulib (-e .)"


def test_binder_runtime_and_conda_python():
    assert (ROOT / "binder/runtime.txt").read_text().strip() == f"python-{PYTHON}"
    assert f"python={PYTHON}" in environment_yml()["dependencies"]


def test_environment_yml_matches_pyproject():
    env = environment_yml()
    assert env["name"] == "vulib" and env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "pip" in conda, "environment.yml: conda must install pip"
    (pip_lines,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert "-e ." in pip_lines, "environment.yml must install vulib (-e .)"
    actual = pins([p for p in pip_lines if not p.startswith("-")], "environment.yml")
    assert_same(pyproject_pins("lab", "test", "book", "classroom"), actual, "environment.yml")


def test_the_environment_script_installs_what_the_tests_need():
    """scripts/_env.sh builds the one venv of lab.sh and test.sh: the classroom extra included
    (tests/test_classroom.py grades the lessons with nbgrader)."""
    text = (ROOT / "scripts/_env.sh").read_text()
    (extras,) = re.findall(r'pip install[^\n]*-e "\$ROOT\[([a-z,]+)\]"', text)
    assert set(extras.split(",")) == {"lab", "test", "book", "classroom"}, extras


def test_learners_lab_hides_nbgrader(tmp_path):
    """The course's Lab (scripts/lab.sh, Binder: binder/jupyter) starts without nbgrader's panels,
    server side and browser side, though the classroom extra installs them."""
    import json

    page = json.loads((ROOT / "binder/jupyter/labconfig/page_config.json").read_text())
    assert page["disabledExtensions"].get("@jupyter/nbgrader") is True
    code = (
        "from jupyter_server.serverapp import ServerApp\n"
        "app = ServerApp()\n"
        f"app.initialize(argv=['--ServerApp.root_dir={tmp_path}'], new_httpserver=False)\n"
        "print(sorted(n for n, e in app.extension_manager.extensions.items() if e.enabled))\n"
    )
    env = {**__import__("os").environ, "JUPYTER_CONFIG_PATH": str(ROOT / "binder/jupyter")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    enabled = proc.stdout.strip().splitlines()[-1]
    assert "jupyterlab" in enabled and "nbgrader" not in enabled, enabled


def test_repo2docker_builds_binder_from_binder_folder(tmp_path):
    """The Dockerfile repo2docker would build (no Docker engine needed for this)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ["binder", "vulib", "pyproject.toml", "README.md", "environment.yml", "LICENSE"]:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, repo / name)
    # --user-id/--user-name as on mybinder.org (it would default to this user, root here).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo2docker",
            "--no-build",
            "--debug",
            "--user-id",
            "1000",
            "--user-name",
            "jovyan",
            str(repo),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    checks = {
        "repo2docker failed": proc.returncode == 0,
        f"Python {PYTHON} not chosen (binder/runtime.txt)": f"Building conda environment for python={PYTHON}" in out
        and "Python version unspecified" not in out,
        "binder/requirements.txt is not installed": install in out,
        "environment.yml is used; Binder must build from binder/": "environment.yml" not in out
        and "mamba env update" not in out,
        # "-e ." in it needs the whole repository copied first
        "binder/requirements.txt is installed before the repository is copied": install in out
        and out.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/") < out.index(install),
        # binder/start adds the course's Jupyter settings (kernels end with their tab, culling)
        "binder/start is not the container's start script": 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in out,
    }
    failed = [what for what, ok in checks.items() if not ok]
    assert not failed, f"{failed}\n--- repo2docker output (end) ---\n{out[-2500:]}"
    # The Dockerfile names the file but not its lines: the CPU index is in that file.
    assert CPU_INDEX in (repo / "binder/requirements.txt").read_text()


@pytest.mark.parametrize(
    "script",
    [
        "scripts/lab.sh",
        "scripts/test.sh",
        "scripts/book.sh",
        "scripts/slides.sh",
        "scripts/_browser.sh",
        ".ci/run",
        "binder/start",
    ],
)
def test_shell_scripts_parse(script):
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_wheel_carries_the_sample_videos(tmp_path):
    """vulib.io.sample_video's clips and their NOTICE are package data: a normal (non-editable)
    install has them too. Build the wheel from a copy of the sources and look inside."""
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    shutil.copytree(ROOT / "vulib", src / "vulib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["pyproject.toml", "README.md", "LICENSE"]:
        shutil.copy(ROOT / name, src / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("vulib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"vulib/media/bunny.mp4", "vulib/media/NOTICE"} <= names, sorted(n for n in names if "media" in n)
