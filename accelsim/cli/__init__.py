"""The ``accelsim`` command. Each module of this package adds one command or command group via
``register``; :class:`Commands` names them, so that each is imported only when used (``_lazy``)."""

from __future__ import annotations

import sys
from typing import Annotated, ClassVar

import typer

from accelsim.cli._lazy import Lazy, LazyGroup
from accelsim.errors import InputError


class Commands(LazyGroup):
    """The root group: ``accelsim --help`` lists these with the first paragraph of their help, which
    ``tests/cli/test_startup.py`` checks against the commands themselves."""

    lazy: ClassVar[dict[str, Lazy]] = {
        "bertcpp": Lazy(
            "accelsim.cli.bertcpp",
            "Cycles of each layer of PROFILES as bert.cpp counts them (DRAM + fill + drain + top-k).",
        ),
        "describe": Lazy("accelsim.cli.describe", "Print each result column's unit and description."),
        "pareto": Lazy(
            "accelsim.cli.pareto", "Print the Pareto front of a sweep and write it as Parquet and CSV in DIR."
        ),
        "presets": Lazy(
            "accelsim.cli.presets",
            "List the shipped presets: what --hw, --policy, --dram, -w and the roofline rows take by name.",
        ),
        "report": Lazy(
            "accelsim.cli.report", "Write a self-contained HTML report (Plotly figures, no network needed to view it)."
        ),
        "run": Lazy("accelsim.cli.run", "Simulate WORKLOAD under a policy on a hardware config."),
        "show": Lazy(
            "accelsim.cli.show", "Print a preset or file as YAML with `extends:` applied and every default filled in."
        ),
        "sweep": Lazy(
            "accelsim.cli.sweep", "Run a design-space sweep; finished points in the output directory are skipped."
        ),
        "validate": Lazy(
            "accelsim.cli.validate",
            "Print quantity, the paper's value, accelsim's value, their ratio and pass/fail per row.",
        ),
        "dram": Lazy("accelsim.cli.dram", "Bank-aware DRAM model: replay request traces."),
        "rtl": Lazy("accelsim.cli.rtl", "Generate, synthesize and verify RTL (Amaranth -> Verilog)."),
        "trace": Lazy("accelsim.cli.trace", "Capture attention traces from models; describe trace files."),
    }


app = typer.Typer(
    name="accelsim",
    cls=Commands,
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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Simulate and explore sparse-attention accelerators (SpAtten and successors)."""


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
