"""Command line: ``python -m hedong_geo COMMAND``.

Errors a user can act on go to stderr with exit status 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from hedong_geo._errors import HedongGeoError


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- plan -------------------------------------------------------------------------------------


def _plan_toc(args: argparse.Namespace) -> int:
    raise NotImplementedError("plan toc")


def _plan_show(args: argparse.Namespace) -> int:
    raise NotImplementedError("plan show")


def _plan_search(args: argparse.Namespace) -> int:
    raise NotImplementedError("plan search")


def _plan_cite(args: argparse.Namespace) -> int:
    raise NotImplementedError("plan cite")


# --- layers -----------------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    raise NotImplementedError("build")


def _validate(args: argparse.Namespace) -> int:
    raise NotImplementedError("validate")


def _coverage(args: argparse.Namespace) -> int:
    raise NotImplementedError("coverage")


# --- export and publish -----------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    raise NotImplementedError("export")


def _publish(args: argparse.Namespace) -> int:
    raise NotImplementedError("publish")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hedong_geo",
        description="Hedong planning explorer: the plan corpus, the layers, exports.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser("plan", help="read, search and cite the plan texts")
    plan_commands = plan.add_subparsers(dest="plan_command", required=True, metavar="PLAN_COMMAND")
    toc = plan_commands.add_parser("toc", help="table of contents of one or both documents")
    toc.add_argument("doc", nargs="?", help="document id: wr (2024 work report) or fyp (15th FYP)")
    toc.set_defaults(handler=_plan_toc)
    show = plan_commands.add_parser("show", help="print one block by id")
    show.add_argument("block_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_plan_show)
    search = plan_commands.add_parser("search", help="ranked search over both documents")
    search.add_argument("query", help="one or more terms, separated by spaces")
    search.add_argument("--doc", help="wr or fyp")
    search.add_argument("--chapter", help="heading id prefix, e.g. fyp.ch6 or wr.p2")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_plan_search)
    cite = plan_commands.add_parser("cite", help="check that QUOTE stands verbatim in block ID")
    cite.add_argument("block_id")
    cite.add_argument("quote")
    cite.add_argument("--json", action="store_true")
    cite.set_defaults(handler=_plan_cite)

    build = commands.add_parser("build", help="write layers/*.geojson from the register")
    build.add_argument("--out", help="output folder (default: layers/)")
    build.set_defaults(handler=_build)
    validate = commands.add_parser("validate", help="check every layer; exit 2 on any problem")
    validate.add_argument("--layers-dir", help="folder of layer files (default: layers/)")
    validate.set_defaults(handler=_validate)
    coverage = commands.add_parser("coverage", help="how many places are located, by layer")
    coverage.add_argument("--json", action="store_true")
    coverage.set_defaults(handler=_coverage)

    export = commands.add_parser("export", help="map snapshot or data download")
    export.add_argument(
        "--format", required=True, choices=["png", "pdf", "svg", "html", "geojson", "gpkg", "csv"]
    )
    export.add_argument("--layers", help="comma-separated layer names (default: all)")
    export.add_argument("--feature", help="one feature id: its extent, or only it for data")
    export.add_argument(
        "--extent", help="district | zone id | feature id | minlon,minlat,maxlon,maxlat"
    )
    export.add_argument("--paper", default="A4", choices=["A4", "A3"])
    export.add_argument("--orientation", default="landscape", choices=["portrait", "landscape"])
    export.add_argument("--dpi", type=int, default=300)
    export.add_argument("--lang", default="zh", choices=["zh", "en"])
    export.add_argument("--out", required=True)
    export.set_defaults(handler=_export)
    publish = commands.add_parser("publish", help="write the static site")
    publish.add_argument("out_dir")
    publish.add_argument("--lang", default="zh", choices=["zh", "en"])
    publish.set_defaults(handler=_publish)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except HedongGeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
