"""Build, by code, the files a class of students could upload: odd, broken and hostile ones.

``make_corpus()`` returns the cases in memory; ``make_corpus(folder)`` also writes them there
(under safe numbered names) so they can be uploaded by hand or by a browser test::

    python -m tests.hostile.make_corpus /tmp/hostile
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.images import MAX_BYTES


@dataclass(frozen=True)
class HostileCase:
    """One uploaded file and what ``decode_image`` must make of it."""

    name: str  # the name the browser sends; it must never change the outcome
    data: bytes
    expect: str  # "ok", or words that only this file's error message contains
    note: str | None = None  # words one of the notes must contain, when it decodes
    shape: tuple[int, ...] | None = None  # pixels.shape, when it decodes
    corner: float | tuple[float, ...] | None = None  # pixels at row 0, column 0
    path: Path | None = None  # where make_corpus wrote it, if given a folder


def ok(name: str, data: bytes, shape: tuple[int, ...], note=None, corner=None) -> HostileCase:
    """A file that must decode to ``shape``, with ``note`` among its notes if one is given."""
    return HostileCase(name, data, "ok", note, shape, corner)


# --- byte builders ------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    """Save a Pillow image to bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG block with a correct CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_by_hand(width: int, height: int, idat: bytes = b"", extra: bytes = b"") -> bytes:
    """A grey 8-bit PNG whose header says anything we like."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zero_png(width: int, height: int) -> bytes:
    """A real, valid all-black PNG built row by row: tiny on disk, huge in memory."""
    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return png_by_hand(width, height, idat)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is patched to claim another size."""
    data = bytearray(encode(Image.new("L", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def tiff_by_hand(values: np.ndarray, sample_format: int | None = 1) -> bytes:
    """A one-strip grey TIFF of ``values`` ``(H, W)`` (uint32, int32 or float32) written as
    the TIFF 6.0 baseline says, with SampleFormat ``sample_format`` (None: the tag left out,
    which means unsigned integers)."""
    height, width = values.shape
    pixels = values.astype(values.dtype.newbyteorder("<")).tobytes()
    tags = [
        (256, 4, width),  # ImageWidth, LONG
        (257, 4, height),  # ImageLength
        (258, 3, 8 * values.dtype.itemsize),  # BitsPerSample, SHORT
        (259, 3, 1),  # Compression: none
        (262, 3, 1),  # PhotometricInterpretation: black is zero
        (273, 4, 0),  # StripOffsets, filled in below
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, height),  # RowsPerStrip
        (279, 4, len(pixels)),  # StripByteCounts
    ]
    if sample_format is not None:
        tags.append((339, 3, sample_format))  # SampleFormat: 1 unsigned, 2 signed, 3 float
    start = 8 + 2 + 12 * len(tags) + 4  # header, count, entries, next-IFD offset
    tags = [(t, k, start if t == 273 else v) for t, k, v in tags]
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + pixels


def upright_card(width: int = 48, height: int = 32) -> np.ndarray:
    """An asymmetric grey ``(H, W)`` uint8 picture in 8x8 blocks (JPEG keeps those sharp)."""
    blocks = np.array([[0, 64, 128, 255, 255, 255], [255, 0, 0, 0, 0, 255], [128] * 6] * 2)
    blocks = blocks[: height // 8, : width // 8].astype(np.uint8)
    return np.kron(blocks, np.ones((8, 8), dtype=np.uint8))


def exif(orientation: int) -> bytes:
    """EXIF block holding only an orientation tag."""
    tags = Image.Exif()
    tags[0x0112] = orientation
    return tags.tobytes()


# What the stored pixels look like when the camera writes orientation 1..8 for the upright
# picture U (EXIF 2.3, tag 0x0112: which side is the 0th row, which the 0th column).
STORED_AS = {
    1: lambda u: u,
    2: np.fliplr,
    3: lambda u: np.rot90(u, 2),
    4: np.flipud,
    5: np.transpose,
    6: lambda u: np.rot90(u, 1),
    7: lambda u: np.rot90(u, 1)[:, ::-1],
    8: lambda u: np.rot90(u, -1),
}


def cut(data: bytes) -> bytes:
    """The first three quarters of a file, as a failed copy leaves it."""
    return data[: len(data) * 3 // 4]


def scribble(data: bytes) -> bytes:
    """Bytes 20 to 39 overwritten with 0xFF, as a bad sector would."""
    return data[:20] + b"\xff" * 20 + data[40:]


def strip_adobe(jpeg: bytes) -> bytes:
    """Remove the Adobe APP14 block, whose presence tells readers the CMYK is inverted."""
    start = jpeg.index(b"Adobe") - 4  # the APP14 marker and its length come just before
    assert jpeg[start : start + 2] == b"\xff\xee", "no Adobe APP14 block"
    (length,) = struct.unpack(">H", jpeg[start + 2 : start + 4])
    return jpeg[:start] + jpeg[start + 2 + length :]


# --- the cases ------------------------------------------------------------------------------


def not_images() -> list[HostileCase]:
    """Files that are something else, whatever their names say."""
    rng = np.random.default_rng(7)
    html = b"<!DOCTYPE html><html><body><img src='cat.jpg'></body></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("photo.png", encode(Image.new("L", (4, 4)), "PNG"))
    tga = encode(Image.new("RGB", (6, 4), (200, 0, 0)), "TGA")
    cursor = bytearray(encode(Image.new("RGB", (16, 16)), "ICO"))
    cursor[2] = 2  # an icon directory of type 2: a Windows cursor
    cursor = bytes(cursor)
    return [
        HostileCase("empty.png", b"", "empty"),
        HostileCase("noise.jpg", b"\x00" + rng.bytes(4095), "recognises"),
        HostileCase("notes.png", b"Homework: convolution slides a kernel.\n", "contains text"),
        HostileCase("data.jpg", b'{"pixels": [[0, 1], [1, 0]]}', "contains text"),
        HostileCase("utf16.png", "text in UTF-16".encode("utf-16"), "contains text"),
        HostileCase("page.png", html, "web page"),
        HostileCase("drawing.svg", svg, "SVG"),
        HostileCase("bare.svg", b"<svg width='10' height='10'></svg>", "SVG"),
        HostileCase("feed.png", b'<?xml version="1.0"?><rss></rss>', "XML"),
        HostileCase("worksheet.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "PDF"),
        HostileCase("figure.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n", "EPS"),
        HostileCase("dos.eps", b"\xc5\xd0\xd3\xc6" + bytes(28), "EPS"),
        HostileCase("photos.zip", zipped.getvalue(), "a ZIP archive"),
        HostileCase("photo.png", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        HostileCase("photo.avif", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF"),
        HostileCase("clip.jpg", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00iso2", "(MP4/MOV)"),
        HostileCase("favicon.ico", encode(Image.new("RGB", (16, 16)), "ICO"), "icon (ICO)"),
        HostileCase("layers.psd", b"8BPS\x00\x01" + bytes(26), "Photoshop"),
        HostileCase("scan.pgm", b"P5\n4 4\n255\n" + bytes(16), "Netpbm"),
        HostileCase("photo.jpg.gz", gzip.compress(b"not a picture"), "GZIP"),
        HostileCase("setup.png", b"MZ\x90\x00" + bytes(60), "Windows program"),
        HostileCase("song.gif", b"ID3\x03\x00" + bytes(20), "sound file (MP3)"),
        HostileCase("sound.webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(16), "video or sound"),
        HostileCase("jpeg2000.jpg", b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(20), "JPEG 2000"),
        HostileCase("photo.tga", tga, "TGA (Targa)"),
        HostileCase("old.tga", tga[:-26], "TGA (Targa)"),  # TGA 1.0: no footer
        HostileCase("cursor.cur", cursor, "cursor (CUR)"),
        HostileCase(
            "notes.bmp", b"BMW homework: a kernel slides over the picture.\n" * 4, "contains text"
        ),
    ]


def broken_files() -> list[HostileCase]:
    """Real pictures that were cut, damaged or built to hurt."""
    photo = (np.random.default_rng(1).random((64, 64, 3)) * 255).astype(np.uint8)
    png = encode(Image.fromarray(photo), "PNG")
    jpeg = encode(Image.fromarray(photo), "JPEG")
    webp, tiff = encode(Image.fromarray(photo), "WEBP"), encode(Image.fromarray(photo), "TIFF")
    bad_crc = bytearray(png)
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    bad_crc[idat + 4 + length] ^= 0xFF  # first CRC byte of IDAT
    bad_zlib = png_by_hand(4, 4, b"\x78\x9c" + b"\xff" * 20)
    huge_text = chunk(b"zTXt", b"junk\x00\x00" + zlib.compress(bytes(20_000_000)))
    tiny_idat = zlib.compress(b"\x00\x00")  # one row: filter byte, one black pixel
    return [
        HostileCase("half.png", png[: len(png) // 2], "ends early"),
        HostileCase("no-end.png", png[: png.index(b"IEND") - 4], "ends early"),
        HostileCase("signature-only.png", png[:8], "ends early"),
        HostileCase("half.jpg", jpeg[: len(jpeg) // 2], "ends early"),
        HostileCase("header-only.jpg", jpeg[:200], "ends early"),
        HostileCase("half.gif", cut(encode(Image.fromarray(photo), "GIF")), "ends early"),
        HostileCase("half.webp", cut(encode(Image.fromarray(photo), "WEBP")), "ends early"),
        HostileCase("half.bmp", encode(Image.fromarray(photo), "BMP")[:5000], "ends early"),
        HostileCase("half.tif", encode(Image.fromarray(photo), "TIFF")[:5000], "ends early"),
        HostileCase("bad-crc.png", bytes(bad_crc), "checksum (CRC)"),
        HostileCase("scribbled.jpg", scribble(jpeg), "JPEG picture, but its header is damaged"),
        HostileCase("scribbled.webp", scribble(webp), "WebP file is damaged"),
        HostileCase("scribbled.tif", scribble(tiff), "TIFF picture, but its header is damaged"),
        HostileCase("bad-zlib.png", bad_zlib, "PNG file is damaged: its picture data"),
        HostileCase("gif-polyglot.gif", b"GIF89a/*\x00\x00*/=1;alert(1);", "10,799 x 0 pixels"),
        HostileCase("ztxt-bomb.png", png_by_hand(1, 1, tiny_idat, huge_text), "hidden"),
        HostileCase("too-big.png", b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES), "limit is 25 MB"),
        HostileCase("one-byte-over.jpg", b"\xff\xd8\xff" + bytes(MAX_BYTES - 2), "limit is 25 MB"),
    ]


def sizes() -> list[HostileCase]:
    """Declared sizes from nothing to absurd; the limit is MAX_PIXELS and MAX_SIDE."""
    one = encode(Image.new("L", (1, 1), 200), "PNG")
    bmp_bomb = bytearray(encode(Image.new("L", (4, 4)), "BMP"))
    bmp_bomb[18:26] = struct.pack("<ii", 50_000, 50_000)
    return [
        ok("1x1.png", one, (1, 1), corner=200 / 255),
        ok("1x100000.png", zero_png(1, 100_000), (100_000, 1)),
        ok("100000x1.png", zero_png(100_000, 1), (1, 100_000)),
        HostileCase("100001x1.png", zero_png(100_001, 1), "longer than 100,000"),
        HostileCase("zero-width.png", png_by_hand(0, 10, zlib.compress(b"")), "0 x 10 pixels"),
        HostileCase("zero.gif", b"GIF89a\x00\x00\x00\x00\x00\x00\x00;", "0 x 0 pixels"),
        HostileCase("bomb-header.png", png_by_hand(100_000, 100_000), "100,000 x 100,000 pixels"),
        HostileCase("bomb-real.png", zero_png(8_000, 6_000), "48.0 megapixels"),
        HostileCase("bomb-49mp.jpg", jpeg_claiming(7_000, 7_000), "49.0 megapixels"),
        HostileCase("bomb-100mp.jpg", jpeg_claiming(10_000, 10_000), "claims to be 100 mega"),
        HostileCase("bomb-400mp.jpg", jpeg_claiming(20_000, 20_000), "claims to be 400 mega"),
        HostileCase("bomb.bmp", bytes(bmp_bomb), "2,500.0 megapixels"),
    ]


def modes() -> list[HostileCase]:
    """Every colour layout Pillow can hand us, most with a known corner pixel."""
    ramp16 = np.linspace(65535, 0, 64 * 32).reshape(32, 64).astype(np.uint16)
    int32 = (np.arange(64 * 32, dtype=np.int32).reshape(32, 64) - 1000) * 70_000
    floats = np.linspace(-5, 300, 64 * 32, dtype=np.float32).reshape(32, 64)
    huge = np.linspace(-3e38, 3e38, 64 * 32, dtype=np.float32).reshape(32, 64)
    uint32 = np.linspace(0, 2**32 - 1, 64 * 32).astype(np.uint32).reshape(32, 64)
    int16 = (np.arange(64, dtype=np.int16) - 30).reshape(8, 8)
    nans = np.full((4, 4), 0.5, dtype=np.float32)
    nans[0, 0] = np.nan
    clear = Image.new("RGBA", (16, 16), (255, 0, 0, 255))
    clear.putpixel((0, 0), (0, 0, 0, 0))
    palette = clear.convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))
    grey_alpha = Image.new("LA", (16, 16), (0, 255))
    grey_alpha.putpixel((0, 0), (0, 0))
    red_cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    # Pillow writes CMYK JPEGs inverted (Adobe's way); inverting first and removing Adobe's
    # block leaves a plain, non-inverted CMYK JPEG.
    plain_cmyk = strip_adobe(encode(Image.eval(red_cmyk, lambda v: 255 - v), "JPEG"))
    grey_gif = encode(Image.new("L", (8, 8), 90).convert("P"), "GIF")
    white, red, small = (1, 1, 1), (1, 0, 0), (3, 16, 16)
    return [
        ok("mode-1.png", encode(Image.new("1", (9, 5), 1), "PNG"), (5, 9), corner=1.0),
        ok("mode-1.tif", encode(Image.new("1", (9, 5), 0), "TIFF"), (5, 9), corner=0.0),
        ok("grey.jpg", encode(Image.new("L", (16, 8), 255), "JPEG"), (8, 16), corner=1.0),
        ok("la.png", encode(grey_alpha, "PNG"), (16, 16), "white", 1.0),
        ok("rgba.png", encode(clear, "PNG"), small, "white", white),
        ok("rgba.webp", encode(clear, "WEBP", lossless=True), small, "white", white),
        ok("p-trns.png", encode(palette, "PNG"), small, "white", white),
        ok("p-trns.gif", encode(palette, "GIF"), small, "white", white),
        ok("p-grey.gif", grey_gif, (8, 8), corner=90 / 255),
        ok("p-opaque.png", encode(clear.convert("RGB").convert("P"), "PNG"), small),
        ok("i16.png", encode(Image.fromarray(ramp16), "PNG"), (32, 64), "16-bit", 1.0),
        ok("i16b.tif", encode(Image.fromarray(ramp16.astype(">u2")), "TIFF"), (32, 64), "16-bit"),
        ok("rgb16.png", png_rgb16(np.full((8, 8, 3), 65535, np.uint16)), (3, 8, 8), None, white),
        ok("int32.tif", encode(Image.fromarray(int32), "TIFF"), (32, 64), "32-bit", 0.0),
        ok("float.tif", encode(Image.fromarray(floats), "TIFF"), (32, 64), "floating-point", 0.0),
        ok("float-nan.tif", encode(Image.fromarray(nans), "TIFF"), (4, 4), "NaN", 0.0),
        ok("float-huge.tif", encode(Image.fromarray(huge), "TIFF"), (32, 64), "-3e+38", 0.0),
        ok("uint32.tif", tiff_by_hand(uint32), (32, 64), "4,294,967,295", 0.0),
        ok("uint32-no-format.tif", tiff_by_hand(uint32, None), (32, 64), "to 4,294,967,295"),
        ok("int32-signed.tif", tiff_by_hand(int32, 2), (32, 64), "-70,000,000 to", 0.0),
        ok("int16-signed.tif", tiff_by_hand(int16, 2), (8, 8), "16-bit image was stretched", 0.0),
        ok("cmyk-adobe.jpg", encode(red_cmyk, "JPEG"), small, "CMYK", red),
        ok("cmyk-plain.jpg", plain_cmyk, small, "CMYK", red),
        ok("cmyk.tif", encode(red_cmyk, "TIFF"), small, "CMYK", red),
        ok("lab.tif", encode(Image.new("LAB", (4, 4), (255, 128, 128)), "TIFF"), (3, 4, 4)),
    ]


def png_rgb16(rgb: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one), from ``(H, W, 3)`` uint16."""
    height, width, _ = rgb.shape
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def orientations() -> list[HostileCase]:
    """The same upright test card stored in each of the eight EXIF orientations, and bad EXIF."""
    card = upright_card()
    cases = []
    for tag, store in STORED_AS.items():
        stored = Image.fromarray(np.ascontiguousarray(store(card)))
        data = encode(stored, "JPEG", quality=100, exif=exif(tag))
        cases.append(ok(f"exif-{tag}.jpg", data, card.shape, "rotated" if tag > 1 else None))
    sideways = Image.fromarray(np.ascontiguousarray(STORED_AS[6](card)))
    as_stored = sideways.size[::-1]
    junk = b"Exif\x00\x00garbage, not a TIFF header"
    bad_offset = bytearray(exif(6))
    bad_offset[10:14] = b"\x00\xff\xff\xff"  # after "Exif\0\0MM\0*": IFD far past the end
    return [
        *cases,
        ok("exif-6.png", encode(sideways, "PNG", exif=exif(6)), card.shape, "rotated"),
        ok(
            "exif-6.webp", encode(sideways, "WEBP", lossless=True, exif=exif(6)), (3, 32, 48), "rot"
        ),
        ok("exif-6.tif", encode(sideways, "TIFF", exif=exif(6)), card.shape, "rotated"),
        ok("exif-junk.jpg", encode(sideways, "JPEG", exif=junk), as_stored, "EXIF data"),
        ok("exif-offset.jpg", encode(sideways, "JPEG", exif=bytes(bad_offset)), as_stored, "EXIF"),
        ok("exif-9.jpg", encode(sideways, "JPEG", exif=exif(9)), as_stored, "impossible value"),
    ]


def frames_and_formats() -> list[HostileCase]:
    """Animations, pages, and ordinary formats in their less common variants."""
    frames = [Image.new("RGB", (8, 6), (40 * i, 100, 0)) for i in range(5)]
    first, rest = frames[0], {"save_all": True, "append_images": frames[1:]}
    photo = Image.fromarray((np.random.default_rng(2).random((24, 32, 3)) * 255).astype(np.uint8))
    png, jpeg, shape = encode(photo, "PNG"), encode(photo, "JPEG"), (3, 24, 32)
    text = chunk(b"tEXt", b"Comment\x00" + bytes(range(1, 256)) * 800)
    mpo = encode(photo, "MPO", save_all=True, append_images=[photo.resize((8, 6))])
    odd_name = "../../etc/passwd<script>alert('x')</script> 😀 photo.png"
    return [
        ok("anim.gif", encode(first, "GIF", **rest), (3, 6, 8), "animated GIF"),
        ok("anim.webp", encode(first, "WEBP", **rest), (3, 6, 8), "5 frames"),
        ok("anim.png", encode(first, "PNG", **rest), (3, 6, 8), "5 frames"),
        ok("pages.tif", encode(first, "TIFF", **rest), (3, 6, 8), "pages"),
        ok("phone-mpo.jpg", mpo, shape),
        ok("one-frame.gif", encode(photo, "GIF"), shape),
        ok("photo.bmp", encode(photo, "BMP"), shape),
        ok("photo.tif", encode(photo, "TIFF", compression="tiff_deflate"), shape),
        ok("lossless.webp", encode(photo, "WEBP", lossless=True), shape),
        ok("lossy.webp", encode(photo, "WEBP", quality=50), shape),
        ok("progressive.jpg", encode(photo, "JPEG", progressive=True), shape),
        ok("interlaced.png", encode(photo, "PNG", interlace=1), shape),
        ok("text-junk.png", png[:33] + text + png[33:], shape),  # after IHDR, before IDAT
        ok("trailing-zip.jpg", jpeg + b"PK\x03\x04" + bytes(500), shape),
        ok("really-a-jpeg.gif", jpeg, shape),
        ok(odd_name, png, shape),
        ok("NO_EXTENSION", png, shape),
    ]


def make_corpus(folder: Path | str | None = None) -> list[HostileCase]:
    """All hostile cases; with ``folder``, also write each as ``NNN-<safe name>`` there."""
    groups = (not_images, broken_files, sizes, modes, orientations, frames_and_formats)
    cases = [case for group in groups for case in group()]
    if folder is None:
        return cases
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, case in enumerate(cases):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", case.name).lstrip("._") or "file"
        path = folder / f"{number:03d}-{safe}"
        path.write_bytes(case.data)
        written.append(replace(case, path=path))
    return written


if __name__ == "__main__":
    for case in make_corpus(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus"):
        print(f"{case.path}  expect: {case.expect}")
