"""Small HTML helpers for the view tests (standard library only)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._testid_stack: list[tuple[str, str]] = []
        self.testids: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self.textareas: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "form":
            self._form = {"attrs": attributes, "names": []}
            self.forms.append(self._form)
        if tag in {"input", "select", "textarea", "button"} and attributes.get("name"):
            if self._form is not None:
                self._form["names"].append(attributes["name"])
        if tag == "textarea":
            self._textarea = attributes.get("name") or ""
            self.textareas[self._textarea] = ""
        if attributes.get("data-testid"):
            self._testid_stack.append((tag, attributes["data-testid"]))
            self.testids.setdefault(attributes["data-testid"], []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag == "textarea":
            self._textarea = None
        if self._testid_stack and self._testid_stack[-1][0] == tag:
            self._testid_stack.pop()

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.textareas[self._textarea] += data
        for _tag, testid in self._testid_stack:
            self.testids[testid][-1] += data


def parse(content: bytes | str) -> _Collector:
    """Parse an HTML page and return the collected tags, forms, data-testid texts and
    textarea contents."""
    collector = _Collector()
    collector.feed(content.decode() if isinstance(content, bytes) else content)
    collector.close()
    # A newline right after <textarea> is not part of the value (HTML spec); Django adds one.
    collector.textareas = {name: text[1:] if text.startswith("\n") else text
                           for name, text in collector.textareas.items()}
    return collector


def by_testid(content: bytes | str, testid: str) -> list[str]:
    """The whitespace-normalised text of every element with ``data-testid=testid``."""
    return [" ".join(text.split()) for text in parse(content).testids.get(testid, [])]
