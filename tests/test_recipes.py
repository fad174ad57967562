"""The layer recipes on small, made-up geometry in metres (EPSG:4527-like coordinates)."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, Polygon, box

from hedong_geo import recipes

# A 4 km × 3 km "district" with a notch, and a "river" along its west edge.
DISTRICT = Polygon([(0, 0), (4000, 0), (4000, 3000), (2000, 3000), (2000, 2500), (0, 2500)])
RIVER = LineString([(0, 2500), (0, 0)])


def test_calibrate_area_hits_the_target():
    shape, radius = recipes.calibrate_area(
        lambda r: DISTRICT.intersection(Point(0, 0).buffer(r)), 2e6, 1, 10_000
    )
    assert shape.area == pytest.approx(2e6, rel=1e-4)
    assert 0 < radius < 10_000


def test_calibrate_area_refuses_an_impossible_target():
    with pytest.raises(ValueError, match="outside what the recipe can make"):
        recipes.calibrate_area(
            lambda r: DISTRICT.intersection(Point(0, 0).buffer(r)), 99e6, 1, 10_000
        )


def test_station_zone_is_inside_the_district_with_the_area_asked():
    zone, _ = recipes.station_zone(DISTRICT, Point(100, 2400), Point(100, 1000), 3e6)
    assert zone.area == pytest.approx(3e6, rel=1e-4)
    assert DISTRICT.buffer(1e-6).contains(zone)


def test_belt_runs_along_the_river_inside_the_district():
    band = recipes.belt(RIVER, DISTRICT, 300)
    assert band.area == pytest.approx(2500 * 300, rel=0.01)
    assert band.bounds[2] == pytest.approx(300)


def test_frontage_segment_lies_between_its_two_anchors():
    piece = recipes.frontage_segment(RIVER, DISTRICT, Point(500, 2000), Point(500, 1000), 200)
    assert piece.bounds[1] == pytest.approx(800) and piece.bounds[3] == pytest.approx(2200)


def test_quadrants_tile_any_shape():
    area = DISTRICT.intersection(box(1000, 500, 3500, 2900))
    parts = recipes.quadrants(area, Point(2500, 1500))
    assert set(parts) == {"ne", "nw", "se", "sw"}
    assert sum(p.area for p in parts.values()) == pytest.approx(area.area)
    union = parts["ne"].union(parts["nw"]).union(parts["se"]).union(parts["sw"])
    assert union.symmetric_difference(area).area < 1e-6
    assert parts["ne"].centroid.x > 2500 and parts["ne"].centroid.y > 1500


def test_park_from_anchors_rests_on_the_southern_boundary_and_splits_between_them():
    anchors = {
        "sw": [(Point(2500, 800), 100.0)],
        "se": [(Point(3500, 700), 100.0)],
        "ne": [(Point(3400, 1800), 100.0)],
    }
    zone = box(2000, -500, 4000, 2600)
    park, centre = recipes.park_from_anchors(anchors, DISTRICT, zone)
    assert park.bounds[1] == pytest.approx(0)  # extended south to the district's boundary
    assert zone.buffer(1e-6).contains(park) and DISTRICT.buffer(1e-6).contains(park)
    assert centre.x == pytest.approx(2950) and centre.y == pytest.approx(1300)
    parts = recipes.quadrants(park, centre)
    for quadrant, pairs in anchors.items():
        assert all(parts[quadrant].contains(p) for p, _ in pairs), quadrant


def test_park_from_anchors_refuses_anchors_on_the_wrong_side():
    anchors = {"sw": [(Point(3600, 800), 50.0)], "se": [(Point(3500, 700), 50.0)]}
    with pytest.raises(ValueError, match="western anchors do not all lie west"):
        recipes.park_from_anchors(anchors, DISTRICT, box(0, 0, 4000, 3000))


def test_covering_circle_reaches_every_object_with_its_accuracy():
    assert recipes.covering_circle([(Point(5, 5), 40.0)]) == (Point(5, 5), 40.0)
    centre, radius = recipes.covering_circle([(Point(0, 0), 40.0), (Point(300, 0), 10.0)])
    assert centre == Point(150, 0) and radius == pytest.approx(190)


def test_tributary_has_the_length_and_stays_inside():
    line = recipes.tributary(RIVER, DISTRICT, 2000)
    assert line.length == pytest.approx(2000)
    assert DISTRICT.buffer(1).contains(line)
    with pytest.raises(ValueError, match="no straight line of 9000 m"):
        recipes.tributary(RIVER, DISTRICT, 9000)


@pytest.mark.parametrize(
    ("accuracy", "decimals"), [(50, 5), (150, 4), (1000, 4), (2500, 3), (0.5, 6)]
)
def test_coordinates_say_no_more_than_the_accuracy(accuracy, decimals):
    assert recipes.decimals_for(accuracy) == decimals
    assert 10**-decimals * 111_320 <= accuracy / 10 or decimals in (3, 6)  # the bounds
