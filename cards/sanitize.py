"""What card HTML may keep: the tags and attributes nh3 lets through, for rendering and for imports.

A module of its own so that importing a deck does not load the Markdown renderer.
"""

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del",
    "code", "pre", "span", "div", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr",
    "th", "td", "a", "img", "sub", "sup", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "span": {"style", "class"}, "div": {"style", "class"}, "pre": {"style"}, "code": {"class"},
    "td": {"align", "style"}, "th": {"align", "style"}, "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "class"}, "ol": {"start"},
}  # fmt: skip
# The style properties a card keeps: colours and text styling. Gone: anything that loads a URL
# (background: url(...)), hides text (display, visibility) or moves it about (position, margins).
ALLOWED_STYLES = {
    "color", "background-color", "font-weight", "font-style", "text-decoration", "text-align",
    "vertical-align", "line-height", "border",
}  # fmt: skip
