"""The ``accelsim`` command. Each module of this package adds one command group via ``register``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Annotated

import typer

from accelsim.errors import InputError

app = typer.Typer(
    name="accelsim",
    help="Simulate and explore sparse-attention accelerators (SpAtten and successors).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands' contexts inherit it
)


def _version(value: bool) -> None:
    if value:
        from accelsim import __version__

        print(f"accelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Simulate and explore sparse-attention accelerators (SpAtten and successors)."""


for _mod in pkgutil.iter_modules(__path__):
    if not _mod.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod.name}").register(app)


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2."""
    print(f"accelsim: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point: bad input becomes one line on stderr and exit status 2, never a traceback."""
    try:
        # prog_name: usage lines and the completion variable (_ACCELSIM_COMPLETE) however it was started
        status = app(args=argv, prog_name="accelsim", standalone_mode=False)  # returns typer.Exit's code
    except InputError as err:
        fail(str(err))
    except typer.Exit as err:
        raise SystemExit(err.exit_code) from None
    except typer.Abort:
        fail("aborted")
    except typer.TyperException as err:  # click's usage errors (typer vendors click)
        message = err.format_message()
        if not message:  # no arguments: help was printed
            raise SystemExit(2) from None
        ctx = getattr(err, "ctx", None)
        fail(f"{ctx.command_path}: {message}" if ctx is not None else message)
    if isinstance(status, int) and status:
        raise SystemExit(status)
