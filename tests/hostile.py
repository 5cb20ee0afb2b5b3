"""The hostile corpus: text an attacker can put in any data field (imports, registers, complaint text).

HTML and script (issue 8) and Markdown (issue 13): an image that makes the
browser fetch a URL, live links, bare URLs that autolink, emphasis, code,
template strings and LaTeX. Tests feed it through layers, exports and pages.
"""
from __future__ import annotations

HTML = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`;alert(1);`", "a\\`b",
        "</script><script>alert(1)</script>", "javascript:alert(1)"]
MARKDOWN = ["![i](/beacon)", "**x**[链接](http://evil)", "http://evil.example", "www.evil.example",
            "`code`", "${}", "$x^2$", ":red[假冒]", "# 标题", "| a | b |", "<b>粗体</b>", "~~删除~~",
            "[a]: http://evil.example/ref"]
FORMULAS = ["=cmd|'/Ccalc'!A0", '=HYPERLINK("http://evil.example/x","点我")', "+1+1", "-2", "@SUM(A1)"]
ALL = HTML + MARKDOWN

# Substrings that must never reach rendered Markdown unescaped (what the corpus would turn into markup)
LIVE = ["![i](/beacon)", "](http://evil", "http://evil.example", "www.evil.example", "**x**", "<img",
        "${", "$x^2$", ":red[", "<b>", "~~删除~~", "`code`"]


def live_markup(text: str) -> list[str]:
    """The :data:`LIVE` fragments in ``text`` that are not backslash-escaped where they start."""
    found = []
    for live in LIVE:
        start = text.find(live)
        while start >= 0:
            if start == 0 or text[start - 1] != "\\":
                found.append(live)
                break
            start = text.find(live, start + 1)
    return found
