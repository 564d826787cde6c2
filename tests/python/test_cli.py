"""The `early-warning` command reaches every tool's own command line."""

from __future__ import annotations

import pytest

from early_warning import cli


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_subcommand_shows_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    assert "usage" in capsys.readouterr().out.lower()
