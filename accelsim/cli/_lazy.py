"""A command group that imports each command's module on first use (click's lazy-loading pattern).

``accelsim --help`` lists every command from its name and one-line help alone, so it imports none
of their modules (``accelsim rtl`` alone pulls in pydantic and the top-k params); running or asking
help of one command imports that command's module only.
"""

from __future__ import annotations

from difflib import get_close_matches
from importlib import import_module
from typing import ClassVar, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup


class Lazy(NamedTuple):
    """Where a command lives and what ``--help`` says of it (the first paragraph of its own help)."""

    module: str
    """Module whose ``register(app)`` adds the command."""
    help: str


def load(name: str, module: str) -> TyperCommand | TyperGroup:
    """The click command ``name`` that ``module``'s ``register`` adds to a Typer app."""
    sub = typer.Typer()
    import_module(module).register(sub)
    return typer.main.get_group(sub).commands[name]


class LazyGroup(TyperGroup):
    """A :class:`TyperGroup` whose commands in :attr:`lazy` are imported when first looked up; while it
    formats its own help they stand in as stubs carrying their one-line help."""

    lazy: ClassVar[dict[str, Lazy]] = {}
    """Command name -> where it lives, in the order ``--help`` lists them."""
    loaded: ClassVar[dict[str, TyperCommand | TyperGroup]] = {}
    """Commands imported so far, shared by every instance (``app()`` builds a new group per call)."""
    _listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self.loaded:
            if self._listing:
                return TyperCommand(name=cmd_name, help=self.lazy[cmd_name].help)
            self.loaded[cmd_name] = load(cmd_name, self.lazy[cmd_name].module)
        return self.loaded[cmd_name]

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as err:  # click's UsageError; typer suggests from self.commands alone
            matches = get_close_matches(args[0], self.lazy) if self.suggest_commands and args else []
            if matches and "Did you mean" not in err.message:
                err.message = f"{err.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_help(self, ctx: typer.Context, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
