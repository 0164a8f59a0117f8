"""QR codes drawn on the server as inline SVG: the secret never leaves the page for an image service."""

import xml.etree.ElementTree as ET
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NAMESPACE)


def qr_svg(data: str, *, title: str) -> SafeString:
    """An <svg> element (no XML declaration) with a white quiet zone, sized by CSS, labelled for screen readers."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    # Parsing our own output from qrcode, not outside input.
    root = ET.fromstring(image.to_string(encoding="unicode"))  # noqa: S314
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("class", "qr-code")
    root.set("role", "img")
    root.set("focusable", "false")
    title_element = ET.Element(f"{{{SVG_NAMESPACE}}}title")
    title_element.text = title
    root.insert(0, title_element)
    # ElementTree escapes the title text; the rest is numbers and fixed attribute names from qrcode.
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308


def secret_for_manual_entry(binary_key: bytes) -> str:
    """The key as authenticator apps expect it typed: base32, in groups of four."""
    text = b32encode(binary_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
