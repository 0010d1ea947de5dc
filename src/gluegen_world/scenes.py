"""Scenes of the shapes world, and their renderer.

A scene holds one object, or two objects in a spatial relation ("a red circle left of a blue
diamond"). An object has a shape, a colour, a size and a position. Rendering is deterministic
from a seed: the seed jitters placement and tint a little, so that no two renders of the same
scene are identical, as with photographs.

Images are (H, W, 3) uint8 arrays on a grey background, drawn 4x larger and averaged down so
that edges are anti-aliased.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import numpy as np

SHAPES = ("circle", "square", "triangle", "star", "diamond")
COLOURS = {
    "red": (215, 40, 40),
    "green": (40, 160, 60),
    "blue": (45, 80, 215),
    "yellow": (235, 205, 35),
    "purple": (135, 55, 175),
    "orange": (245, 135, 25),
}
SIZES = ("small", "big")
POSITIONS = ("left", "right", "top", "bottom")
# Two-object relations: the first object's position, then the second's.
RELATIONS = {
    "left of": ("left", "right"),
    "right of": ("right", "left"),
    "above": ("top", "bottom"),
    "below": ("bottom", "top"),
}
ATTRIBUTES = ("shape", "colour", "size", "position")

IMAGE_SIZE = 32
BACKGROUND = (128, 128, 128)
SUPERSAMPLE = 4  # draw at 4x and average down: anti-aliased edges
# Geometry, as fractions of the image side.
RADIUS = {"small": 0.12, "big": 0.2}
CENTRES = {"left": (0.27, 0.5), "right": (0.73, 0.5), "top": (0.5, 0.27), "bottom": (0.5, 0.73)}
JITTER = 0.04  # placement jitter, a fraction of the side
TINT_JITTER = 12  # colour jitter, in 0-255 units per channel
STAR_INNER = 0.45  # inner radius of the star, a fraction of the outer


@dataclass(frozen=True)
class WorldObject:
    """One object: shape, colour, size, position (each one of the world's words)."""

    shape: str
    colour: str
    size: str
    position: str

    def __post_init__(self) -> None:
        for name, valid in (
            ("shape", SHAPES),
            ("colour", COLOURS),
            ("size", SIZES),
            ("position", POSITIONS),
        ):
            if getattr(self, name) not in valid:
                raise ValueError(f"Unknown {name} {getattr(self, name)!r}; one of {list(valid)}.")


@dataclass(frozen=True)
class Scene:
    """One object, or two in a relation (the first object `relation` the second)."""

    objects: tuple[WorldObject, ...]
    relation: str | None = None

    def __post_init__(self) -> None:
        if len(self.objects) == 1 and self.relation is None:
            return
        if len(self.objects) != 2 or self.relation not in RELATIONS:
            raise ValueError(f"A scene is one object, or two with a relation in {list(RELATIONS)}.")
        expected = RELATIONS[self.relation]
        if tuple(o.position for o in self.objects) != expected:
            raise ValueError(f"'{self.relation}' puts the objects at {expected}.")

    @classmethod
    def single(cls, shape: str, colour: str, size: str, position: str) -> Scene:
        """A one-object scene."""
        return cls((WorldObject(shape, colour, size, position),))

    @classmethod
    def pair(
        cls, first: tuple[str, str, str], relation: str, second: tuple[str, str, str]
    ) -> Scene:
        """Two objects, each (shape, colour, size), the first `relation` the second."""
        positions = RELATIONS[relation] if relation in RELATIONS else ("left", "right")
        objects = (WorldObject(*first, positions[0]), WorldObject(*second, positions[1]))
        return cls(objects, relation)


def all_single_scenes() -> list[Scene]:
    """Every one-object scene: shapes x colours x sizes x positions."""
    return [
        Scene.single(*combination)
        for combination in itertools.product(SHAPES, COLOURS, SIZES, POSITIONS)
    ]


def random_scene(rng: random.Random, two_objects: float = 0.0) -> Scene:
    """A random scene; with probability `two_objects` a two-object one."""
    if rng.random() < two_objects:
        relation = rng.choice(list(RELATIONS))
        first, second = (
            (rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(SIZES)) for _ in range(2)
        )
        return Scene.pair(first, relation, second)
    return Scene.single(
        rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(SIZES), rng.choice(POSITIONS)
    )


def _polygon_mask(x: np.ndarray, y: np.ndarray, vertices: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd rule: which grid points (x, y) lie inside the polygon."""
    inside = np.zeros(x.shape, dtype=bool)
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < x_cross)
    return inside


def shape_mask(
    shape: str, x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float
) -> np.ndarray:
    """Boolean mask of `shape` centred at (cx, cy) with radius r, on grid coordinates x, y."""
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r**2
    if shape == "square":
        half = r * 0.85  # equal area feel with the circle
        return (np.abs(x - cx) <= half) & (np.abs(y - cy) <= half)
    if shape == "diamond":
        return np.abs(x - cx) + np.abs(y - cy) <= r * 1.1
    if shape == "triangle":
        vertices = [(cx, cy - r), (cx + r, cy + 0.8 * r), (cx - r, cy + 0.8 * r)]
        return _polygon_mask(x, y, vertices)
    if shape == "star":
        vertices = []
        for k in range(10):
            radius = r * 1.15 if k % 2 == 0 else r * 1.15 * STAR_INNER
            angle = -math.pi / 2 + k * math.pi / 5
            vertices.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        return _polygon_mask(x, y, vertices)
    raise ValueError(f"Unknown shape {shape!r}; one of {list(SHAPES)}.")


def render(scene: Scene, seed: int = 0, size: int = IMAGE_SIZE) -> np.ndarray:
    """Draw `scene`: (size, size, 3) uint8, deterministic from `seed`."""
    rng = np.random.default_rng(seed)
    big = size * SUPERSAMPLE
    coords = (np.arange(big) + 0.5) / SUPERSAMPLE  # pixel units of the final image
    x, y = np.meshgrid(coords, coords)
    canvas = np.empty((big, big, 3), dtype=np.float32)
    canvas[:] = BACKGROUND
    for item in scene.objects:
        fx, fy = CENTRES[item.position]
        cx = (fx + rng.uniform(-JITTER, JITTER)) * size
        cy = (fy + rng.uniform(-JITTER, JITTER)) * size
        colour = np.clip(
            np.array(COLOURS[item.colour]) + rng.integers(-TINT_JITTER, TINT_JITTER + 1, 3), 0, 255
        )
        canvas[shape_mask(item.shape, x, y, cx, cy, RADIUS[item.size] * size)] = colour
    small = canvas.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))
    return np.round(small).astype(np.uint8)
