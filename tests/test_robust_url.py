"""The bad links of tests/data/bad/cases.json ("url") through the app itself (AppTest).

Every case: no exception element, one friendly message per problem (and only on the first run:
the bad value is dropped from the URL), the map still drawn on the map view.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_bad_inputs import CASES, url_params

from hedong_geo.i18n import strings, t
from hedong_geo.urlstate import parse_state, problem_messages, shown_value

ROOT = Path(__file__).resolve().parent.parent
URL_TEXTS = {
    entry[lang] for key, entry in strings().items() if key.startswith("url_") for lang in entry
}


def url_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if any(w.value.startswith(s) for s in URL_TEXTS)]


@pytest.fixture(autouse=True)
def _own_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEDONG_GEO_LAYERS_DIR", raising=False)


@pytest.mark.parametrize("name", sorted(CASES["url"]))
def test_bad_link_in_the_app(name: str) -> None:
    case = CASES["url"][name]
    params = url_params(case["query"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, values in params.items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    state = parse_state(params, feature_exists=lambda f: False, block_exists=lambda b: False)
    lang = state.lang
    found = url_warnings(at)
    assert len(found) == len(case["problems"]), found
    for message, kind in zip(found, case["problems"], strict=True):
        assert message.startswith(t(f"url_{kind}", lang) + " `"), message
    assert [x.value for x in at.title] == [t("app_title", lang)]
    if case["state"].get("view", "map") == "map":
        maps = [n for n in at.main if getattr(n, "proto", None) is not None]
        names = [getattr(n.proto, "component_name", "") for n in maps]
        assert "hedong_geo.map" in names, "the map is not drawn"
    at.run()  # the bad values were dropped from the URL: no message the second time
    assert not at.exception, [e.message for e in at.exception]
    assert not url_warnings(at)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("park.quadrant.se", "`park.quadrant.se`"),
        ("<img src=x onerror=alert(1)>", "`<img src=x onerror=alert(1)>`"),
        ("a`b", "``a`b``"),
        ("`", "`` ` ``"),
        ("a\nb\udcff", "`a\\nb\\udcff`"),
        ("x" * 100, "`" + "x" * 80 + "…`"),
    ],
)
def test_a_value_is_shown_as_text(value: str, shown: str) -> None:
    assert shown_value(value) == shown


def test_messages_name_the_problem_in_the_language() -> None:
    state = parse_state({"lang": "en", "view": "nowhere"}, known_docs=("fyp", "wr"))
    assert problem_messages(state, "en") == [f"{t('url_view', 'en')} `nowhere`"]
