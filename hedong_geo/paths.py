"""Where the project's data lives. Every module asks here instead of building paths itself."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
LAYERS = ROOT / "layers"
PLAN_DIR = GEODATA / "plan"
CONTEXT_DIR = GEODATA / "context"
REFERENCE_DIR = GEODATA / "reference"
STATIC = ROOT / "static"
