"""The ``grader`` command line: ``grade`` (batch), ``serve`` (gRPC), ``serve-ray`` (Ray Serve), ``health``
and ``verifiers``."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from .grade import EXIT_INTERRUPTED, EXIT_USAGE, UsageError, add_grade_command
from .serve import add_health_command, add_serve_command
from .serve_ray import add_serve_ray_command


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``grader`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade model responses against reference answers (extract, normalize, compare).",
        epilog="Run 'grader grade --help' for the input and output formats.",
    )
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_grade_command(commands, on_ray=_grade_on_ray)
    add_serve_command(commands)
    add_serve_ray_command(commands)
    add_health_command(commands)
    listing = commands.add_parser("verifiers", help="list the registered verifiers, their options (Markdown) "
                                   "and what each supports (ifeval's instruction ids)")
    listing.set_defaults(func=_list_verifiers)
    return parser


def _grade_on_ray(args: argparse.Namespace):
    try:
        from .ray_grade import grade_on_ray  # imports ray: only when --ray is given
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"--ray needs Ray Data ({exc}): pip install 'grader[ray]'") from None
    return grade_on_ray(args)


def _list_verifiers(args: argparse.Namespace) -> int:
    from .. import verifiers

    print(verifiers.markdown_table())
    for verifier in verifiers.all_verifiers():
        if verifier.supports():
            print(f"\n`{verifier.name}` supports {len(verifier.supports())}: {', '.join(verifier.supports())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
