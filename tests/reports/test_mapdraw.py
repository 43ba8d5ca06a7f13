import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gisaudit.reports.mapdraw import _nice_length, draw_polygons, polygons_path, simplify_for_map


def _render(geoms, xmax=40.0, ymax=10.0):
    """Draw geoms black on white at 10 px per unit; return a function (x, y) -> is black."""
    fig = Figure(figsize=(xmax / 10, ymax / 10), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, ymax)
    ax.set_axis_off()
    draw_polygons(ax, geoms, facecolor="black")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())
    return lambda x, y: image[int((ymax - y) * 10), int(x * 10), 0] < 50


def test_polygons_are_filled_with_holes_and_multiparts():
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 7, 7))
    other = shapely.MultiPolygon([shapely.box(20, 0, 22, 2), shapely.box(30, 0, 31, 1)])
    # a clockwise exterior must be filled too (orientation is normalised)
    cw = shapely.Polygon([(12, 0), (12, 5), (17, 5), (17, 0)])
    black = _render([ring, other, cw, shapely.Point(0, 0)])
    assert black(1, 1) and black(9, 9)
    assert not black(5, 5)  # inside the hole
    assert black(21, 1) and black(30.5, 0.5) and black(14.5, 2.5)
    assert not black(25, 1) and not black(35, 5)


def test_polygons_path_empty():
    assert polygons_path([]) is None
    assert polygons_path([shapely.Polygon()]) is None


def test_simplify_for_map_reduces_vertices():
    circle = shapely.Point(0, 0).buffer(1000, quad_segs=256)
    simple = simplify_for_map(np.array([circle]), extent=2000)[0]
    assert len(simple.exterior.coords) < len(circle.exterior.coords) / 4
    assert abs(simple.area - circle.area) / circle.area < 1e-2


def test_nice_length():
    assert _nice_length(4300) == 2000
    assert _nice_length(780) == 500
    assert _nice_length(100) == 100
