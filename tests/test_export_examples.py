"""The example figures in docs/examples/ are what `python docs/examples/make_examples.py` makes
from the committed layers today (rendered again here and compared pixel by pixel)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "examples" / "make_examples.py"


def _module():
    spec = importlib.util.spec_from_file_location("make_examples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLES = _module()


@pytest.mark.parametrize("name", list(EXAMPLES.EXAMPLES))
def test_committed_example_is_up_to_date(name):
    committed = SCRIPT.parent / name
    assert committed.is_file(), f"{name} missing: run python docs/examples/make_examples.py"
    fresh = np.asarray(Image.open(io.BytesIO(EXAMPLES.render(name))).convert("RGB"), dtype=float)
    with Image.open(committed) as image:
        old = np.asarray(image.convert("RGB"), dtype=float)
        assert image.info["dpi"] == pytest.approx(
            (EXAMPLES.DPI, EXAMPLES.DPI), abs=0.05
        )  # pixels per metre, rounded
    assert fresh.shape == old.shape
    changed = (np.abs(fresh - old).max(axis=2) > 48).mean()
    stale = f"{name} is stale ({changed:.2%} of pixels differ): run docs/examples/make_examples.py"
    assert changed < 0.002, stale
    assert committed.stat().st_size < 400_000  # small enough for a README
