"""What a newcomer meets in the Makefile: `make help` as plain text, `make seed`'s default file."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from planhub_local.template import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")


def make(*arguments: str) -> str:
    # -o: never (re)build the virtualenv for this; the recipes are only printed or are plain text.
    command = ["make", "--no-print-directory", "-s", "-o", ".venv/.installed", *arguments]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    return done.stdout


def test_help_off_a_terminal_is_plain_text_with_the_port_filled_in() -> None:
    text = make("help", "PORT=4321")

    assert "\033" not in text
    assert "$(" not in text
    assert "http://127.0.0.1:4321" in text
    assert "FILE=seeds/demo.json" in text


def test_seed_loads_the_demo_file_by_default() -> None:
    assert make("-n", "seed").split()[-1] == "seeds/demo.json"
