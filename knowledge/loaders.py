"""Load Markdown, plain text, HTML and PDF files into `Document`s, reading YAML front matter when present."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DOC_TYPES = ("news", "training", "product", "note", "experience")
AUDIENCES = ("advisor", "client", "all")
SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class DocumentError(ValueError):
    """A document field is missing or invalid; the message names the field."""


@dataclass(frozen=True)
class Document:
    """One source document: metadata from front matter plus its plain-text body."""

    doc_id: str
    title: str
    body: str
    type: str = "training"
    date: str = ""
    audience: str = "all"
    tags: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""
    headings: tuple[str, ...] = field(default_factory=tuple)
    summary: str = ""

    def __post_init__(self) -> None:
        if not self.doc_id or not re.fullmatch(r"[\w.\-]+", self.doc_id):
            raise DocumentError(f"doc_id: invalid {self.doc_id!r}")
        if self.type not in DOC_TYPES:
            raise DocumentError(f"type: {self.type!r} not in {DOC_TYPES}")
        if self.audience not in AUDIENCES:
            raise DocumentError(f"audience: {self.audience!r} not in {AUDIENCES}")
        if self.date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date):
            raise DocumentError(f"date: {self.date!r} is not YYYY-MM-DD")


def make_document(meta: dict, body: str, default_id: str, source: str = "") -> Document:
    """Build a Document from a front-matter mapping, falling back to `default_id` and the first heading."""
    date = meta.get("date", "")
    if isinstance(date, dt.date):
        date = date.isoformat()
    tags = meta.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in re.split(r"[,，\s]+", tags) if t.strip()]
    title = str(meta.get("title") or _first_heading(body) or default_id)
    return Document(
        doc_id=str(meta.get("id") or default_id), title=title, body=body.strip(),
        type=str(meta.get("type") or "training"), date=str(date or ""),
        audience=str(meta.get("audience") or "all"), tags=tuple(str(t) for t in tags),
        source=str(meta.get("source") or source), headings=tuple(str(h) for h in meta.get("headings") or ()),
        summary=str(meta.get("summary") or ""),
    )


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return (front-matter mapping, remaining text); no front matter gives an empty mapping.

    >>> split_front_matter("---\\nid: a\\n---\\n正文")
    ({'id': 'a'}, '正文')
    """
    m = _FRONT.match(text)
    if not m:
        return {}, text
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise DocumentError("front matter: not a mapping")
    return meta, text[m.end():]


def _first_heading(text: str) -> str:
    m = re.search(r"^#+\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else ""


def markdown_headings(text: str) -> list[str]:
    """Section headings (levels 2 to 6) of a Markdown text, in order; the level-1 heading is the title.

    >>> markdown_headings("# 标题\\n## 什么是债基\\n正文\\n### 风险")
    ['什么是债基', '风险']
    """
    return [m.group(1).strip() for m in re.finditer(r"^#{2,6}\s*(.+?)\s*#*\s*$", text, re.M)]


def markdown_to_text(text: str) -> str:
    """Strip Markdown markup that would pollute retrieval (emphasis, links, table rules), keeping line breaks."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*\|?\s*:?-{3,}.*$", "", text, flags=re.M)
    text = re.sub(r"[*_`>]+", "", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = text.replace("|", " ")
    return re.sub(r"\n{3,}", "\n\n", text)


def html_to_text(html: str) -> tuple[str, str]:
    """Return (title, text) of an HTML page, one line per block element."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if not title and soup.h1:
        title = soup.h1.get_text(strip=True)
    return title, soup.get_text("\n", strip=True)


def html_headings(html: str) -> list[str]:
    """Section headings (h2 to h4) of an HTML page, in order."""
    from bs4 import BeautifulSoup

    return [h.get_text(" ", strip=True) for h in BeautifulSoup(html, "html.parser").find_all(["h2", "h3", "h4"])]


def pdf_to_text(path: Path) -> str:
    """Extract the text layer of a PDF, page by page."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def load_file(path: str | Path) -> Document:
    """Load one file by suffix; the id is the front-matter `id`, else the file name without extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"path: unsupported file type {path.name!r}")
    if suffix == ".pdf":
        text = pdf_to_text(path)
        meta, body = {}, text
        title = next((ln.strip() for ln in text.splitlines() if ln.strip()), path.stem)
        meta["title"] = title[:60]
    else:
        raw = path.read_text(encoding="utf-8")
        meta, body = split_front_matter(raw)
        if suffix in (".html", ".htm"):
            meta.setdefault("headings", html_headings(body))
            title, body = html_to_text(body)
            meta.setdefault("title", title)
        elif suffix in (".md", ".markdown"):
            meta.setdefault("title", _first_heading(body))
            meta.setdefault("headings", markdown_headings(body))
            body = re.sub(r"\A\s*#\s*" + re.escape(str(meta["title"])) + r"\s*\n", "", body)
            body = markdown_to_text(body)
    return make_document(meta, body, path.stem, source=str(path))


def iter_files(paths: list[str | Path]) -> list[Path]:
    """Expand files and directories into a sorted list of loadable files."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*")) if f.suffix.lower() in SUFFIXES and f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise DocumentError(f"path: {p} does not exist")
    return out
