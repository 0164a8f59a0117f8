"""QR codes drawn on the server as inline SVG: the secret never leaves the page for an image service."""

import re
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ROOT_SIZE = re.compile(r'^<svg width="[^"]*" height="[^"]*"')


def qr_svg(data: str, *, title: str) -> SafeString:
    """An <svg> element (no XML declaration) with a white quiet zone, sized by CSS, labelled for screen readers."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    # qrcode writes a fixed size in millimetres; the page sizes the code with CSS instead.
    svg, replaced = _ROOT_SIZE.subn('<svg class="qr-code" role="img" focusable="false"', svg)
    if not replaced:
        raise ValueError("Unexpected SVG from qrcode")
    head, rest = svg.split(">", 1)
    # Only numbers and fixed names come from qrcode; the title is escaped here.
    return mark_safe(f"{head}><title>{escape(title)}</title>{rest}")  # noqa: S308


def secret_for_manual_entry(binary_key: bytes) -> str:
    """The key as authenticator apps expect it typed: base32, in groups of four."""
    text = b32encode(binary_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
