"""Chinese and Japanese captions: measure words (Chinese 个 / 颗), attributive forms
(Japanese 赤い / 緑の), the object after its place.

Each language's corpus frames (`*_FRAMES`) and held-out frames (`*_HELDOUT_FRAMES`: other
verbs and word orders, never in a parallel corpus); `*_single(obj, frames)` fills them."""

from __future__ import annotations

from gluegen_world.captions.frames import fill, places
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


# -- the other families: what people also write ----------------------------------------------
# `{pos}` is a corpus place; `{where}` any place, a third wording included.
ZH_POSITIONS_THIRD = {"left": "最左边", "right": "最右边", "top": "最上面", "bottom": "最下面"}
ZH_SHORT_NOUNS = {"circle": "圆", "square": "方块"}  # what people type: 大圆, 红方块


def zh_forms(o: WorldObject) -> list[dict[str, str]]:
    """'左边的圆形是红色的，很大', '请画一个蓝色的大圆在右边' ..."""
    noun, measure = ZH_NOUNS[o.shape]
    short = ZH_SHORT_NOUNS.get(o.shape, noun)
    colour, size = ZH_COLOURS[o.colour], ZH_SIZES[o.size]
    return [
        {
            "np": zh_phrase(o, colour_first),
            "np_short": zh_phrase(o, colour_first).replace(noun, short),
            "pos": pos,
            "where": where,
            "m": measure,
            "noun": noun,
            "short": short,
            "colour": colour,
            "size": size,
        }
        for pos, where in places(o.position, ZH_POSITIONS, ZH_POSITIONS_ALT, ZH_POSITIONS_THIRD)
        for colour_first in (True, False)
    ]


def zh_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'一个红色的大圆形出现在一个蓝色的小正方形的左边', '红色大圆形在蓝色小正方形左边' ..."""

    def bare(o: WorldObject) -> str:
        return f"{ZH_COLOURS[o.colour]}{ZH_SIZES[o.size]}{ZH_NOUNS[o.shape][0]}"

    return [
        {
            "a": zh_phrase(a),
            "b": zh_phrase(b),
            "bare_a": bare(a),
            "bare_b": bare(b),
            "rel": ZH_RELATIONS[relation],
        }
    ]


# family -> (one-object frames, two-object frames)
ZH_FAMILIES = {
    "verbs": (ZH_HELDOUT_FRAMES, ("{a}出现在{b}的{rel}", "在{b}的{rel}可以看到{a}")),
    "relative": (
        (
            "{where}有一{m}{size}{noun}，是{colour}的",
            "在{where}的是一{m}{colour}的{noun}，很{size}",
        ),
        ("在{b}的{rel}的是{a}",),
    ),
    "predicate": (
        ("{where}的{noun}是{colour}的，很{size}", "{where}那个{noun}很{size}，是{colour}的"),
        ("{b}的{rel}是{a}",),
    ),
    "dropped": (
        ("{where}一{m}{colour}{size}{short}", "{colour}{size}{short}在{where}"),
        ("{bare_a}在{bare_b}{rel}",),
    ),
    "request": (
        ("画{np_short}在{where}", "请画{np_short}在{where}", "在{where}画{np}"),
        ("画{a}在{b}的{rel}",),
    ),
    "photo": (
        ("一张{where}有{np}的照片", "给我看{where}有{np_short}的照片"),
        ("一张{b}的{rel}有{a}的照片",),
    ),
    "polite": (
        (
            "请在{where}画{np_short}",
            "我想要一张图，{where}有{np}",
            "帮我画一张{where}有{np_short}的图",
            "能不能在{where}画{np}？",
        ),
        ("请在{b}的{rel}画{a}", "我想要一张图，{b}的{rel}有{a}"),
    ),
}


JA_POSITIONS_THIRD = {"left": "左の方", "right": "右の方", "top": "上の方", "bottom": "下の方"}
# Colours and sizes joined to what follows (te-form: 赤くて大きい) and as predicates (赤い, 緑だ)
JA_COLOURS_TE = {
    "red": "赤くて",
    "green": "緑で",
    "blue": "青くて",
    "yellow": "黄色くて",
    "purple": "紫で",
    "orange": "オレンジ色で",
}
JA_COLOURS_PREDICATE = {
    "red": "赤い",
    "green": "緑だ",
    "blue": "青い",
    "yellow": "黄色い",
    "purple": "紫だ",
    "orange": "オレンジ色だ",
}
JA_SIZES_TE = {"small": "小さくて", "big": "大きくて"}


def ja_forms(o: WorldObject) -> list[dict[str, str]]:
    """'左の円は赤くて大きい', '左に大きい赤い円を描いてください' ..."""
    noun = JA_NOUNS[o.shape]
    size = JA_SIZES[o.size][0]
    colour_te, size_te = JA_COLOURS_TE[o.colour], JA_SIZES_TE[o.size]
    corpus = JA_POSITIONS[o.position]
    return [
        {
            "np": ja_phrase(o, na_form),
            "pos": corpus,
            "where": where,
            "noun": noun,
            "np_te": f"{colour_te}{size}{noun}",
            "colour_first": f"{JA_COLOURS[o.colour]}{size}{noun}",
            "colour_te": colour_te,
            "size_te": size_te,
            "colour_pred": JA_COLOURS_PREDICATE[o.colour],
            "size_pred": size,
        }
        for where in (corpus, f"{corpus}側", JA_POSITIONS_THIRD[o.position])
        for na_form in (False, True)
    ]


def ja_pair_forms(a: WorldObject, relation: str, b: WorldObject) -> list[dict[str, str]]:
    """'青い小さい正方形の左にある円は赤くて大きい' ..."""
    return [
        {
            "a": ja_phrase(a),
            "b": ja_phrase(b),
            "noun_a": JA_NOUNS[a.shape],
            "colour_te_a": JA_COLOURS_TE[a.colour],
            "size_pred_a": JA_SIZES[a.size][0],
            "colour_first_a": f"{JA_COLOURS[a.colour]}{JA_SIZES[a.size][0]}{JA_NOUNS[a.shape]}",
            "rel": JA_RELATIONS[relation],
        }
    ]


JA_FAMILIES = {
    "verbs": (JA_HELDOUT_FRAMES, ("{b}の{rel}に{a}が見える", "{b}の{rel}側に{a}があります")),
    "relative": (
        ("{where}に{np_te}がある", "{np_te}が{where}に描かれている"),
        ("{b}の{rel}にあるのは{a}",),
    ),
    "predicate": (
        ("{where}の{noun}は{colour_te}{size_pred}", "{where}にある{noun}は{size_te}{colour_pred}"),
        ("{b}の{rel}にある{noun_a}は{colour_te_a}{size_pred_a}",),
    ),
    "dropped": (
        ("{colour_first}、{where}", "{where}に{colour_first}"),
        ("{colour_first_a}、{b}の{rel}",),
    ),
    "request": (("{where}に{np}を描いて", "{np}を{where}に描いて"), ("{b}の{rel}に{a}を描いて",)),
    "photo": (
        ("{where}に{np}がある写真", "{np}が{where}にある写真を見せて"),
        ("{b}の{rel}に{a}がある写真",),
    ),
    "polite": (
        (
            "{where}に{np}を描いてください",
            "{where}に{np}がある絵をください",
            "{np}を{where}に描いてくれませんか",
        ),
        ("{b}の{rel}に{a}を描いてください",),
    ),
}
