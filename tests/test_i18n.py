"""The interface in English and Korean: the catalogs agree key by key, the Korean
one is Korean (code, names and units aside), placeholders match, the glossary's terms are kept,
every page renders in Korean, and a library error shows in the page's language."""

from __future__ import annotations

import re
import string
import unicodedata

import pytest

from cnnviz.models import PRESETS
from conftest import PAGES_DIR, app_test
from ui.locales import CATALOGS
from ui.locales.glossary import GLOSSARY

pytestmark = pytest.mark.apptest

EN, KO = CATALOGS["en"], CATALOGS["ko"]

# Latin words a Korean string may keep: code and its names, proper names (networks, people,
# libraries, file formats), units and abbreviations as the Korean d2l edition writes them.
ALLOWED = {
    # networks, data, libraries, people, tools
    "d2l", "idx1", "idx3", "lenet", "vgg", "resnet", "relu", "pytorch", "torch", "torchvision",
    "fashion", "mnist",
    "cnnviz", "grad", "cam", "sobel", "laplacian", "xavier", "sgd", "selvaraju", "adebayo",
    "lecun", "streamlit", "debian", "plotly", "tensorflow", "playground", "fcn", "mlp",
    "dive", "into", "deep", "learning", "sanity", "checks", "for", "saliency", "maps", "et",
    "al", "cuda", "ray", "sqlite", "make", "run", "python", "cnnviz_home", "cnnviz_data",
    "cnnviz_teacher_secret", "teacher_secret", "secrets", "toml", "bn",
    "english", "resnext", "inception", "mpo", "exif", "jpeg", "png", "csv", "json", "rgb", "rgba",
    "safetensors", "cpu", "gpu", "gpus", "nvidia", "lazyconv2d", "maxpool2d", "avgpool2d",
    "adaptiveavgpool2d", "lazybatchnorm2d", "conv2d", "conv", "fc", "id", "url", "ok", "sudo",
    "apt", "get", "install", "usr", "share", "datasets", "idx", "ubyte", "gz", "train",
    "images", "labels", "t10k", "dataset", "ko", "en", "lang", "http", "https",
    # units and short symbols
    "mb", "kb", "gb", "ms", "min", "px", "p", "s", "h", "w", "x", "y", "k", "c", "i", "j", "n",
    "t", "d", "out",
    "nn", "lr", "max", "avg", "mean", "sum", "abs", "log", "σ",
    # code: torch modules and the functions the pages write out (dense(X), conv(X))
    "flatten", "linear", "dense", "nan", "kaiming", "uniform", "inf", "arange", "indices",
    "maxpool",
}  # fmt: skip
# Strings that are the same on purpose in both languages: the switch names both languages.
SAME_IN_BOTH = {("common", "language")}
PRESET_NAMES = re.compile("|".join(sorted(map(re.escape, PRESETS), key=len, reverse=True)))
CODE = re.compile(
    r"`[^`]*`|<[^>]+>|\{[^{}]*\}|:material/[a-z_]+:|\]\([^)]*\)|https?://\S+|/[\w/.-]+"
    r"|\S*\.[A-Za-z_]\S*"  # dotted code: nn.Conv2d(X).shape[2:], X.t(), .safetensors
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def leaves(tree, path=()):
    """(path, value) for every string of a catalog (or section), depth first."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, (*path, key))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from leaves(value, (*path, i))
    else:
        yield path, tree


def at_path(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def shape(tree):
    """The keys of a catalog, recursively (strings become None)."""
    if isinstance(tree, dict):
        return {k: shape(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [shape(v) for v in tree]
    return None


def fields(text: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)


def test_every_key_in_both_languages():
    assert shape(KO) == shape(EN)


def test_every_string_is_a_string():
    for lang, catalog in CATALOGS.items():
        for path, value in leaves(catalog):
            assert isinstance(value, str), (lang, path, value)


# English articles ("a shirt", "an ankle boot"): Korean has none, so it may leave them out.
ENGLISH_ONLY_FIELDS = {"a", "a2"}


def test_placeholders_match():
    def named(text):
        return [f for f in fields(text) if f not in ENGLISH_ONLY_FIELDS]

    for path, english in leaves(EN):
        assert named(at_path(KO, path)) == named(english), path


def english_words(text: str) -> list[str]:
    """The Latin words of ``text`` outside code, placeholders, icons, links and paths that
    are not on the allow-list."""
    text = PRESET_NAMES.sub(" ", CODE.sub(" ", text))
    code = re.compile(r"[_0-9]|^[A-Z]+$")  # identifiers (num_epochs, train_ch6), FILE, K, X
    return [w for w in WORD.findall(text) if w.lower() not in ALLOWED and not code.search(w)]


def test_no_english_left_in_korean():
    left = {}
    for path, korean in leaves(KO):
        english = at_path(EN, path)
        if path in SAME_IN_BOTH or korean == english and not english_words(english):
            continue  # a name, a number or code: the same in both
        if words := english_words(korean):
            left[path] = words
    assert not left, left


def test_korean_strings_are_korean():
    """Every Korean string with words in it has Hangul (nothing copied over untranslated)."""
    for path, korean in leaves(KO):
        english = at_path(EN, path)
        if english_words(english) and korean == english and path not in SAME_IN_BOTH:
            pytest.fail(f"{path}: untranslated: {korean!r}")


def unbolded(text: str) -> list[str]:
    """The ``**`` of ``text`` that Markdown would show as asterisks: CommonMark opens bold
    only where the ``**`` is left-flanking and closes it only where it is right-flanking, so
    ``**f(x)**를`` (punctuation, then a letter straight after) stays literal. Placeholders are
    filled as a page fills them (a percentage ends in ``%``, anything else in a letter)."""
    text = re.sub(r"\{[^{}]*%\}", "45%", re.sub(r"`[^`]*`", "x", text))
    text = re.sub(r"\{[^{}]*\}", "x1", text)

    def punct(c: str) -> bool:
        return c == "" or unicodedata.category(c)[0] in "PS"

    def space(c: str) -> bool:
        return c == "" or c.isspace()

    runs = list(re.finditer(r"(?<!\*)\*\*(?!\*)", text))
    bad = []
    for i, m in enumerate(runs):
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        opens = not space(after) and (not punct(after) or space(before) or punct(before))
        closes = not space(before) and (not punct(before) or space(after) or punct(after))
        if len(runs) % 2 or not (closes if i % 2 else opens):
            bad.append(text[max(0, m.start() - 15) : m.end() + 15])
    return bad


def test_bold_text_is_bold_in_both_languages():
    """No catalog string shows literal asterisks where it meant bold (a Korean particle right
    after a bold formula or percentage keeps Markdown from closing it)."""
    broken = {
        (lang, path): bad
        for lang, catalog in CATALOGS.items()
        for path, text in leaves(catalog)
        if (bad := unbolded(text))
    }
    assert not broken, broken
    assert unbolded("경계 **Y = corr2d(X, K)**를") and unbolded("**{share:.0%}**가")
    assert not unbolded("경계 **Y**(= corr2d(X, K))를") and not unbolded("**{n}**개")


def terms_in(text: str) -> set[str]:
    """The glossary's English terms in ``text`` (longest first; inflections allowed)."""
    text = CODE.sub(" ", text).lower()
    found = set()
    for term in sorted(GLOSSARY, key=len, reverse=True):
        pattern = re.compile(r"\b" + re.escape(term) + r"(s|es|ed|ing)?\b")
        if pattern.search(text):
            found.add(term)
            text = pattern.sub(" ", text)  # a longer term hides the shorter ones inside it
    return found


def test_glossary_terms_kept():
    missing = {}
    for path, english in leaves(EN):
        korean = at_path(KO, path)
        lost = [t for t in terms_in(english) if GLOSSARY[t] not in korean]
        if lost:
            missing[path] = {t: GLOSSARY[t] for t in lost}
    assert not missing, missing


def test_glossary_finds_its_terms():
    assert terms_in("Max pooling and padding") == {"max pooling", "padding"}
    assert terms_in("the `padding` argument") == set()
    assert terms_in("four epochs of gradient descent") == {"epoch", "gradient descent"}


PAGES = sorted(p.name for p in PAGES_DIR.glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_korean(page):
    at = app_test(page)
    at.query_params["lang"] = "ko"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "문제가 생겼습니다" in e.value]  # the boundary
    assert at.title and HANGUL.search(at.title[0].value), (page, [t.value for t in at.title])


# -- the library's messages by key ---------------------------------------------------------


def keyed_errors():
    """Real errors and notes of the library, each with its key."""
    import io

    from PIL import Image

    from cnnviz import classroom as C
    from cnnviz import images

    out = []
    for data, name in ((b"", "empty.png"), (b"not an image", "notes.png")):
        with pytest.raises(images.ImageError) as got:
            images.load_upload(data, name)
        out.append(got.value)
    buf = io.BytesIO()
    Image.new("L", (4000, 40)).save(buf, "PNG")
    with pytest.raises(images.ImageError) as got:
        images.load_upload(buf.getvalue(), "long.png")
    out.append(got.value)
    buf = io.BytesIO()
    Image.new("LA", (300, 200)).save(buf, "PNG")
    out += images.load_upload(buf.getvalue(), "alpha.png", max_side=64).notes
    import dataclasses

    from cnnviz.models import PRESETS, SpecError, validate

    for preset, change in (
        ("VGG-11", dict(input_size=8)),  # a stage shrinks the map away (quotes a stage, a hint)
        ("LeNet", dict(channels=(0, 16))),  # out of range (quotes a field's name)
        ("VGG-11", dict(arch=((1, 64), (0, 128)))),  # an arch row
    ):
        with pytest.raises(SpecError) as got:
            validate(dataclasses.replace(PRESETS[preset], **change))
        out.append(got.value)
    from cnnviz import ops
    from cnnviz.runfile import RunFileError, read_run_file

    for data in (b"tiny", b"\x89PNG\r\n\x1a\n" + bytes(64)):  # short; a PNG's header length
        with pytest.raises(RunFileError) as got:
            read_run_file(data, "upload.safetensors")
        out.append(got.value)

    out += ops.check_conv_shape((4, 6), (5, 3), dilation_hw=(1, 2))  # one axis, dilated
    out += ops.check_pool_shape((8, 8), 3, padding_hw=2, dilation_hw=2, mode="avg")
    student, limits = C.User("s1"), C.Limits()
    for queued, total, seconds in ((4, 4, 1.0), (0, 60, 1.0), (0, 0, 3600.0)):
        with pytest.raises(C.LimitError) as got:
            C.check_submit(student, 1, queued, total, seconds, limits)
        out.append(got.value)
    import tempfile
    from pathlib import Path

    from cnnviz.runs import CheckpointError, RunStore

    with tempfile.TemporaryDirectory() as folder:  # a run's weights and snapshots, damaged
        store = RunStore(Path(folder))
        store.checkpoint_path("r").write_bytes(b"not safetensors")
        store.snapshots_path("r").write_bytes(b"not safetensors")
        with pytest.raises(CheckpointError) as got:
            store.load_state_dict("r")
        out.append(got.value)
        with pytest.raises(CheckpointError) as got:
            store.load_snapshot("r", 1)
        out.append(got.value)
    return out


def test_library_messages_have_keys_in_both_catalogs():
    from ui.i18n import message

    found = keyed_errors()
    assert {e.key for e in found} >= {
        "image.empty", "image.aspect", "note.alpha", "spec.shrink", "runfile.short",
        "runfile.header_length", "ops.too_big", "limit.too_long", "checkpoint.unreadable",
        "snapshots.unreadable",
    }  # fmt: skip
    for exc in found:
        assert exc.key in EN["errors"], exc.key
        # The English catalog says what the library says (the CLI and logs print str(exc)).
        assert EN["errors"][exc.key].format(**exc.params) == str(exc)
        assert message(exc, "en") == str(exc)
        korean = message(exc, "ko")
        nested = {
            k: message(v, "ko") if getattr(v, "key", None) else v for k, v in exc.params.items()
        }
        assert HANGUL.search(korean) and korean == KO["errors"][exc.key].format(**nested)
        for v in exc.params.values():  # quoted names and hints are translated too
            if getattr(v, "key", None) and not HANGUL.search(v):
                assert not re.search(rf"\b{re.escape(v)}\b", korean), (exc.key, v)


def test_an_unknown_key_falls_back_to_english():
    from cnnviz.errors import KeyedError
    from ui.i18n import message

    assert message(KeyedError("plain English", "no.such.key"), "ko") == "plain English"
    assert message(ValueError("no key at all"), "ko") == "no key at all"
