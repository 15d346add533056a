"""Inside a CNN, sections 2 to 7: the network run on the picture and every view of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from cnnviz.data import (
    data_root,
)
from cnnviz.explain import (
    Favourites,
    TopPatches,
    channel_peaks,
    conv_layers,
    favourites,
    receptive_field,
    top_patches,
)
from cnnviz.grids import grid_html
from cnnviz.model import CNN, count_parameters, feature_maps, layer_kind, saliency, to_tensor
from cnnviz.mosaic import (
    SIGNED_MAP,
    UNSIGNED_MAP,
    Mosaic,
    bars_html,
    close_up,
    colour_scale_html,
    colours,
    default_scale,
    encode_png,
    feature_mosaic,
    kernel_sheet,
    patch_sheet,
    strip,
)
from cnnviz.plotting import image_to_rgb, symmetric_limit
from cnnviz.preprocess import Preprocessed
from cnnviz.weights import WeightsError, load_top_patches, pixels_sha256
from pages.inside_cnn.model import (
    OPEN_TOP,
    Chosen,
    NetworkKey,
    channel_param,
    layer_param,
    shape_text,
)
from pages.inside_cnn.picture import Picture, PictureName, test_pictures, test_set
from ui import address, cache, linked, theme, views
from ui.models import assets_dir

STRIP_PX = 1200  # the flattened numbers and the hidden layer are drawn about this wide

# Every picture of the page is drawn and encoded once for the class, in the server's one
# budget (ui.cache): its key is the network's key, the picture's key and the place on the
# page, passed as arguments; the arrays they name are left out of the key (leading _).


@cache.budgeted("picture")
def _kernel_sheet(model: str, layer: str, _weights: np.ndarray) -> tuple[Mosaic, bytes]:
    """All the kernels ``(out, in, k, k)`` of one layer of ``model``, and its PNG."""
    if _weights.shape[1] == 1:
        sheet = feature_mosaic(_weights[:, 0], signed=True)
    else:
        sheet = kernel_sheet(_weights)
    return sheet, encode_png(sheet.picture)


@cache.budgeted("picture")
def _close_up(
    model: str, picture: str, layer: str, channel: int, _values: np.ndarray, mark: tuple
) -> tuple[Mosaic, bytes]:
    """One map ``(H, W)`` enlarged with its rows and columns numbered, ``mark`` outlined."""
    shown = close_up(_values, signed=True, mark=mark)
    return shown, encode_png(shown.picture)


@cache.budgeted("picture")
def _slices(model: str, layer: str, channel: int, _kernel: np.ndarray) -> tuple[Mosaic, bytes]:
    """One kernel's slices ``(in, k, k)``, numbered, and its PNG."""
    slices = feature_mosaic(_kernel, signed=True, columns=8)
    return slices, encode_png(slices.picture)


@cache.budgeted("picture")
def _strip(model: str, picture: str, layer: str, _values: np.ndarray) -> bytes:
    """PNG of a layer's numbers drawn as one band, wrapped into lines."""
    return encode_png(strip(_values, width=STRIP_PX, height=36))


@cache.budgeted("picture")
def _patches_png(
    model: str, layer: str, channel: int, _found: TopPatches, _pixels: np.ndarray, names: list
) -> bytes:
    """The sheet of a channel's favourite test patches."""
    sheet = patch_sheet(
        _found.patches,
        _pixels[_found.indices],
        _found.boxes,
        above=[f"{a:.2f}" for a in _found.activations],
        below=[[f"#{i}", name] for i, name in zip(_found.indices, names, strict=True)],
    )
    return encode_png(sheet)


MEANINGS = {
    SIGNED_MAP: "blue negative, white 0, red positive",
    UNSIGNED_MAP: "black 0, bright strong",
}


def colour_scale(cmap: str, limits: tuple[float, float], where=st) -> None:
    """A colour scale: its two end numbers (text) around the colour bar, and what it means."""
    html = colour_scale_html(cmap, limits, MEANINGS[cmap])
    where.markdown(html, unsafe_allow_html=True)


# --- running the network --------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Every layer's output for one picture."""

    outputs: dict[str, np.ndarray]  # layer name -> one example's output, (C, h, w) or (n,)
    probabilities: np.ndarray  # (classes,): softmax of the output layer, sums to 1

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def run(chosen: Chosen, picture: Picture) -> Run:
    """Pass ``picture`` through ``chosen``'s network, keeping every layer's output (once per
    network and picture for the whole class: the keys name both)."""
    return _run(chosen.key, picture.key, chosen.model, picture.pixels)


@cache.budgeted("network")
def _run(model_key: NetworkKey, picture_key: PictureName, _model: CNN, _pixels: np.ndarray) -> Run:
    maps = feature_maps(_model, to_tensor(_pixels))
    outputs = {name: value[0].numpy() for name, value in maps}
    logits = torch.from_numpy(outputs["output"])
    return Run(outputs, torch.softmax(logits, 0).numpy())


@cache.budgeted("network")
def _saliency(
    model_key: NetworkKey, picture_key: PictureName, target: int, _model: CNN, _pixels: np.ndarray
):
    return saliency(_model, _pixels, target)


def describe(model: CNN, name: str) -> str:
    """What layer ``name`` does, in a few words."""
    module = getattr(model, name)
    if isinstance(module, torch.nn.Conv2d):
        k = module.kernel_size[0]
        return f"{module.out_channels} kernels of {k} × {k} × {module.in_channels}"
    if isinstance(module, torch.nn.ReLU):
        return "ReLU, negatives become 0"
    if isinstance(module, torch.nn.MaxPool2d):
        return "max pooling 2 × 2, each side halves"
    if isinstance(module, torch.nn.AvgPool2d):
        return "average pooling 2 × 2, each side halves"
    return type(module).__name__


# --- the views --------------------------------------------------------------------------------


def _small(pixels: np.ndarray) -> np.ndarray:
    """A grey or colour picture as RGB, shrunk if huge; ``views.show(sharp=...)`` enlarges it."""
    return views.fit(image_to_rgb(pixels), enlarge=False)[0]


BLANK = 0.05  # an input whose brightest pixel is below this is an empty square to the network


def show_steps(done: Preprocessed) -> None:
    """Every preprocessing step of an upload or drawing, left to right, four to a row."""
    st.markdown(
        "The datasets hold white shapes on black, cropped, shrunk and centred in 28 × 28 "
        "pixels. Your picture goes through the same steps:"
    )
    steps = views.sharp_pixels(st, "inside-steps")
    for first in range(0, len(done.steps), 4):
        row = done.steps[first : first + 4]
        for column, (number, (title, pixels)) in zip(
            steps.columns(4), enumerate(row, start=first + 1), strict=False
        ):
            views.show(column, _small(pixels), caption=f"{number}. {title}")
    if not done.found_content or float(done.image.max()) < BLANK:
        st.warning(
            "After these steps the network's input is (almost) all black: nothing in your "
            "picture stood out from its background. The prediction below is a guess about an "
            "empty square. Try one object on a plain background, or draw one.",
            icon=":material/visibility_off:",
        )


def show_prediction(chosen: Chosen, picture: Picture, result: Run) -> None:
    """The network's input beside its class probabilities, with the answer in words."""
    classes, best = chosen.classes, result.predicted
    probability = 100 * result.probabilities[best]
    left, right = st.columns([2, 3], gap="large")
    views.show(
        left,
        _small(picture.pixels),
        caption=f"input · 1 × 28 × 28: {picture.label}",
        sharp="inside-input",
    )
    with right:
        st.markdown(f"### Prediction: {classes[best]} ({probability:.1f} %)")
        if picture.truth is not None:
            verdict = "right" if picture.truth == best else "wrong"
            st.markdown(
                f"The test set's label is **{classes[picture.truth]}** (✓ below): the network "
                f"is **{verdict}**."
            )
        else:  # an upload or a drawing may be anything: a face still gets one of the names
            kinds = "kinds of clothing" if chosen.dataset == "fashion-mnist" else "digits"
            st.markdown(
                f"This network knows only these {len(classes)} {kinds} and must pick one of "
                "them: for a picture of something else (a face, an animal) the answer is still "
                "one of these names, and its percentage says nothing about how right it is."
            )
        names = [f"{c} ✓" if i == picture.truth else c for i, c in enumerate(classes)]
        bars = bars_html(100 * result.probabilities, names, best=best, unit="%")
        st.markdown(bars, unsafe_allow_html=True)


def shapes_line(result: Run) -> str:
    """``input `1 × 28 × 28` → conv1 `32 × 26 × 26` → … → output `10```."""
    return " → ".join(f"{name} `{shape_text(v.shape)}`" for name, v in result.outputs.items())


@cache.budgeted("picture")
def _layer_mosaic(
    model: str, picture: str, layer: str, _maps: np.ndarray, signed: bool, scale, columns: int
) -> tuple[Mosaic, bytes]:
    """One layer's maps ``(C, H, W)`` of ``picture`` through ``model`` as a mosaic and its
    PNG, drawn once for the class (every rerun of the page shows all layers)."""
    mosaic = feature_mosaic(_maps, signed=signed, scale=scale, columns=columns)
    return mosaic, encode_png(mosaic.picture)


def show_layers(chosen: Chosen, picture: Picture, result: Run) -> None:
    """The shapes line, then every layer's maps as one labelled mosaic per layer."""
    st.markdown(f"**Shapes, layer by layer:** {shapes_line(result)}")
    st.caption(
        "Maps are numbered row by row: the number on the left is the first map of its row, "
        "the number on top is added to it. One colour scale per layer, so a weak map looks pale. "
        "ReLU and pooling keep their convolution's cell size, so pooled maps look half as wide."
    )
    names, scale, layers = chosen.model.layer_names, None, []
    projector = theme.projector_on()
    for name in names[: names.index("flatten")]:  # conv, relu, pool of each block
        maps = result.outputs[name]
        if layer_kind(name) == "conv":  # ReLU and pooling draw their cells as large as this:
            scale = default_scale(*maps.shape[1:])  # pooled maps look half as wide, as they are
        mosaic, png = _layer_mosaic(  # half as many to a row on a projector: twice as big
            chosen.key, picture.key, name, maps, layer_kind(name) == "conv", scale,
            8 if projector else 16,
        )  # fmt: skip
        field = receptive_field(chosen.model, name)
        layers.append(
            linked.FieldLayer(
                name=name,
                mosaic=mosaic,
                png=png,
                maps=maps,
                field=(field.size, field.jump, field.start),
                title=f"{name} · {shape_text(maps.shape)}",
                caption=f"{describe(chosen.model, name)}; one cell sees {field.size} × "
                f"{field.size} input pixels.",
            )
        )
        st.markdown(  # the same facts as text (AppTest and screen readers read these)
            f"**{name}** `{shape_text(maps.shape)}`: {describe(chosen.model, name)}. "
            f"Receptive field {field.size} × {field.size}; values {maps.min():.3f} to "
            f"{maps.max():.3f}."
        )
    size = picture.pixels.shape[-1]
    linked.field_view(
        "inside.linked",
        input_rgb=image_to_rgb(picture.pixels),
        input_size=size,
        layers=layers,
        alt=f"The {size} × {size} input picture",
    )


def show_kernels(chosen: Chosen) -> None:
    """The learned kernels of every convolution layer."""
    for layer in conv_layers(chosen.model):
        weights = getattr(chosen.model, layer).weight.detach().numpy()  # (out, in, k, k)
        sheet, png = _kernel_sheet(chosen.key, layer, weights)
        st.markdown(f"**{layer} kernels** `{shape_text(weights.shape)}`")
        views.show(st, png, width="content")
        colour_scale(sheet.cmap, sheet.limits)
        out_count, in_count, k, _ = weights.shape
        if in_count == 1:
            st.caption(
                f"{layer}: {out_count} kernels of {k} × {k}, laid on the pixels themselves. "
                "Red weights are positive, blue negative."
            )
        else:
            st.caption(
                f"{layer}: {out_count} filters side by side, numbered on top; each column is "
                f"one filter, its {in_count} slices of {k} × {k} stacked top to bottom, one "
                "slice per map of the layer below (numbered on the left). Red weights are "
                "positive, blue negative."
            )


@cache.budgeted("test set digest")
def _test_set_sha256(name: str, root: str) -> str:
    return pixels_sha256(test_set(name, root)[0])


@cache.budgeted("stored favourites")
def _stored(name: str, folder: str | None, root: str) -> dict[str, Favourites]:
    """The shipped model's stored favourites, checked against the test set on this server
    (a ``WeightsError`` is not cached: restoring the file fixes the page)."""
    pixels, _ = test_set(name, root)
    digest = _test_set_sha256(name, root)
    return load_top_patches(name, images=pixels, assets_dir=folder, images_sha256=digest)


@cache.resource(max_entries=8, ttl=7200)
def _searched(
    model_key: NetworkKey, dataset: str, root: str, layer: str, _model: CNN
) -> Favourites:
    """Every channel of ``layer`` searched at once in the test set, kept for the class."""
    pixels, _ = test_set(dataset, root)
    return favourites(channel_peaks(_model, pixels, layer))


def layer_favourites(chosen: Chosen, layer: str) -> Favourites:
    """The favourite test pictures of every channel of ``layer``: stored beside a shipped
    model's weights (checked), else searched now, once per model and layer for the class."""
    root = str(data_root())
    if chosen.key == NetworkKey("shipped", chosen.dataset):
        try:
            return _stored(chosen.dataset, assets_dir(), root)[layer]
        except WeightsError as error:
            st.caption(
                f"The stored search could not be used, so the test set is searched now. {error}"
            )
    with st.spinner(
        f"Searching the 10,000 test pictures for the ones {layer} likes most "
        "(once per layer, for the whole class)…"
    ):
        return _searched(chosen.key, chosen.dataset, root, layer, chosen.model)


def top_nine(chosen: Chosen, layer: str, channel: int) -> TopPatches:
    """The nine test pictures exciting ``channel`` of ``layer`` most (the test set must be
    there), with the patch each one shows the channel."""
    pixels, _ = test_set(chosen.dataset, str(data_root()))
    found = layer_favourites(chosen, layer)
    return top_patches(chosen.model, pixels, layer, channel, found=found)


def channel_close_up(chosen: Chosen, picture: Picture, result: Run) -> None:
    """One map enlarged, its kernel, its strongest value, and the test patches it likes best."""
    layers = conv_layers(chosen.model)
    left, right = st.columns(2, gap="large")
    layer = address.choice(layer_param(tuple(layers)), "selectbox", left)
    conv = getattr(chosen.model, layer)
    channel = address.slider(channel_param(layer, conv.out_channels), right)
    values = result.outputs[layer][channel]
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    bias = float(conv.bias[channel])
    st.markdown(
        f"**{layer}, map {channel}** `{shape_text(values.shape)}`: max activation "
        f"**{values.max():.3f}** at row {row}, column {col} (outlined); smallest "
        f"{values.min():.3f}; the kernel's bias is {bias:.3f}."
    )
    mark = (int(row), int(col))
    shown, png = _close_up(chosen.key, picture.key, layer, int(channel), values, mark)
    a, b = st.columns(2, gap="large")
    caption = f"{layer}, map {channel} · {shape_text(values.shape)}: rows and columns numbered"
    views.show(a, png, caption=caption, width="content")
    colour_scale(shown.cmap, shown.limits, a)
    kernel = conv.weight[channel].detach().numpy()  # (in, k, k)
    with b:
        if kernel.shape[0] == 1:
            k = kernel.shape[-1]
            st.html(grid_html(kernel[0], title=f"its kernel · {shape_text(kernel[0].shape)}"))
            st.caption(
                f"Each output pixel: multiply the {k} × {k} pixels under the kernel by these "
                "numbers, add them up, add the bias."
            )
        else:
            slices, png = _slices(chosen.key, layer, int(channel), kernel)
            st.markdown(f"**its kernel** `{shape_text(kernel.shape)}`, slices numbered")
            views.show(st, png)
            colour_scale(slices.cmap, slices.limits)
            st.caption(
                f"One {kernel.shape[1]} × {kernel.shape[2]} slice per map of the layer below; "
                "the products of all slices are added, plus the bias."
            )
    box = address.expander(OPEN_TOP)  # searching the test set only when asked
    if box.open:
        with box:
            strongest_test_pictures(chosen, layer, channel)


def strongest_test_pictures(chosen: Chosen, layer: str, channel: int) -> None:
    """The nine test pictures exciting ``channel`` of ``layer`` most, as patches with words."""
    data = test_pictures(chosen.dataset)
    if data is None:
        st.info(
            "The test pictures that excite this map most need the test set, which is not on "
            "this server: choose “A test picture” above to see how to get it.",
            icon=":material/info:",
        )
        return
    pixels, labels = data
    found = top_nine(chosen, layer, channel)
    names = [chosen.classes[labels[i]] for i in found.indices]
    size = found.field.size
    st.markdown(
        f"**The {len(found.indices)} test pictures that excite {layer} map {channel} most.** "
        f"One pixel of {layer} sees a square of {size} × {size} input pixels (its "
        "[receptive field](/glossary#receptive-field)); each patch is that square around the "
        "strongest pixel. Top: "
        + ", ".join(
            f"#{i} ({n}, {a:.2f})"
            for i, n, a in zip(found.indices, names, found.activations, strict=True)
        )
        + "."
    )
    sheet = _patches_png(chosen.key, layer, int(channel), found, pixels, list(names))
    views.show(st, sheet, width="content")


def show_dense(chosen: Chosen, picture: Picture, result: Run) -> None:
    """Flatten and the dense layers, with their numbers of weights."""
    model, names = chosen.model, chosen.model.layer_names
    after = names[names.index("flatten") + 1 :]  # dense1, relu, output
    last_maps = result.outputs[names[names.index("flatten") - 1]]
    flat = result.outputs["flatten"]
    hidden = result.outputs[after[1]]
    logits = result.outputs["output"]
    dense = count_parameters(model.dense1)
    total = count_parameters(model)
    st.markdown(
        f"- **Flatten** `{flat.size}`: the last maps, `{shape_text(last_maps.shape)}`, laid "
        f"in one long row of {' × '.join(map(str, last_maps.shape))} = {flat.size:,} numbers. "
        "Nothing is computed, only the shape changes; where each number sat in its map is "
        "forgotten.\n"
        f"- **dense1** `{hidden.size}`: each of its {hidden.size} units multiplies all "
        f"{flat.size:,} numbers by its own weights, adds them up and adds a bias: "
        f"{flat.size:,} × {hidden.size} + {hidden.size} = {dense:,} weights, "
        f"{100 * dense / total:.0f} % of the network's {total:,}. ReLU then sets the "
        "negative ones to 0.\n"
        f"- **output** `{logits.size}`: {logits.size} units do the same with those "
        f"{hidden.size} numbers: one score per class.\n"
        "- **softmax** turns the scores into the probabilities at the top (they add up to "
        "100 %): the highest score gets the highest probability."
    )
    lines = -(-flat.size // STRIP_PX)
    wrapped = f" (drawn in {lines} lines of {-(-flat.size // lines):,})" if lines > 1 else ""
    for values, name, caption in [
        (flat, "flatten", f"**flatten**: {flat.size:,} numbers in one row{wrapped}"),
        (hidden, "dense1", f"**dense1 + ReLU**: {hidden.size} numbers"),
    ]:
        st.markdown(caption)
        views.show(st, _strip(chosen.key, picture.key, name, values), width="content")
        colour_scale(UNSIGNED_MAP, (0.0, symmetric_limit(values)))
    best = int(np.argmax(logits))
    st.markdown(f"**output**: {logits.size} scores (logits), one per class")
    bars = bars_html(logits, chosen.classes, best=best, signed=True, decimals=2)
    st.markdown(bars, unsafe_allow_html=True)


def show_saliency(chosen: Chosen, picture: Picture, result: Run) -> None:
    """Which input pixels sway the predicted class's score most."""
    heat = _saliency(chosen.key, picture.key, result.predicted, chosen.model, picture.pixels)
    # heat: (28, 28) in [0, 1]
    name = chosen.classes[result.predicted]
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    coloured = colours(heat, UNSIGNED_MAP, (0.0, 1.0))  # a diverged model's NaN: grey
    grey = image_to_rgb(picture.pixels)
    blend = (0.45 * grey + 0.55 * coloured).astype(np.uint8)
    st.markdown(
        f"A **saliency map** asks, for every pixel: if it were a little brighter or darker, "
        f"how much would the **{name}** score change? Bright pixels matter most; here the "
        f"strongest is at row {row}, column {col}."
    )
    for column, (picture_rgb, caption) in zip(
        views.sharp_pixels(st, "inside-saliency").columns(3),
        [
            (grey, "input · 1 × 28 × 28"),
            (coloured, f"saliency for “{name}” · 28 × 28"),
            (blend, "both on top of each other"),
        ],
        strict=True,
    ):
        views.show(column, picture_rgb, caption=caption)
