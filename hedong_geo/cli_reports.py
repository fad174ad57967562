"""The report commands of the command line, `dossier` and `sitecheck` (see hedong_geo.cli).

Kept apart from :mod:`hedong_geo.cli` by job: they read a place or an uploaded site and write a
report through :mod:`hedong_geo.dossier`; errors reach the user the same way (exit status 2).
"""

from __future__ import annotations

import argparse
import sys

from hedong_geo.i18n import LANGS

__all__ = ["add_report_commands"]


def _dossier(args: argparse.Namespace) -> int:
    from hedong_geo import dossier
    from hedong_geo.cli import command_layers

    dossier.check_dossier_target(args.out, overwrite=args.overwrite)  # before the slow work
    found = dossier.build_dossier(
        command_layers(args, "dossier"), args.id, args.lang, near_m=args.near
    )
    print(dossier.write_dossier(found, args.out, overwrite=args.overwrite))
    return 0


def _sitecheck(args: argparse.Namespace) -> int:
    from hedong_geo import dossier, sitecheck, uploads
    from hedong_geo.cli import command_layers

    dossier.check_dossier_target(args.out, overwrite=args.overwrite)
    site = uploads.read_site(args.file, crs=args.crs)
    layers = command_layers(args, "sitecheck")  # read once: the check and its report
    result = sitecheck.check_site(layers, site, distance_m=args.distance)
    for warning in site.warnings:
        print(f"warning: {warning.text('en')}", file=sys.stderr)
    report = sitecheck.site_dossier(layers, result, args.lang)
    print(dossier.write_dossier(report, args.out, overwrite=args.overwrite))
    return 0


def add_report_commands(commands: argparse._SubParsersAction, layers_dir_help: str) -> None:
    """The ``dossier`` and ``sitecheck`` commands: reports on one place, zone or site."""
    dossier = commands.add_parser(
        "dossier", help="everything the plan says about one place or zone, as PDF or HTML"
    )
    dossier.add_argument("id", help="feature or zone id, e.g. park.quadrant.se, street.120102005")
    dossier.add_argument("--lang", default="zh", choices=LANGS)
    dossier.add_argument("--near", type=float, default=300.0, help="metres counted as near")
    dossier.add_argument("--out", required=True, help="*.pdf or *.html")
    dossier.add_argument("--overwrite", "--force", action="store_true")
    dossier.add_argument("--layers-dir", help=layers_dir_help)
    dossier.set_defaults(handler=_dossier)
    sitecheck = commands.add_parser(
        "sitecheck", help="what the plan says in and around a site (an uploaded outline)"
    )
    sitecheck.add_argument("file", help="GeoJSON, GeoPackage, zipped Shapefile, KML or DXF")
    sitecheck.add_argument(
        "--crs",
        help="wgs84, cgcs2000, gcj02, bd09 or EPSG:45xx (default: stated in the file, or detected)",
    )
    sitecheck.add_argument("--distance", type=float, default=200.0, help="metres around the site")
    sitecheck.add_argument("--lang", default="zh", choices=LANGS)
    sitecheck.add_argument("--out", required=True, help="*.pdf or *.html")
    sitecheck.add_argument("--overwrite", "--force", action="store_true")
    sitecheck.add_argument("--layers-dir", help=layers_dir_help)
    sitecheck.set_defaults(handler=_sitecheck)
