"""The one door every picture comes through: bytes in, float pixels and plain notes out.

``decode_image`` trusts only the bytes (never the file name), accepts a short list of formats,
refuses everything else with a sentence a student understands, and never writes to disk.
Pixels come out as float32 in [0, 1]: ``(H, W)`` for grey sources, ``(3, H, W)`` for colour.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageChops, ImageOps, UnidentifiedImageError

# 25 MB as browsers count them (10**6 bytes each): the pickers hand this limit to Streamlit's
# uploader (which refuses larger files in the browser) and .streamlit/config.toml's
# server.maxUploadSize says the same 25 (a test keeps the two equal).
MAX_BYTES = 25_000_000
MAX_MEGABYTES = MAX_BYTES // 10**6
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused; 12 and 24 MP ones pass
# The most pixels a lesson works on (a projector shows 1920 x 1080, about 2 million); larger
# pictures are shrunk. `python bench/memory.py --work-mp N`: a Convolution setting change at
# "full" took a median 0.2 s at 1 and 2 MP, 0.4 s at 3 and 4 MP, and the server's memory for
# the page (cache, media sent to the browser) doubles from 2 to 4 MP.
MAX_WORK_PIXELS = 2_000_000
MAX_SIDE = 100_000  # a 1 x 100000 strip is accepted; the pages explain 1-pixel sides
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, the weights of Pillow's convert("L")

TRUNCATED = "The file ends early: it was probably cut off while copying or uploading."
ACCEPTED = "PNG, JPEG, WebP, BMP, GIF or TIFF"


class ImageError(ValueError):
    """A file that cannot be used as a picture; the message is one sentence for the student."""


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """A decoded upload, ready for the lesson pages."""

    pixels: np.ndarray  # float32 in [0, 1], (H, W) grey or (3, H, W) colour; read-only
    format: str  # what the bytes are ("PNG", "JPEG", "WebP", ...), never the file name's claim
    original_size: tuple[int, int]  # (width, height) as stored, before EXIF rotation
    notes: tuple[str, ...] = ()  # plain sentences about what was done to the picture

    @property
    def shrunk(self) -> bool:
        """True when ``decode_image(work_pixels=...)`` made the picture smaller than stored."""
        height, width = self.pixels.shape[-2:]
        return height * width < self.original_size[0] * self.original_size[1]


# --- recognising the bytes ------------------------------------------------------------------

_ALLOWED = (  # (first bytes, our name); Pillow's plugin name is the upper-case name
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
)

_EXPORT = "export or save it as PNG or JPEG and upload that"
_EPS = "This is a PostScript/EPS file: these can run code when opened, so the app refuses them."
_JXL = f"This is a JPEG XL picture, which the app does not read: {_EXPORT}."
_J2K = f"This is a JPEG 2000 picture, which the app does not read: {_EXPORT}."
_REFUSED = (  # (first bytes, what it is); checked after the allowed formats
    (b"%PDF-", f"This is a PDF document, not a picture: {_EXPORT}, or take a screenshot."),
    (b"%!PS", _EPS),
    (b"\xc5\xd0\xd3\xc6", _EPS),
    (
        b"PK\x03\x04",
        "This is a ZIP archive (Word and PowerPoint files are ZIPs too), not a picture.",
    ),
    (b"PK\x05\x06", "This is an empty ZIP archive, not a picture."),
    (b"\x00\x00\x01\x00", f"This is a Windows icon (ICO) file, which the app refuses: {_EXPORT}."),
    (
        b"\x00\x00\x02\x00",
        f"This is a Windows cursor (CUR) file, which the app refuses: {_EXPORT}.",
    ),
    (b"8BPS", f"This is a Photoshop (PSD) file: {_EXPORT}."),
    (b"gimp xcf", f"This is a GIMP (XCF) file: {_EXPORT}."),
    (b"\xff\x0a", _JXL),
    (b"\x00\x00\x00\x0cJXL ", _JXL),
    (b"\x00\x00\x00\x0cjP  ", _J2K),
    (b"\xff\x4f\xff\x51", _J2K),
    (b"qoif", f"This is a QOI picture, which the app does not read: {_EXPORT}."),
    (b"icns", f"This is a macOS icon (ICNS) file: {_EXPORT}."),
    (b"DDS ", f"This is a DirectDraw texture (DDS) file: {_EXPORT}."),
    (b"\x1f\x8b", "This is a GZIP archive, not a picture: unpack it first."),
    (b"Rar!\x1a\x07", "This is a RAR archive, not a picture: unpack it first."),
    (b"7z\xbc\xaf\x27\x1c", "This is a 7-Zip archive, not a picture: unpack it first."),
    (b"MZ", "This is a Windows program, not a picture."),
    (b"\x7fELF", "This is a program, not a picture."),
    (b"ID3", "This is a sound file (MP3), not a picture."),
    (b"OggS", "This is a sound or video file (Ogg), not a picture."),
)

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_HEIC = (
    "HEIC photos from iPhones are not supported: export as JPEG "
    "(or set Settings > Camera > Formats to 'Most Compatible')."
)


_TGA = f"This is a TGA (Targa) picture, which the app does not read: {_EXPORT}."
_BMP_HEADERS = {12, 40, 52, 56, 64, 108, 124}  # sizes of the BMP info headers that exist


def _sniff(data: bytes) -> str:
    """The allowed format the bytes start with; otherwise ``ImageError`` saying what they are."""
    for magic, name in _ALLOWED:
        if data.startswith(magic) and (name != "BMP" or _is_bmp(data)):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if _is_tga(data):  # before the icons: a true-colour TGA starts like a Windows cursor
        raise ImageError(_TGA)
    for magic, message in _REFUSED:
        if data.startswith(magic):
            raise ImageError(message)
    if data[4:8] == b"ftyp":  # ISO media: HEIC, AVIF, MP4, MOV share this box
        brands = {data[i : i + 4] for i in range(8, min(len(data), 64), 4)}
        if brands & {b"avif", b"avis"}:
            raise ImageError(f"AVIF pictures are not supported: {_EXPORT}.")
        if brands & _HEIC_BRANDS:
            raise ImageError(_HEIC)
        raise ImageError("This is a video (MP4/MOV), not a picture: take a screenshot of a frame.")
    if data[:4] == b"RIFF":
        raise ImageError("This is a video or sound file (AVI/WAV), not a picture.")
    raise ImageError(_describe_unknown(data))


def _is_bmp(data: bytes) -> bool:
    """``BM`` followed by an info header of a size BMP defines (text starting "BMW..." is
    not a 790-million-pixel picture)."""
    return len(data) >= 18 and struct.unpack("<I", data[14:18])[0] in _BMP_HEADERS


def _is_tga(data: bytes) -> bool:
    """A Targa file: TGA 2.0's footer, or a header whose fields all hold values TGA allows
    (TGA has no magic number) and that is no Windows icon or cursor directory."""
    if data[-18:] == b"TRUEVISION-XFILE.\x00":
        return True
    if len(data) < 18:
        return False
    colour_map, kind, depth = data[1], data[2], data[16]
    width, height = struct.unpack("<HH", data[12:16])
    plausible = (
        colour_map in (0, 1)
        and kind in (1, 2, 3, 9, 10, 11)
        and depth in (8, 15, 16, 24, 32)
        and width > 0
        and height > 0
        and (colour_map == 1 or data[3:8] == bytes(5))
    )
    icons = struct.unpack("<H", data[4:6])[0]  # an ICO/CUR directory counts its images here
    return plausible and not (data[:2] == b"\x00\x00" and data[3] == 0 and icons > 0)


def _describe_unknown(data: bytes) -> str:
    """One sentence about bytes that match no picture format, looking only at the start."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").replace(b"\x00", b"").lower()
    if b"<svg" in head:
        return f"SVG drawings are not supported: {_EXPORT}."
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head:
        return (
            "This is a web page (HTML), not a picture: in the browser, right-click the "
            "picture itself and choose 'Save image as'."
        )
    if re.match(rb"p[1-7]\s", head):
        return f"Netpbm (PBM/PGM/PPM) pictures are not supported: {_EXPORT}."
    if head.startswith(b"<?xml"):
        return "This is an XML file, not a picture."
    if head and _looks_like_text(head):
        return "This file contains text, not a picture. Maybe it was renamed to look like one."
    return (
        f"This file is not a picture the app recognises: its contents match none of {ACCEPTED}, "
        "whatever its name says."
    )


def _looks_like_text(head: bytes) -> bool:
    """Printable UTF-8 with almost no control bytes (the check ``file`` does, simplified)."""
    text = head.decode("utf-8", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n\f"))
    return bad <= len(text) // 100


# --- cheap checks on the bytes, before Pillow ----------------------------------------------


def _check_png_chunks(data: bytes) -> None:
    """Walk the PNG blocks up to IEND: a short block means a cut file, a bad CRC a damaged one."""
    view, pos = memoryview(data), 8
    while True:
        if pos + 12 > len(data):
            raise ImageError(TRUNCATED)
        length, kind = struct.unpack(">I4s", view[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise ImageError(TRUNCATED)
        (stored,) = struct.unpack(">I", view[end - 4 : end])
        if zlib.crc32(view[pos + 4 : end - 4]) != stored:
            block = f"'{kind.decode()}' block" if kind.isalpha() else "one of its blocks"
            raise ImageError(
                f"The PNG file is damaged: {block} fails its checksum (CRC), so some bytes "
                "were changed while it was copied or uploaded."
            )
        if kind == b"IEND":
            return
        pos = end


def _declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF or BMP, or None if not read here."""
    if fmt == "PNG" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if fmt == "GIF" and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if fmt == "BMP" and len(data) >= 26:
        (header,) = struct.unpack("<I", data[14:18])
        if header == 12:
            return struct.unpack("<HH", data[18:22])
        w, h = struct.unpack("<ii", data[18:26])
        return w, abs(h)  # a negative height means rows stored top-down
    return None


def _check_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse zero, absurd or too many pixels, naming the size and the limit."""
    if width < 1 or height < 1:
        raise ImageError(
            f"The file says the picture is {width:,} x {height:,} pixels: a picture needs at least "
            "1 pixel in each direction, so this file is damaged."
        )
    if max(width, height) > MAX_SIDE:
        raise ImageError(
            f"The picture is {width:,} x {height:,} pixels: a side longer than {MAX_SIDE:,} "
            "pixels is not accepted."
        )
    if width * height > max_pixels:
        raise ImageError(
            f"The picture is {width:,} x {height:,} pixels ({width * height / 1e6:,.1f} "
            f"megapixels); the limit is {max_pixels / 1e6:g} megapixels. "
            "Resize it or take a screenshot of it, and upload that."
        )


def _bomb_message(error: Exception, max_pixels: int) -> str:
    """Pillow's decompression-bomb guard, as a sentence; Pillow says the size only in pixels."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    size = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "far too many pixels"
    return (
        f"The picture claims to be {size}, far over the limit of {max_pixels / 1e6:g} megapixels: "
        "files like this are built to exhaust memory ('decompression bombs')."
    )


# --- decoding ---------------------------------------------------------------------------------


def decode_image(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
    work_pixels: int | None = None,
) -> DecodedImage:
    """Decode an uploaded file into float32 pixels in [0, 1], or raise ``ImageError``.

    Returns ``(H, W)`` pixels for grey sources (1, L, LA, I;16, I, F, grey palettes) and
    ``(3, H, W)`` for colour ones. Transparency is placed on white, EXIF orientation is
    applied, animations and multi-page files give their first frame; ``notes`` says so.
    A picture with more than ``work_pixels`` pixels (None: no limit) comes out shrunk to
    ``work_size`` by area averaging, and never exists at full size as floats: a 40 MP photo
    would be 480 MB of them.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_image takes the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ImageError("The file is empty (0 bytes): upload it again.")
    if len(data) > max_bytes:
        raise ImageError(
            f"The file is {math.ceil(len(data) / 10**5) / 10:g} MB; "
            f"the limit is {max_bytes / 10**6:g} MB. "
            "Resize the picture or take a screenshot of it, and upload that."
        )
    fmt = _sniff(data)
    if fmt == "PNG":
        _check_png_chunks(data)
    if fmt == "WebP" and struct.unpack("<I", data[4:8])[0] + 8 > len(data):
        raise ImageError(TRUNCATED)  # the RIFF header says how long the file should be
    declared = _declared_size(data, fmt)
    if declared is not None:
        _check_size(*declared, max_pixels)
    try:
        return _decode_with_pillow(data, fmt, max_pixels, work_pixels)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(_bomb_message(error, max_pixels)) from None
    except Exception as error:  # anything Pillow or numpy raises becomes a sentence
        raise ImageError(_failure_message(error, fmt)) from error


def _decode_with_pillow(
    data: bytes, fmt: str, max_pixels: int, work_pixels: int | None
) -> DecodedImage:
    """Open with only the sniffed format's plugin, check the size, then decode the first frame."""
    notes: list[str] = []
    # catch_warnings is process-wide, so a concurrent session may reset the filter: the size
    # check below (40 MP) runs before any decoding and is below Pillow's own 89 MP warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data), formats=[fmt.upper()]) as im:
            original_size = im.size
            _check_size(*original_size, max_pixels)
            notes += _frame_notes(im)
            if work_pixels is not None and fmt == "JPEG":
                # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: no larger than needed.
                im.draft(im.mode, work_size(original_size, work_pixels))
            orientation = _load_with_orientation(im)
            notes += _apply_orientation(im, orientation, caught)
            target = None if work_pixels is None else work_size(im.size, work_pixels)
            pixels, more = _to_array(_shrunk_8bit(im, target))
    if target is not None and pixels.shape[-2:] != target[::-1]:
        pixels = _resize_area(pixels, target)
    pixels.flags.writeable = False
    return DecodedImage(pixels, fmt, original_size, tuple(notes + more))


def work_size(size: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """``(width, height)`` scaled down, aspect kept, to at most ``max_pixels`` pixels."""
    width, height = size
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def _shrunk_8bit(im: Image.Image, target: tuple[int, int] | None) -> Image.Image:
    """Plain grey or RGB pictures are area-averaged to ``target`` while still 8-bit (a
    quarter of the memory of floats): Pillow averages whole blocks, OpenCV the rest. Other
    modes are left for ``_resize_area`` after the conversion (transparency, palettes and
    16-bit values average correctly only as floats)."""
    if target is None or im.size == target or im.mode not in ("L", "RGB"):
        return im
    if im.has_transparency_data:
        return im
    factor = min(im.size[0] // target[0], im.size[1] // target[1])
    blocks = im.reduce(factor) if factor > 1 else im
    if blocks.size == target:
        return blocks
    return Image.fromarray(cv2.resize(np.asarray(blocks), target, interpolation=cv2.INTER_AREA))


def _frame_notes(im: Image.Image) -> list[str]:
    """Say when only the first frame or page is used; counts come only from cheap headers."""
    if not getattr(im, "is_animated", False) or im.format == "MPO":
        return []  # MPO: a phone JPEG carrying extra views or a depth map; the first is the photo
    if im.format == "TIFF":
        return ["This TIFF file has several pages: only the first page is used."]
    if im.format == "GIF":  # counting GIF frames means walking the whole file: not worth it
        return ["This is an animated GIF: only its first frame is used."]
    return [f"This is an animated image: the first of its {im.n_frames} frames is used."]


_ROTATED = "The photo was rotated upright using its EXIF orientation."
_BAD_EXIF = (
    "The photo's EXIF data (where cameras store which way is up) is damaged, "
    "so the photo is shown as stored, without rotating it."
)


def _load_with_orientation(im: Image.Image) -> object:
    """Decode the pixels and return the EXIF orientation (see ``_read_orientation``)."""
    if im.format == "TIFF":  # TIFF applies the tag itself while loading, then drops it
        orientation = _read_orientation(im)
        im.load()
        return orientation
    im.load()  # first: reading a PNG's EXIF loads the pixels, and would hide load errors
    return _read_orientation(im)


def _read_orientation(im: Image.Image) -> object:
    """The EXIF orientation tag, None if absent, or ``_BAD_EXIF`` if the EXIF cannot be read."""
    raw = im.info.get("exif")
    if isinstance(raw, bytes) and raw:
        body = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
        if not body.startswith((b"II*\x00", b"MM\x00*")):
            return _BAD_EXIF
    try:
        return im.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # Pillow raises many kinds on hostile EXIF; all mean "no rotation"
        return _BAD_EXIF


def _apply_orientation(im: Image.Image, orientation: object, caught: list) -> list[str]:
    """Rotate in place when the tag asks for it; otherwise say why nothing was done."""
    damaged = any("exif" in str(w.message).lower() for w in caught)
    if orientation is _BAD_EXIF or (damaged and orientation in (None, 1)):
        return [_BAD_EXIF]
    if orientation in (None, 1):
        return []
    if orientation not in range(2, 9):
        return [
            "The photo's EXIF orientation tag holds an impossible value, "
            "so the photo is shown as stored, without rotating it."
        ]
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception:
        return [_BAD_EXIF]
    return [_ROTATED]


def _failure_message(error: Exception, fmt: str) -> str:
    """Turn whatever Pillow raised into one sentence naming the format."""
    text = str(error).lower()
    if isinstance(error, EOFError) or "truncated" in text or isinstance(error, struct.error):
        return TRUNCATED
    if isinstance(error, UnidentifiedImageError):
        return (
            f"The file starts like a {fmt} picture, but its header is damaged or uses a "
            f"variant the app cannot read: {_EXPORT}."
        )
    if "text chunk" in text or "max_text" in text:
        return (
            "The PNG carries an enormous block of hidden text (a trick used to crash programs), "
            "so it was refused."
        )
    if isinstance(error, MemoryError):
        return "The picture is too large to unpack in the memory available: make it smaller."
    if "mode" in text or "support" in text or isinstance(error, (KeyError, NotImplementedError)):
        return (
            f"This {fmt} file stores its pixels in a layout the app cannot read: "
            f"open it in a photo editor and {_EXPORT}."
        )
    return (
        f"The {fmt} file is damaged: its picture data cannot be unpacked, "
        "so it was probably corrupted while copying or uploading."
    )


# --- modes to float arrays --------------------------------------------------------------------

_GREY_MODES = {"1", "L", "LA", "La"}
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}


def _to_array(im: Image.Image) -> tuple[np.ndarray, list[str]]:
    """Pixels of a loaded image as float32 in [0, 1], plus notes about what was done."""
    mode = im.mode
    if mode in _SIXTEEN_BIT:
        # Pillow's convert("L") would clip everything above 255; 65535 is white here.
        grey = np.divide(np.asarray(im), np.float32(65535), dtype=np.float32)
        return grey, ["This 16-bit image was scaled to 0..1 (65535 is white)."]
    if mode in ("I", "F"):
        return _stretch(*_integers_as_stored(im)) if mode == "I" else _stretch(np.asarray(im))
    notes = []
    if mode == "CMYK":
        notes.append("The CMYK (printing) colours were converted to screen colours.")
        if im.format == "JPEG" and "adobe" not in im.info:
            # Pillow reads every CMYK JPEG as Adobe's inverted kind; like browsers, invert
            # back when the file lacks Adobe's block.
            im = ImageChops.invert(im)
    if im.has_transparency_data:
        pixels, composited = _on_white(im.convert("LA" if mode in _GREY_MODES else "RGBA"))
        if composited:
            notes.append("Transparent areas were placed on white.")
    elif mode in ("1", "L"):
        pixels = np.divide(np.asarray(im.convert("L")), np.float32(255), dtype=np.float32)
    else:
        pixels = _channels_first(np.asarray(im.convert("RGB")))
    if mode in ("P", "PA") and pixels.ndim == 3 and _is_grey(pixels):
        pixels = np.ascontiguousarray(pixels[0])  # a grey palette (common in GIFs) is grey
    return pixels, notes


def _channels_first(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` uint8 -> ``(C, H, W)`` float32 in [0, 1], in one pass."""
    out = np.empty((rgb.shape[2], *rgb.shape[:2]), dtype=np.float32)
    for channel in range(rgb.shape[2]):  # one plane at a time: faster than a strided transpose
        np.divide(rgb[..., channel], np.float32(255), out=out[channel])
    return out


def _on_white(im: Image.Image) -> tuple[np.ndarray, bool]:
    """Composite an LA or RGBA image on white; also say whether any pixel was transparent."""
    planes = _channels_first(np.asarray(im))  # (2 or 4, H, W)
    colour, alpha = planes[:-1], planes[-1]
    colour *= alpha
    colour += 1 - alpha
    colour = colour[0] if len(colour) == 1 else colour
    return np.ascontiguousarray(colour), bool(alpha.min() < 1)


def _is_grey(rgb: np.ndarray) -> bool:
    """True when the three ``(3, H, W)`` channels are equal everywhere."""
    return bool(np.array_equal(rgb[0], rgb[1]) and np.array_equal(rgb[1], rgb[2]))


def _integers_as_stored(im: Image.Image) -> tuple[np.ndarray, int]:
    """The pixels of a mode "I" image with the sign and size the file stores, and the bits.

    Pillow reads every 32-bit TIFF as signed, so unsigned values from 2**31 up (TIFF's
    default SampleFormat) would wrap to negative numbers; 16-bit signed TIFFs also arrive
    as mode "I" and are 16-bit, not 32.
    """
    values = np.asarray(im)
    if im.format != "TIFF":
        return values, 32
    tags = getattr(im, "tag_v2", {})
    bits = tags.get(258, (32,))
    sample_format = tags.get(339, (1,))
    bits = int(bits[0] if isinstance(bits, tuple) else bits)
    sample_format = int(sample_format[0] if isinstance(sample_format, tuple) else sample_format)
    if bits == 32 and sample_format == 1 and values.dtype == np.int32:
        values = values.view(np.uint32)  # the same bytes, read as stored
    return values, bits


def _stretch(values: np.ndarray, bits: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Map integer or float pixels to [0, 1] by their real range, and say how.

    Works in float32 without overflowing: values as large as float32's ±3.4e38 are first
    divided by the largest size, so their difference never becomes infinite (which turned
    every pixel into NaN).
    """
    exact = (int(values.min()), int(values.max())) if values.dtype.kind in "iu" else None
    values = values.astype(np.float32)
    finite = np.isfinite(values)
    notes = []
    if not finite.all():
        values[~finite] = 0
        notes.append("Some pixels held no number (NaN or infinity) and were set to black.")
    lo, hi = float(values.min()), float(values.max())
    if bits is None and lo >= 0 and hi <= 1:
        return values, notes  # floats already in 0..1 are used as they are
    kind = f"{bits}-bit" if bits else "floating-point"
    if hi == lo:
        notes.append(f"Every pixel of this {kind} image has the value {lo:g}, shown as black.")
        return np.zeros_like(values), notes
    size = max(abs(lo), abs(hi))
    values /= np.float32(size)  # now in [-1, 1]
    values -= np.float32(lo / size)
    values /= np.float32((hi - lo) / size)
    np.clip(values, 0, 1, out=values)  # rounding can step a hair outside
    low, high = (f"{exact[0]:,}", f"{exact[1]:,}") if exact else (f"{lo:g}", f"{hi:g}")
    notes.append(f"This {kind} image was stretched to 0..1: its values run from {low} to {high}.")
    return values, notes


# --- helpers for the pages ---------------------------------------------------------------------


def _check_layout(pixels: np.ndarray) -> None:
    if pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[0] == 3):
        return
    raise ValueError(f"pixels must be (H, W) or (3, H, W), got shape {pixels.shape}")


def to_grayscale(pixels: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` -> ``(H, W)`` luma with ITU-R 601 weights; ``(H, W)`` is returned as is."""
    pixels = np.asarray(pixels)
    _check_layout(pixels)
    if pixels.ndim == 2:
        return pixels
    weights = np.asarray(LUMA_WEIGHTS, dtype=np.float32)
    return np.tensordot(weights, pixels.astype(np.float32, copy=False), axes=1)  # (H, W)


def downscale(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink ``(H, W)`` or ``(3, H, W)`` so the longer side is at most ``max_side``.

    Area interpolation (each output pixel averages the input pixels it covers), aspect ratio
    kept, never enlarges: a picture already small enough is returned unchanged.
    """
    pixels = np.asarray(pixels)
    _check_layout(pixels)
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    height, width = pixels.shape[-2:]
    if max(height, width) <= max_side:
        return pixels
    scale = max_side / max(height, width)
    return _resize_area(pixels, (max(1, round(width * scale)), max(1, round(height * scale))))


def _resize_area(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` or ``(3, H, W)`` float32 resized to ``size`` = (width, height) by area."""
    planes = pixels if pixels.ndim == 2 else np.moveaxis(pixels, 0, -1)  # (H, W, 3)
    planes = np.ascontiguousarray(planes, dtype=np.float32)
    small = cv2.resize(planes, size, interpolation=cv2.INTER_AREA)
    return small if pixels.ndim == 2 else np.ascontiguousarray(np.moveaxis(small, -1, 0))


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Float pixels -> uint8 for the screen: ``(H, W)`` stays, ``(3, H, W)`` -> ``(H, W, 3)``.

    Values are clipped to [0, 1] first (NaN counts as 0), then scaled to 0..255 and rounded.
    """
    pixels = np.asarray(pixels)
    _check_layout(pixels)
    scaled = np.rint(np.clip(np.nan_to_num(pixels.astype(np.float32)), 0, 1) * 255)
    scaled = scaled.astype(np.uint8)
    return scaled if scaled.ndim == 2 else np.ascontiguousarray(np.moveaxis(scaled, 0, -1))


def to_png_bytes(array: np.ndarray, *, compression: int = 6) -> bytes:
    """PNG file bytes (a download, or a picture for the page).

    Takes float pixels (``(H, W)`` or ``(3, H, W)`` in [0, 1]) or an already converted uint8
    picture (``(H, W)`` or ``(H, W, 3)``). ``compression`` 0..9: 1 is quick, 9 is smallest.
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = to_uint8(array)
    elif not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"uint8 pictures must be (H, W) or (H, W, 3), got {array.shape}")
    bgr = np.ascontiguousarray(array[..., ::-1] if array.ndim == 3 else array)  # OpenCV: BGR
    ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise ValueError(f"could not encode a picture of shape {array.shape} as PNG")
    return data.tobytes()
