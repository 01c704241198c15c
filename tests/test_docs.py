"""The README documents what a user can set and run."""

from pathlib import Path

from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    """Each Settings field appears in the README's table under its environment variable."""
    missing = [name for name in Settings.model_fields if f"`AUTOGRAD_LIVE_{name.upper()}`" not in README]
    assert missing == []


def test_readme_names_the_two_setup_commands_that_exist() -> None:
    """The quick start's two commands are the scripts in the repository, and CI runs the test one."""
    root = Path(__file__).resolve().parent.parent
    for script in ("scripts/start.sh", "scripts/test.sh"):
        assert script in README
        assert (root / script).stat().st_mode & 0o111, f"{script} is not executable"
    assert "scripts/test.sh" in (root / ".ci" / "run").read_text()
