"""照片存储: photos of cases and spot checks, kept as files outside the database.

A photo is accepted only when Pillow recognises its *content* as an image
(JPEG, PNG, WebP, GIF, BMP, TIFF) — the file name and declared type are never
trusted, so a renamed executable is refused. Size is limited (setting
``photo_max_mb``) and so are pixels (decompression bombs). Files are stored
once per content under ``var/photos/<aa>/<sha256>.<ext>`` (``PHOTOS_DIR``
overrides the folder); the database keeps the hash, type, size and the EXIF
location and time when the camera wrote them.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError

ROOT = Path(__file__).resolve().parent.parent
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"),
           "GIF": ("image/gif", "gif"), "BMP": ("image/bmp", "bmp"), "TIFF": ("image/tiff", "tif")}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is plenty; more is a decompression bomb

_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _DATETIME = 36867, 306


class PhotoError(ValueError):
    """A refused upload (Chinese message)."""


@dataclass(frozen=True)
class Photo:
    sha256: str
    content_type: str
    extension: str
    size_bytes: int
    width: int
    height: int
    lon: float | None = None  # WGS-84 from EXIF GPS
    lat: float | None = None
    taken_at: datetime | None = None


def photo_dir() -> Path:
    """Where photo files live: ``PHOTOS_DIR`` or ``var/photos`` beside the project."""
    return Path(os.environ.get("PHOTOS_DIR") or ROOT / "var" / "photos")


def inspect_photo(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Photo:
    """Check ``data`` is an image by content and read its EXIF location; raise PhotoError if not."""
    if not data:
        raise PhotoError("文件为空")
    if len(data) > max_bytes:
        raise PhotoError(f"照片过大：{len(data) / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise PhotoError(f"图片像素过多（{width}×{height}），请压缩后上传")
                img.verify()  # checks the structure; must come straight after open
            with Image.open(io.BytesIO(data)) as img:
                exif = img.getexif()
                img.load()  # decodes the pixels: a truncated or forged file fails here
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as exc:
        raise PhotoError("文件内容不是可识别的图片（按文件内容判断，与文件名无关），已拒绝") from exc
    if fmt not in FORMATS:
        raise PhotoError(f"不支持的图片格式：{fmt}（支持 JPEG、PNG、WebP、GIF、BMP、TIFF）")
    content_type, ext = FORMATS[fmt]
    lon, lat = gps_location(exif)
    return Photo(hashlib.sha256(data).hexdigest(), content_type, ext, len(data), width, height,
                 lon, lat, _taken_at(exif))


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    out = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode(errors="ignore")
    return -out if str(ref).strip().upper() in ("S", "W") else out


def gps_location(exif) -> tuple[float | None, float | None]:
    """(lon, lat) in degrees from an EXIF GPS block, or (None, None); phones write WGS-84."""
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except (AttributeError, KeyError, ValueError):
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat, lon = _dms(gps[2], gps.get(1, "N")), _dms(gps[4], gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lon, 7), round(lat, 7)


def _taken_at(exif) -> datetime | None:
    try:
        text = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
        return datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if text else None
    except (ValueError, AttributeError, KeyError):
        return None


def path_for(sha256: str, extension: str, *, root: Path | None = None) -> Path:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise PhotoError("照片编号无效")
    return (root or photo_dir()) / sha256[:2] / f"{sha256}.{extension}"


def store_photo(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, root: Path | None = None) -> Photo:
    """Validate and store ``data`` once by content hash; returns its description."""
    photo = inspect_photo(data, max_bytes=max_bytes)
    path = path_for(photo.sha256, photo.extension, root=root)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    return photo


def read_photo(sha256: str, content_type: str, *, root: Path | None = None) -> bytes | None:
    """The stored bytes, checked against the hash; None when the file is missing or altered."""
    ext = next((e for t, e in FORMATS.values() if t == content_type), None)
    if ext is None:
        return None
    path = path_for(sha256, ext, root=root)
    if not path.exists():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def max_bytes_from_mb(mb) -> int:
    return int(float(mb) * 1024 * 1024)
