"""Word → PDF with LibreOffice headless (Debian ``libreoffice-writer-nogui``).

Why LibreOffice: it reads the very .docx we give users, so the PDF is that
document (styles, fields, page numbers, attachments) rather than a second
rendering of the same content through HTML; it is one Debian package, works
offline, and handles CJK with the system's Noto fonts. WeasyPrint would need
every document written twice (HTML and Word) and would drift.

Each conversion runs with its own LibreOffice profile in a temporary folder,
so two conversions at once (two users, the CLI beside the app) do not block
each other. The Chinese fonts the documents name (仿宋_GB2312, 方正小标宋简体,
黑体, 楷体_GB2312) are mapped to the installed Noto CJK fonts by a fontconfig
file beside this module, when Windows' fonts are not installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FONTS_CONF = Path(__file__).resolve().parent / "fonts.conf"
TIMEOUT_S = 180


class PdfUnavailable(RuntimeError):
    """No converter on this machine (the message is for the user, in Chinese)."""


def soffice() -> str | None:
    """Path of LibreOffice's ``soffice``, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes) -> bytes:
    """The PDF of ``docx`` (bytes); raises :class:`PdfUnavailable` or RuntimeError with a Chinese message."""
    exe = soffice()
    if exe is None:
        raise PdfUnavailable("本机未安装 LibreOffice，无法生成 PDF（请运行 scripts/install_system.sh，"
                             "或 apt-get install libreoffice-writer-nogui）；Word 文件不受影响。")
    with tempfile.TemporaryDirectory(prefix="docx2pdf_") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(docx)
        env = dict(os.environ, HOME=str(folder))
        if FONTS_CONF.exists():
            env["FONTCONFIG_FILE"] = str(FONTS_CONF)
        cmd = [exe, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"PDF 转换超时（{TIMEOUT_S} 秒），请稍后重试") from None
        target = folder / "document.pdf"
        if done.returncode != 0 or not target.exists():
            raise RuntimeError("PDF 转换失败：" + (done.stderr.decode("utf-8", "replace")[-300:] or "无输出"))
        return target.read_bytes()
