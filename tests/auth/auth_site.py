"""Sign-in test helpers: local sign-in on a private copy of the bundled database, one user added
the way an administrator adds one (`kuntamittari add-user`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine


ROOT = Path(__file__).resolve().parents[2]
EMAIL = "maija@kalajoki.fi"
PASSWORD = "kalajoki-tyopaja-2026"


@dataclass(frozen=True)
class AuthSite:
    """Where a sign-in test's server or AppTest looks: database, users file, data directory."""

    db_path: Path
    users_file: Path
    data_dir: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "KUNTAMITTARI_DATABASE_URL": self.db_url,
            "KUNTAMITTARI_AUTH_MODE": "local",
            "KUNTAMITTARI_USERS_FILE": str(self.users_file),
            "KUNTAMITTARI_DATA_DIR": str(self.data_dir),
            "KUNTAMITTARI_SESSION_SECRET": "tests-only-session-secret-7f3a9c",
            **extra,
        }


def add_user(users_file: Path, email: str = EMAIL, password: str = PASSWORD, role: str = "author") -> None:
    """`kuntamittari add-user EMAIL --role ROLE --password-stdin --users-file FILE`, as a process."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "add-user", email, "--role", role, "--password-stdin", "--users-file", str(users_file)],
        input=password + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def make_site(base: Path, bundled_engine: Engine) -> AuthSite:
    db = base / "db.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)  # type: ignore[arg-type]
    site = AuthSite(db_path=db, users_file=base / "users.toml", data_dir=base / "var")
    site.data_dir.mkdir()
    add_user(site.users_file)
    return site
