"""hedong_geo.assets: assets served where they are installed, copies, localized links,
self-contained pages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import folium
import folium.plugins
import pytest

from hedong_geo import paths
from hedong_geo.assets import (
    APP_PAGE_DROPPED,
    LOCAL,
    asset_files,
    drop_links,
    inline_assets,
    install_static,
    localize,
    serve,
    served_url,
)

REMOTE = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_assets_come_from_installed_packages() -> None:
    files = asset_files()
    for rel in LOCAL.values():
        assert rel in files, rel
    assert all(source.is_file() for source in files.values())
    assert "vendor/leaflet/images/layers.png" in files
    assert any(rel.endswith(".woff2") for rel in files)
    assert "site-packages" in str(files["vendor/leaflet/leaflet.js"]) or "xstatic" in str(
        files["vendor/leaflet/leaflet.js"]
    )


def test_install_static_copies_only_what_changed(tmp_path: Path) -> None:
    written = install_static(tmp_path)
    assert len(written) == len(asset_files())
    leaflet = tmp_path / "vendor" / "leaflet" / "leaflet.js"
    assert leaflet.read_bytes() == asset_files()["vendor/leaflet/leaflet.js"].read_bytes()
    assert install_static(tmp_path) == []
    (tmp_path / "hedong" / "hedong.js").write_text("stale", encoding="utf-8")
    assert install_static(tmp_path) == [tmp_path / "hedong" / "hedong.js"]
    assert not list(tmp_path.rglob(".tmp-*"))


def test_served_urls_reach_every_asset_where_it_is_installed() -> None:
    """Each asset's URL in the app names a registered folder and the installed file in it."""
    from hedong_geo.assets import _served_folders

    folders = _served_folders()
    for rel, source in asset_files().items():
        url = served_url(rel)
        assert url.startswith("/component/hedong_geo.assets."), url
        name, _, inside = url.removeprefix("/component/hedong_geo.assets.").partition("/")
        assert (folders[name] / inside).samefile(source), rel
    with pytest.raises(KeyError, match="not in the asset layout"):
        served_url("elsewhere/x.js")


def _registered_script() -> None:
    import streamlit as st
    from streamlit.runtime import get_instance

    from hedong_geo.assets import serve

    serve()
    # AppTest's runtime records what the script registers (a real server then serves it).
    for call in get_instance().component_registry.register_component.call_args_list:
        component = call.args[0]
        st.text(f"{component.name}={component.abspath}")


def test_serve_registers_the_installed_folders_with_streamlit() -> None:
    from streamlit.testing.v1 import AppTest

    from hedong_geo.assets import _served_folders

    at = AppTest.from_function(_registered_script)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    registered = dict(t.value.split("=", 1) for t in at.text)
    assert registered == {
        f"hedong_geo.assets.{name}": str(path) for name, path in _served_folders().items()
    }
    assert serve() is served_url  # outside a Streamlit run: nothing registered, no error


def test_the_app_writes_no_static_folder_into_the_tree() -> None:
    app = paths.APP.read_text(encoding="utf-8")
    assert "serve()" in app and "install_static" not in app
    config = tomllib.loads(paths.STREAMLIT_CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is False


def test_localize_with_the_served_urls() -> None:
    m = localize(folium.Map(tiles=None), served_url)
    assert m.default_js == [
        ("leaflet", "/component/hedong_geo.assets.leaflet/leaflet.js"),
        ("jquery", "/component/hedong_geo.assets.jquery/jquery.min.js"),
    ]


def test_localize_rewrites_and_drops_links() -> None:
    m = localize(folium.Map(tiles=None), "/base/")
    assert m.default_js == [
        ("leaflet", "/base/vendor/leaflet/leaflet.js"),
        ("jquery", "/base/vendor/jquery/jquery.min.js"),
    ]
    assert m.default_css == [("leaflet_css", "/base/vendor/leaflet/leaflet.css")]
    # The class attribute folium shares between maps is untouched.
    assert folium.Map.default_js[0][1].startswith("https://")
    html = m.get_root().render()
    assert not REMOTE.search(html)


def test_the_app_page_goes_without_jquery(tmp_path: Path) -> None:
    from hedong_geo.layers import load_layers
    from hedong_geo.mapview import write_map_page

    m = drop_links(localize(folium.Map(tiles=None), served_url), APP_PAGE_DROPPED)
    assert m.default_js == [("leaflet", "/component/hedong_geo.assets.leaflet/leaflet.js")]
    assert folium.Map.default_js[1][0] == "jquery"  # the class is untouched
    name = write_map_page(load_layers(), asset_base=served_url, folder=tmp_path, cache=False)
    page = (tmp_path / name).read_text(encoding="utf-8")
    assert "hedong_geo.assets.leaflet/leaflet.js" in page
    assert "jquery" not in page.lower()


def test_localize_refuses_remote_plugins() -> None:
    m = folium.Map(tiles=None)
    folium.plugins.MeasureControl().add_to(m)
    with pytest.raises(ValueError, match="no offline copy"):
        localize(m)


def test_inline_assets_makes_one_self_contained_file() -> None:
    html = localize(folium.Map(tiles=None)).get_root().render()
    page = inline_assets(html)
    assert "<script src=" not in page and 'rel="stylesheet"' not in page
    assert "data:image/png;base64," in page  # leaflet.css images
    assert "Leaflet" in page
    # No inlined script can end its <script> block early.
    inlined = re.findall(r"<script>/\* (\S+) \*/\n(.*?)\n</script>", page, re.S)
    assert {name for name, _ in inlined} >= {"vendor/leaflet/leaflet.js"}
    assert all("</script" not in code for _, code in inlined)


def test_inline_assets_rejects_unknown_or_remote() -> None:
    with pytest.raises(ValueError, match="no local copy"):
        inline_assets('<script src="https://cdn.example/x.js"></script>')
    with pytest.raises(ValueError, match="no local copy"):
        inline_assets('<link rel="stylesheet" href="/app/static/missing.css"/>', static_dir=None)
