"""Command line: ``python -m hedong_geo COMMAND`` (installed as ``hedong-geo``).

Errors a user can act on go to stderr with exit status 2 (a file that cannot be read or
written too); anything else is a bug, reported in one line with status 1, never a traceback.
``app`` starts the Streamlit app; its other arguments go to ``streamlit run``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedong_geo import paths, settings
from hedong_geo._errors import HedongGeoError
from hedong_geo.cli_reports import add_report_commands
from hedong_geo.i18n import LANGS

if TYPE_CHECKING:  # the commands import the layers only when they run (a fast --help)
    from hedong_geo.layers import LayerSet


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- plan -------------------------------------------------------------------------------------


def _plan_toc(args: argparse.Namespace) -> int:
    from hedong_geo import plan

    docs = [plan.document(args.doc)] if args.doc else list(plan.documents().values())
    for doc in docs:
        print(f"{doc.id}  {doc.title_zh}  ({doc.number}, {doc.date})")
        for head in doc.headings():
            indent = "  " * len(head.heading_ids)
            print(f"{indent}{head.id:<{16 - len(indent) + 2}}{head.text}")
    return 0


def _plan_show(args: argparse.Namespace) -> int:
    from hedong_geo import plan

    blk = plan.block(args.block_id)
    doc = plan.document(blk.doc)
    spans = plan.to_original(blk)
    if args.json:
        _print_json(
            {
                "id": blk.id,
                "doc": blk.doc,
                "kind": blk.kind,
                "headings": blk.headings,
                "heading_ids": blk.heading_ids,
                "text": blk.text,
                "cells": blk.cells,
                "notes": blk.notes,
                "file": doc.file,
                "spans": spans,
            }
        )
        return 0
    print(f"{blk.id}  ({blk.kind}; {doc.title_zh}, {doc.number})")
    print(" › ".join(blk.headings[1:]) or doc.title_zh)
    print()
    print(blk.text)
    for note in blk.notes:
        print(f"\n{note}: {plan.block(note).text}")
    if blk.kind == "heading":
        under = [b for b in doc.blocks if blk.id in b.heading_ids and b.id != blk.id]
        if under:
            print()
        for b in under:
            print(f"  {b.id:<18}{b.text[:40]}{'…' if len(b.text) > 40 else ''}")
    where = ", ".join(f"{a}-{b}" for a, b in spans)
    print(f"\n(geodata/plan/{doc.file}, characters {where})")
    return 0


def _plan_search(args: argparse.Namespace) -> int:
    import dataclasses

    from hedong_geo import search

    hits = search.search(args.query, doc=args.doc, chapter=args.chapter, limit=args.limit)
    if args.json:
        _print_json([dataclasses.asdict(h) for h in hits])
        return 0
    if not hits:
        print(f"no hits for {args.query!r}")
        return 0
    for hit in hits:
        pieces, pos = [], hit.snippet_start
        for a, b in hit.matches:
            a, b = max(a, pos), min(b, hit.snippet_start + len(hit.snippet))
            if a >= b:
                continue
            pieces += [hit.snippet[pos - hit.snippet_start : a - hit.snippet_start], "【"]
            pieces += [hit.snippet[a - hit.snippet_start : b - hit.snippet_start], "】"]
            pos = b
        pieces.append(hit.snippet[pos - hit.snippet_start :])
        snippet = "".join(pieces).replace("\t", " | ")
        print(f"{hit.block_id:<18}{hit.score:>8.2f}  {' › '.join(hit.headings[1:])}")
        print(f"    {snippet}")
    return 0


def _plan_cite(args: argparse.Namespace) -> int:
    from hedong_geo import plan

    cite = plan.cite(args.block_id, args.quote)
    doc = plan.document(cite.doc)
    if args.json:
        _print_json(
            {
                "doc": cite.doc,
                "block": cite.block_id,
                "quote": cite.quote,
                "start": cite.start,
                "end": cite.end,
                "file": doc.file,
                "spans": cite.spans,
            }
        )
        return 0
    where = ", ".join(f"{a}-{b}" for a, b in cite.spans)
    print(f"ok: {cite.quote!r} stands in {cite.block_id} ({doc.title_zh})")
    print(f"    block text {cite.start}-{cite.end}; geodata/plan/{doc.file} characters {where}")
    return 0


# --- layers -----------------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    from hedong_geo.build import build_layers

    if args.out and os.path.lexists(args.out) and not os.path.isdir(args.out):
        raise HedongGeoError(f"--out {args.out!r} is a file; expected a folder for the layers")
    if not args.out and not paths.IN_CHECKOUT:
        raise HedongGeoError(
            "build writes a checkout's layers/ and this is an installed copy: "
            "pass --out FOLDER (then HEDONG_GEO_LAYERS_DIR=FOLDER to use it)"
        )
    for path in build_layers(args.out or paths.LAYERS):
        print(f"wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from hedong_geo._validate import validate_layers

    problems = validate_layers(args.layers_dir or settings.get().layers_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 2
    print("all layers valid")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from hedong_geo.coverage import coverage, format_coverage

    command_layers(args, "coverage")  # its problems as warnings; none readable: an error
    report = coverage(args.layers_dir or settings.get().layers_dir)
    if args.json:
        _print_json({**asdict(report), "total": report.total})
    else:
        print(format_coverage(report))
    return 0


def _days(text: str) -> float:
    """A number of days, 0 or more (argparse type)."""
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not days >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of days, 0 or more; got {text!r}")
    return days


def _cache(args: argparse.Namespace) -> int:
    from hedong_geo import caches

    if args.cache_command == "prune":
        reports = caches.prune(args.older_than, dry_run=args.dry_run)
    else:
        reports = caches.survey_caches()
    print(caches.format_report(reports, args.cache_command == "prune", args.dry_run))
    return 0


def _street(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from hedong_geo.places import members, resolve_street

    zone = resolve_street(args.name)  # an unknown name: UnknownIdError listing the 13
    layers = command_layers(args, "street")
    found = members(layers.features(), zone)
    if args.json:
        _print_json(
            {"street": zone.id, "name_zh": zone.name_zh, "members": list(map(asdict, found))}
        )
        return 0
    acc = f"± {zone.accuracy_m:.0f} m" if zone.accuracy_m else "no zone"
    print(f"{zone.name_zh} ({zone.name_en}, {zone.code}): approximate zone, {acc}; ", end="")
    print("not an official boundary")
    if zone.geometry is None:
        print(f"  {zone.note}")
    for label, kinds in (("in it", ("certain", "likely")), ("may be in it", ("maybe",))):
        rows = [m for m in found if m.confidence in kinds]
        print(f"\n{label} ({len(rows)}):")
        for m in rows:
            tag = "" if m.confidence == "maybe" else f"[{m.confidence}] "
            print(f"  {tag}{m.id:<40} {m.name_zh}  ({m.why})")
    return 0


# --- export and publish -----------------------------------------------------------------------


def command_layers(args: argparse.Namespace, command: str = "export") -> LayerSet:
    """The layers a command reads; their problems as warnings, none at all an error."""
    from hedong_geo.layers import load_layers

    layers_dir = args.layers_dir or settings.get().layers_dir
    layerset = load_layers(layers_dir)
    if not layerset.layers:
        why = "; ".join(map(str, layerset.problems[:3])) or "no layer files"
        raise HedongGeoError(
            f"{command}: no layer files in {str(layers_dir)!r} could be read ({why}); "
            "run `python -m hedong_geo build` or pass --layers-dir FOLDER"
        )
    for problem in layerset.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return layerset


SNAPSHOT_ONLY = ("scale", "title", "subtitle", "margin_m")  # options of the figures only


def _export(args: argparse.Namespace) -> int:
    from hedong_geo.exports import export_to, print_name

    layers = [n.strip() for n in args.layers.split(",") if n.strip()] if args.layers else None
    snapshot = {
        "paper": args.paper,
        "orientation": args.orientation,
        "dpi": args.dpi,
        "scale": args.scale,
        "title": args.title,
        "subtitle": args.subtitle,
        "margin_m": args.margin,
    }
    layerset = command_layers(args)
    if args.format not in ("png", "pdf", "svg"):
        given = {k for k, v in snapshot.items() if v is not None and k in SNAPSHOT_ONLY}
        if given:
            raise HedongGeoError(
                f"export: {', '.join('--' + k.split('_')[0] for k in sorted(given))} "
                f"apply to png, pdf and svg, not {args.format}"
            )
        snapshot = {}
        if args.out is None:
            raise HedongGeoError(f"export: --out is needed for {args.format}")
    out = args.out
    figure = args.format in ("png", "pdf", "svg")
    if figure and (out is None or Path(out).is_dir()):  # named from the title and the date
        folder = Path(out or ".")
        extent = args.extent if args.extent is not None else args.feature
        out = folder / print_name(
            layerset, args.format, extent=extent, lang=args.lang, title=args.title
        )
    out = export_to(
        layerset,
        out,
        args.format,
        layers=layers,
        feature=args.feature,
        extent=args.extent,
        lang=args.lang,
        overwrite=args.overwrite,
        **snapshot,
    )
    print(out)
    return 0


def _publish(args: argparse.Namespace) -> int:
    from hedong_geo.exports import publish_site

    print(publish_site(command_layers(args), args.out_dir, lang=args.lang, force=args.force))
    return 0


# --- the app ----------------------------------------------------------------------------------


def _config_options() -> dict[str, str]:
    """The app's ``.streamlit/config.toml`` as ``{"section.option": value}``."""
    with open(paths.STREAMLIT_CONFIG, "rb") as f:
        config = tomllib.load(f)
    options = {}
    for section, values in config.items():
        for option, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            options[f"{section}.{option}"] = text
    return options


def app_command(args: Sequence[str]) -> list[str]:
    """The ``streamlit run`` arguments ``hedong-geo app ARGS`` runs.

    The app's own config file (the checkout's or the installed copy's
    ``.streamlit/config.toml``: listen on 127.0.0.1 only, no error details for visitors) is
    passed as flags, so it applies from any working folder; options given in ``args``
    (``--server.port 8502`` or ``--server.port=8502``) win.

    Parameters
    ----------
    args : sequence of str
        Arguments after ``app``: Streamlit options, then optionally ``--`` and script args.
    """
    given = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--") and "." in arg:
            given.add(arg[2:].split("=", 1)[0])
    flags = [f"--{k}={v}" for k, v in _config_options().items() if k not in given]
    return ["run", str(paths.APP), *flags, *args]


def _app(args: Sequence[str]) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(
            "usage: python -m hedong_geo app [STREAMLIT OPTIONS]\n\n"
            "Start the app (default http://127.0.0.1:8501). Options go to `streamlit run`,\n"
            "e.g. --server.port 8502 --server.address 0.0.0.0 --server.headless true"
        )
        return 0
    from streamlit.web import cli as streamlit_cli

    return streamlit_cli.main(args=app_command(args), prog_name="streamlit")


LAYERS_DIR_HELP = "folder of layer files (default: HEDONG_GEO_LAYERS_DIR or layers/)"


def _export_parser(commands: Any) -> None:
    """The ``export`` command's arguments: what, where, and the figure's print options."""
    export = commands.add_parser("export", help="map snapshot or data download")
    export.add_argument(
        "--format", required=True, choices=["png", "pdf", "svg", "html", "geojson", "gpkg", "csv"]
    )
    export.add_argument("--layers", help="comma-separated layer names (default: all)")
    export.add_argument("--feature", help="one feature id: its extent, or only it for data")
    export.add_argument(
        "--extent", help="district | zone id | feature id | minlon,minlat,maxlon,maxlat"
    )
    export.add_argument(
        "--scale", help="fit (default) or a true scale at print size, 1:2000 … 1:50000"
    )
    export.add_argument("--margin", type=float, help="metres around a --feature/--extent id")
    export.add_argument("--title", help="the figure's title (default: from what is shown)")
    export.add_argument("--subtitle", help="the subtitle (default: layers, scale, date, sources)")
    export.add_argument("--paper", default="A4", choices=["A4", "A3"])
    export.add_argument("--orientation", default="landscape", choices=["portrait", "landscape"])
    export.add_argument("--dpi", type=int, default=300)
    export.add_argument("--lang", default="zh", choices=LANGS)
    export.add_argument(
        "--out", help="the file, or a folder for a figure named from its title and date"
    )
    export.add_argument(
        "--overwrite", "--force", action="store_true", help="replace an existing --out file"
    )
    export.add_argument("--layers-dir", help=LAYERS_DIR_HELP)
    export.set_defaults(handler=_export)


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
    validate.add_argument("--layers-dir", help=LAYERS_DIR_HELP)
    validate.set_defaults(handler=_validate)
    coverage = commands.add_parser("coverage", help="how many places are located, by layer")
    coverage.add_argument("--json", action="store_true")
    coverage.add_argument("--layers-dir", help=LAYERS_DIR_HELP)
    coverage.set_defaults(handler=_coverage)
    street = commands.add_parser(
        "street", help="the features in one 街道 (certain, likely) and those that may be"
    )
    street.add_argument("name", help="二号桥街, 二号桥, 二号桥街道, 120102005 or street.120102005")
    street.add_argument("--json", action="store_true")
    street.add_argument("--layers-dir", help=LAYERS_DIR_HELP)
    street.set_defaults(handler=_street)

    cache = commands.add_parser("cache", help="what the page and tile caches hold")
    cache.add_argument("cache_command", nargs="?", choices=["prune"], help="prune: remove old")
    cache.add_argument("--older-than", type=_days, default=30.0, metavar="DAYS")
    cache.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    cache.set_defaults(handler=_cache)
    _export_parser(commands)
    add_report_commands(commands, LAYERS_DIR_HELP)
    publish = commands.add_parser("publish", help="write the static site")
    publish.add_argument("out_dir")
    publish.add_argument("--lang", default="zh", choices=LANGS)
    publish.add_argument(
        "--force", action="store_true", help="replace OUT_DIR even if it holds other files"
    )
    publish.add_argument("--layers-dir", help=LAYERS_DIR_HELP)
    publish.set_defaults(handler=_publish)
    # Parsed by main() itself: everything after `app` is for Streamlit.
    commands.add_parser("app", help="start the Streamlit app (options go to `streamlit run`)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["app"]:
        return _app(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except HedongGeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f"{exc.filename!r}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, not a traceback
        print(
            f"error: unexpected {type(exc).__name__}: {exc} "
            "(a bug in hedong-geo; please report it with the command you ran)",
            file=sys.stderr,
        )
        return 1
