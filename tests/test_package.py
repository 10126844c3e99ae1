"""The package as a user gets it: a non-editable install in a fresh environment, and a light `matcher --help`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _copy_tree(dest: Path) -> Path:
    """The files git sees (tracked or new, not ignored), links kept as links."""
    listed = _run(["git", "ls-files", "-co", "--exclude-standard"], ROOT).stdout.splitlines()
    for name in listed:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def test_help_does_not_import_evaluation_libraries(tmp_path: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from matcher.cli.app import app; "
        "r = CliRunner().invoke(app, ['--help']); "
        "print(r.exit_code, 'evaluate' in r.output, [m for m in ('matplotlib', 'ranx') if m in sys.modules])"
    )
    out = _run([sys.executable, "-c", code], cwd=tmp_path)
    assert out.stdout.split() == ["0", "True", "[]"], out.stderr


@pytest.mark.realmodel
def test_wheel_installed_in_a_fresh_environment_runs_the_demo(tmp_path: Path) -> None:
    """`pip install .` (not editable): data, dictionaries and the shipped model come from the installed package.
    The fresh environment reuses this one's third-party packages through a path entry, not matcher itself."""
    src = _copy_tree(tmp_path / "src")  # setuptools writes build/ beside the sources: not into the checkout
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "."], src
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("matcher-*.whl"))
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)
    site = Path(
        _run(
            [str(env_dir / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"], tmp_path
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "--no-deps", "-q"]
    assert _run([*pip, str(wheel)], tmp_path).returncode == 0
    env = {**os.environ, "MATCHER_HOME": str(tmp_path / "ws"), "MATCHER_EMBEDDER": "use"}
    where = _run([str(env_dir / "bin" / "python"), "-c", "import matcher; print(matcher.__file__)"], tmp_path, env)
    assert str(site) in where.stdout, where.stdout + where.stderr  # the installed copy, not the source tree
    demo = _run([str(env_dir / "bin" / "matcher"), "demo"], tmp_path, env)
    assert demo.returncode == 0 and "新建 406，" in demo.stdout, demo.stdout + demo.stderr
    match = _run([str(env_dir / "bin" / "matcher"), "match", "--need-id", "DEMO-N001", "--json"], tmp_path, env)
    result = json.loads(match.stdout)
    assert match.returncode == 0 and result["need_id"] == "DEMO-N001" and len(result["hits"]) == 10
