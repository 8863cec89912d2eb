"""The README's tour and command list stay runnable: every `yunzhang ...` command it quotes names a real
command, every option it shows is one that command takes, and a value shown for a choice is allowed."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

from control.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def quoted_commands() -> list[str]:
    """`yunzhang ...` as a code span in the prose, or a line of a shell block (after a pipe too)."""
    text = README.read_text(encoding="utf-8")
    spans = re.findall(r"`(yunzhang [^`]+)`", text)
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", text, flags=re.S))
    lines = [re.sub(r"\s+#.*$", "", line).split("| ")[-1].strip() for line in blocks.splitlines()]
    return spans + [line for line in lines if line.startswith("yunzhang ")]


def resolve(words: list[str]):
    """The command the words name, and the words left after its path."""
    command = get_command(app)
    path = []
    while words and hasattr(command, "commands") and words[0] in command.commands:
        path.append(words.pop(0))
        command = command.commands[path[-1]]
    return path, command, words


def test_readme_quotes_commands():
    assert len(quoted_commands()) >= 15


def test_every_quoted_command_and_option_exists():
    runner = CliRunner()
    for line in quoted_commands():
        path, command, rest = resolve(shlex.split(line)[1:])
        assert path and not hasattr(command, "commands"), f"README: {line!r} names no command"
        assert runner.invoke(app, [*path, "--help"]).exit_code == 0, line
        params = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        words = [w.strip("[]") for w in rest]
        for i, word in enumerate(words):
            for option in re.findall(r"--[a-z][a-z-]*", word):
                assert option in params, f"README: {line!r}: {option} is not an option of yunzhang {' '.join(path)}"
                choices = params[option].type_descriptor.choices
                if choices and i + 1 < len(words):      # a value shown for a choice is one of its values
                    assert words[i + 1] in {str(c.value) for c in choices}, f"README: {line!r}: {words[i + 1]}"
