"""Read a rendered form as a browser would submit it, then submit it with hostile values.

`read_form(html)` gives each field's default submission (checked radios and boxes, selected
options, text values) and its choices; `submit()` posts a mutated copy and checks the answer:
never a 500, never an unescaped payload, and on a re-rendered form an error the user can see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.hostile.payloads import encode, unescaped_payloads


@dataclass
class FormField:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, submit, ...
    values: list[str] = field(default_factory=list)  # what the browser would send untouched
    choices: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str | None
    fields: dict[str, FormField]

    def defaults(self) -> dict[str, list[str]]:
        return {name: list(item.values) for name, item in self.fields.items() if item.kind != "submit" and item.values}

    def editable(self) -> list[str]:
        return [name for name, item in self.fields.items() if name != "csrfmiddlewaretoken" and item.kind != "submit"]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def _field(self, name, kind) -> FormField:
        item = self._form.fields.get(name)
        if item is None:
            item = self._form.fields[name] = FormField(name=name, kind=kind)
        return item

    def handle_starttag(self, tag, attrs):
        attributes = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self._form = Form(method=method, action=attributes.get("action"), fields={})
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            self._select.choices.append(value)
            if "selected" in attributes:
                self._select.values.append(value)
        elif self._form is not None and attributes.get("name"):
            self._named_control(tag, attributes["name"], attributes)

    def _named_control(self, tag, name, attributes):
        if tag == "input":
            kind = attributes.get("type", "text").lower()
            item = self._field(name, kind)
            value = attributes.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                item.choices.append(value)
                if "checked" in attributes:
                    item.values.append(value)
            elif kind in ("submit", "button", "image", "reset"):
                item.kind = "submit"
                item.choices.append(value)
            elif kind != "file":
                item.values = [value]
        elif tag == "select":
            self._select = self._field(name, "select-multiple" if "multiple" in attributes else "select")
        elif tag == "textarea":
            self._textarea = self._field(name, "textarea")
            self._textarea.values = [""]
        elif tag == "button":
            self._field(name, "submit").choices.append(attributes.get("value", ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values = [self._textarea.values[0] + data]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select.kind == "select" and not self._select.values and self._select.choices:
                self._select.values = [self._select.choices[0]]  # what a browser sends for a single select
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def read_form(html: str, *, containing: str) -> Form:
    """The first POST form that has a field named `containing`."""
    for form in read_forms(html):
        if form.method == "post" and containing in form.fields:
            return form
    raise AssertionError(f"No POST form with a field {containing!r} in the page")


ERROR_MARKERS = ("ds-validation-message", 'role="alert"', "errorlist", 'aria-invalid="true"')


def shows_an_error(content: bytes) -> bool:
    text = content.decode("utf-8", "replace")
    return any(marker in text for marker in ERROR_MARKERS)


def post_raw(client, path: str, data: dict[str, list], **extra):
    return client.post(path, encode(data), content_type="application/x-www-form-urlencoded", **extra)


def check_answer(response, *, context: str):
    """The common promises: no server error, no unescaped payload."""
    assert response.status_code < 500, f"{context}: {response.status_code}"
    leaked = unescaped_payloads(response.content)
    assert not leaked, f"{context}: unescaped {leaked}"


@dataclass
class FormTarget:
    """A form page to attack: where it is, which field identifies its form, what a valid submission adds.

    `state()` returns what must not change when the form is refused (row counts, a row's values);
    `accepted(before, after)` says whether a change is the one allowed write of an accepted form.
    """

    path: str
    marker_field: str
    valid: dict[str, list[str]]
    state: object  # callable () -> comparable
    accepted: object  # callable (before, after) -> bool
    drop: tuple[str, ...] = ()
    form: Form | None = None  # the last rendered form, reused until a submission is accepted

    def open(self, client) -> Form:
        if self.form is None:
            response = client.get(self.path)
            assert response.status_code == 200, f"GET {self.path}: {response.status_code}"
            self.form = read_form(response.content.decode(), containing=self.marker_field)
        return self.form

    def baseline(self, form: Form) -> dict[str, list]:
        data = form.defaults()
        data.update(self.valid)
        for name in self.drop:
            data.pop(name, None)
        return data


def attack(client, target: FormTarget, mutations: list[tuple[int, object]]):
    """Submit the valid baseline with `mutations` ((field index or -1 for all fields, value)) and check the answer."""
    form = target.open(client)
    data = target.baseline(form)
    names = form.editable()
    described = []
    for index, value in mutations:
        chosen = names if index < 0 else [names[index % len(names)]]
        for name in chosen:
            data[name] = [value]
            described.append(f"{name}={str(value)[:40]!r}")
    context = f"POST {target.path} with " + ", ".join(described)
    before = target.state()
    response = post_raw(client, target.path, data)
    check_answer(response, context=context)
    after = target.state()
    if response.status_code in (200, 400, 422):  # the form again, with its errors
        assert after == before, f"{context}: refused, yet the data changed"
        assert shows_an_error(response.content), f"{context}: refused without an error message"
    else:
        target.form = None  # tokens and versions change once a submission is accepted
        assert response.status_code in (302, 303), f"{context}: {response.status_code}"
        assert after == before or target.accepted(before, after), f"{context}: unexpected write {before} → {after}"
        # Where a markup payload was stored, the page showing it must escape it.
        if any(any(mark in str(value) for mark in "<>{") for _, value in mutations):
            page = client.get(response["Location"])
            check_answer(page, context=f"{context}, then GET {response['Location']}")
    return response
