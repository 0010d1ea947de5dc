"""Chinese and Japanese captions: measure words (Chinese 个 / 颗), attributive forms
(Japanese 赤い / 緑の), the object after its place.

Each language's corpus frames (`*_FRAMES`) and held-out frames (`*_HELDOUT_FRAMES`: other
verbs and word orders, never in a parallel corpus); `*_single(obj, frames)` fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill
from gluegen_world.scenes import WorldObject

# -- Chinese ---------------------------------------------------------------------------------
ZH_NOUNS = {
    "circle": ("圆形", "个"),
    "square": ("正方形", "个"),
    "triangle": ("三角形", "个"),
    "star": ("星星", "颗"),  # stars take the measure word 颗
    "diamond": ("菱形", "个"),
}
ZH_COLOURS = {
    "red": "红色",
    "green": "绿色",
    "blue": "蓝色",
    "yellow": "黄色",
    "purple": "紫色",
    "orange": "橙色",
}
ZH_SIZES = {"small": "小", "big": "大"}
ZH_POSITIONS = {"left": "左边", "right": "右边", "top": "上面", "bottom": "下面"}
ZH_POSITIONS_ALT = {"left": "左侧", "right": "右侧", "top": "上方", "bottom": "下方"}
ZH_RELATIONS = {"left of": "左边", "right of": "右边", "above": "上面", "below": "下面"}


def zh_phrase(o: WorldObject, colour_first: bool = True) -> str:
    """'一个红色的小圆形' or '一颗大的黄色星星'."""
    noun, measure = ZH_NOUNS[o.shape]
    colour, size = ZH_COLOURS[o.colour], ZH_SIZES[o.size]
    first, second = (colour, size) if colour_first else (size, colour)
    return f"一{measure}{first}的{second}{noun}"


ZH_FRAMES = (
    "{pos}有{np}",
    "{np}在{pos}",
    "画面{pos}是{np}",
    "{np}位于{pos}",
    "{pos}可以看到{np}",
    "在{pos}的是{np}",
)
ZH_HELDOUT_FRAMES = ("在{pos}有{np}", "{np}出现在{pos}", "画面的{pos}有{np}", "{pos}是{np}")


def chinese_single(o: WorldObject, frames: tuple[str, ...] = ZH_FRAMES) -> list[str]:
    """Phrasings of one Chinese object, no spaces, colour or size first (corpus frames unless
    said)."""
    places = [ZH_POSITIONS[o.position], ZH_POSITIONS_ALT[o.position]]
    return fill(frames, places, [{"np": zh_phrase(o)}, {"np": zh_phrase(o, colour_first=False)}])


def chinese_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Chinese objects: A 在 B 的左边 / B 的左边有 A."""
    rel = ZH_RELATIONS[relation]
    return [f"{zh_phrase(a)}在{zh_phrase(b)}的{rel}", f"{zh_phrase(b)}的{rel}有{zh_phrase(a)}"]


# -- Japanese --------------------------------------------------------------------------------
JA_NOUNS = {
    "circle": "円",
    "square": "正方形",
    "triangle": "三角形",
    "star": "星",
    "diamond": "ひし形",
}
# Attributive forms: i-adjectives end in い; nouns used as colours take の.
JA_COLOURS = {
    "red": "赤い",
    "green": "緑の",
    "blue": "青い",
    "yellow": "黄色い",
    "purple": "紫の",
    "orange": "オレンジ色の",
}
JA_SIZES = {"small": ("小さい", "小さな"), "big": ("大きい", "大きな")}
JA_POSITIONS = {"left": "左", "right": "右", "top": "上", "bottom": "下"}
JA_RELATIONS = {"left of": "左", "right of": "右", "above": "上", "below": "下"}


def ja_phrase(o: WorldObject, na_form: bool = False) -> str:
    """'小さい赤い円' or, with the pre-noun form, '小さな赤い円'."""
    return f"{JA_SIZES[o.size][int(na_form)]}{JA_COLOURS[o.colour]}{JA_NOUNS[o.shape]}"


JA_FRAMES = (
    "{pos}に{np}があります",
    "{np}が{pos}にある",
    "{pos}側の{np}",
    "{pos}側に{np}がある",
    "{np}は{pos}にあります",
    "{pos}に{np}が見える",
)
JA_HELDOUT_FRAMES = (
    "{np}が{pos}に見えます",
    "{pos}にあるのは{np}",
    "{np}は{pos}側にある",
    "{pos}には{np}があります",
)


def japanese_single(o: WorldObject, frames: tuple[str, ...] = JA_FRAMES) -> list[str]:
    """Phrasings of one Japanese object, the verb last, 小さい or 小さな (corpus frames unless
    said)."""
    phrases = [{"np": ja_phrase(o)}, {"np": ja_phrase(o, na_form=True)}]
    return fill(frames, [JA_POSITIONS[o.position]], phrases)


def japanese_pair(a: WorldObject, relation: str, b: WorldObject) -> list[str]:
    """Phrasings of two Japanese objects: B の左に A がある."""
    rel = JA_RELATIONS[relation]
    return [
        f"{ja_phrase(b)}の{rel}に{ja_phrase(a)}がある",
        f"{ja_phrase(a)}は{ja_phrase(b)}の{rel}にあります",
    ]
