"""Photo uploads (data.photos): images only by content, size limit, content hash, EXIF location."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from data import photos
from data.photos import PhotoError, inspect_photo, read_photo, store_photo


def jpeg_with_gps(lat=35.0712, lon=116.3105, taken="2026:03:05 10:20:30") -> bytes:
    img = Image.new("RGB", (64, 48), (200, 120, 90))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "N", "E"
    for tag, value in ((2, lat), (4, lon)):
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60, 4)
        gps[tag] = (float(d), float(m), s)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def test_exif_location_and_time_are_read():
    p = inspect_photo(jpeg_with_gps())
    assert p.content_type == "image/jpeg" and (p.width, p.height) == (64, 48)
    assert p.lat == pytest.approx(35.0712, abs=1e-5) and p.lon == pytest.approx(116.3105, abs=1e-5)
    assert p.taken_at.isoformat() == "2026-03-05T10:20:30"


def test_image_without_exif_has_no_location():
    p = inspect_photo(png())
    assert (p.content_type, p.lon, p.lat, p.taken_at) == ("image/png", None, None, None)


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
    b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    b"%PDF-1.7\n1 0 obj\n",
    "<script>alert(1)</script>".encode(),
])
def test_non_images_are_refused_whatever_their_name(tmp_path, data):
    renamed = tmp_path / "现场照片.jpg"  # the name lies; the content decides
    renamed.write_bytes(data)
    with pytest.raises(PhotoError, match="不是可识别的图片"):
        store_photo(renamed.read_bytes(), root=tmp_path / "photos")
    assert not (tmp_path / "photos").exists()


def test_truncated_image_is_refused():
    with pytest.raises(PhotoError):
        inspect_photo(jpeg_with_gps()[:200])


def test_size_limit_and_empty_file():
    data = jpeg_with_gps()
    with pytest.raises(PhotoError, match="照片过大"):
        inspect_photo(data, max_bytes=len(data) - 1)
    assert inspect_photo(data, max_bytes=len(data)).size_bytes == len(data)
    with pytest.raises(PhotoError, match="文件为空"):
        inspect_photo(b"")


def test_stored_once_by_content_hash_outside_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOS_DIR", str(tmp_path / "p"))
    data = jpeg_with_gps()
    a, b = store_photo(data), store_photo(data)
    digest = hashlib.sha256(data).hexdigest()
    assert a.sha256 == b.sha256 == digest
    files = list((tmp_path / "p").rglob("*.jpg"))
    assert files == [tmp_path / "p" / digest[:2] / f"{digest}.jpg"]
    assert read_photo(digest, "image/jpeg") == data
    files[0].write_bytes(png())  # altered on disk: not served as the original
    assert read_photo(digest, "image/jpeg") is None
    with pytest.raises(PhotoError):
        photos.path_for("../../etc/passwd", "jpg")
