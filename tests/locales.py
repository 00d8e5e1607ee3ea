"""What keeps the languages whole, as functions of a locales folder and of Python source, so
that tests can point them at the bot's own files or at a broken copy.

Each check returns its problems, one line each naming the language, the file and the message
id (or the Python file and line), and an empty list when all is well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle
from fluent.syntax import FluentParser, Visitor
from fluent.syntax import ast as fluent

from bot.i18n import load_bundles
from bot.limits import MESSAGE_LIMIT, plain, utf16_len
from bot.locales import SOURCE_LANGUAGE
from emulator import EntityParseError, format_text

# The Bot API sets no limit on a button's label; clients cut a long one. 64 UTF-16 units with
# short arguments keeps a translation from adding much more than its arguments to a label.
BUTTON_LIMIT = 64
ALERT_LIMIT = 200  # answerCallbackQuery's text
LONG = "Ж" * 300  # a string argument at its worst: QUOTE_LIMIT characters, none of them ASCII
SHORT = "Ж" * 16  # a button's or an alert's string argument, which callers keep short
MOMENT = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
NUMBER = 10**12
# Variant keys that say the selector is a number: Fluent picks them by the language's plural
# rules (CLDR).
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})

# What a variable is, as its uses say: a DATETIME() argument, a number (NUMBER() or a plural
# selector), or, by default, a string. The first that any use says wins.
KINDS = ("datetime", "number", "string")


def _stronger(a: str, b: str) -> str:
    return a if KINDS.index(a) <= KINDS.index(b) else b


# --- Fluent files ---------------------------------------------------------------------------


class _Uses(Visitor):
    """The variables a pattern uses itself (with their kinds) and the messages it references."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: dict[str, str] = {}
        self.references: set[tuple[str, str | None]] = set()

    def _use(self, name: str, kind: str) -> None:
        self.variables[name] = _stronger(kind, self.variables.get(name, "string"))

    def visit_VariableReference(self, node: fluent.VariableReference) -> None:
        self._use(node.id.name, "string")

    def visit_MessageReference(self, node: fluent.MessageReference) -> None:
        attribute = node.attribute.name if node.attribute else None
        self.references.add((node.id.name, attribute))

    def visit_FunctionReference(self, node: fluent.FunctionReference) -> None:
        kind = {"DATETIME": "datetime", "NUMBER": "number"}.get(node.id.name)
        for argument in node.arguments.positional:
            if kind and isinstance(argument, fluent.VariableReference):
                self._use(argument.id.name, kind)
        self.generic_visit(node)

    def visit_SelectExpression(self, node: fluent.SelectExpression) -> None:
        keys = [variant.key for variant in node.variants]
        numeric = any(
            isinstance(key, fluent.NumberLiteral) or (key.name in PLURAL_CATEGORIES - {"other"})
            for key in keys
        )
        if numeric and isinstance(node.selector, fluent.VariableReference):
            self._use(node.selector.id.name, "number")
        self.generic_visit(node)


@dataclass
class Pattern:
    """A message's value or one of its attributes, as written."""

    variables: dict[str, str]
    references: set[tuple[str, str | None]]


def _pattern(node: fluent.Pattern | None) -> Pattern | None:
    if node is None:
        return None
    uses = _Uses()
    uses.visit(node)
    return Pattern(uses.variables, uses.references)


@dataclass
class Message:
    language: str
    file: str  # relative to the language's folder: "common.ftl"
    id: str
    value: Pattern | None
    attributes: dict[str, Pattern]

    @property
    def where(self) -> str:
        return f"{self.language}/{self.file}: {self.id}"


@dataclass
class Language:
    name: str
    folder: Path
    files: set[str] = field(default_factory=set)
    messages: dict[str, Message] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # syntax errors, an id defined twice

    def variables(self, message_id: str, attribute: str | None = None) -> dict[str, str]:
        """The variables a message (or its attribute) needs, with those of the messages it
        references: `{ common-days }` brings `$days`."""
        return _resolve(self.messages, message_id, attribute, set())

    def referenced(self) -> set[str]:
        """The ids other messages reference."""
        return {
            reference
            for message in self.messages.values()
            for pattern in _patterns(message)
            for reference, _ in pattern.references
        }


def _patterns(message: Message) -> Iterator[Pattern]:
    if message.value:
        yield message.value
    yield from message.attributes.values()


def _resolve(
    messages: Mapping[str, Message],
    message_id: str,
    attribute: str | None,
    seen: set[tuple[str, str | None]],
) -> dict[str, str]:
    message = messages.get(message_id)
    if message is None or (message_id, attribute) in seen:
        return {}  # a missing message or a cycle: rendering reports both
    seen.add((message_id, attribute))
    pattern = message.attributes.get(attribute) if attribute else message.value
    if pattern is None:
        return {}
    variables = dict(pattern.variables)
    for reference, its_attribute in pattern.references:
        for name, kind in _resolve(messages, reference, its_attribute, seen).items():
            variables[name] = _stronger(kind, variables.get(name, "string"))
    return variables


def load_language(folder: Path) -> Language:
    """One language's .ftl files, found as aiogram-i18n finds them (recursively)."""
    language = Language(folder.name, folder)
    for path in sorted(folder.rglob("*.ftl")):
        file = path.relative_to(folder).as_posix()
        language.files.add(file)
        text = path.read_text(encoding="utf-8")
        resource = FluentParser().parse(text)
        for entry in resource.body:
            if isinstance(entry, fluent.Junk):
                line = text[: entry.span.start if entry.span else 0].count("\n") + 1
                errors = "; ".join(str(annotation.message) for annotation in entry.annotations)
                junk = (entry.content or "").strip()[:80]
                language.problems.append(f"{language.name}/{file}:{line}: {errors}: {junk!r}")
            elif isinstance(entry, fluent.Message):
                message = Message(
                    language.name,
                    file,
                    entry.id.name,
                    _pattern(entry.value),
                    {a.id.name: p for a in entry.attributes if (p := _pattern(a.value))},
                )
                if earlier := language.messages.get(message.id):
                    language.problems.append(
                        f"{message.where}: defined again (first in {earlier.file}); the first wins"
                    )
                    continue
                language.messages[message.id] = message
    return language


def load_locales(root: Path) -> dict[str, Language]:
    """Every language under `root`, by its folder's name."""
    return {
        folder.name: load_language(folder)
        for folder in sorted(root.iterdir())
        if folder.is_dir() and not folder.name.startswith((".", "_"))
    }


def _variables(names: Iterable[str]) -> str:
    return "{" + ", ".join(f"${name}" for name in sorted(names)) + "}"


def parity_problems(root: Path, source: str = SOURCE_LANGUAGE) -> list[str]:
    """Each language has English's files and messages, each in the same file, with the same
    attributes and variables, and no others; and every file parses."""
    languages = load_locales(root)
    english = languages[source]
    problems = [problem for language in languages.values() for problem in language.problems]
    for language in languages.values():
        if language is english:
            continue
        for file in sorted(english.files - language.files):
            problems.append(f"{language.name}/{file}: missing (English has {source}/{file})")
        for file in sorted(language.files - english.files):
            problems.append(f"{language.name}/{file}: a file English does not have")
        for message_id, theirs in english.messages.items():
            ours = language.messages.get(message_id)
            if ours is None:
                problems.append(f"{language.name}/{theirs.file}: {message_id}: missing")
                continue
            problems.extend(_compare(ours, theirs, english, language))
        for message_id, ours in language.messages.items():
            if message_id not in english.messages:
                problems.append(f"{ours.where}: a message English does not have")
    return problems


def _compare(ours: Message, theirs: Message, english: Language, language: Language) -> list[str]:
    problems = []
    if ours.file != theirs.file:
        problems.append(f"{ours.where}: in {ours.file}, English has it in {theirs.file}")
    if (ours.value is None) != (theirs.value is None):
        problems.append(f"{ours.where}: has a value where English has none, or none where it has")
    if set(ours.attributes) != set(theirs.attributes):
        problems.append(
            f"{ours.where}: attributes {sorted(ours.attributes)},"
            f" English has {sorted(theirs.attributes)}"
        )
    for attribute in [None, *sorted(set(ours.attributes) & set(theirs.attributes))]:
        mine = set(language.variables(ours.id, attribute))
        source = set(english.variables(theirs.id, attribute))
        if mine != source:
            name = ours.id + (f".{attribute}" if attribute else "")
            problems.append(
                f"{language.name}/{ours.file}: {name}: uses {_variables(mine)},"
                f" English uses {_variables(source)}"
            )
    return problems


# --- Rendering ------------------------------------------------------------------------------


def bundles(root: Path) -> dict[str, FluentBundle]:
    """Every language's messages in `root`, loaded as the bot loads its own."""
    return load_bundles(root, sorted({path.parent.name for path in root.glob("*/*.ftl")}))


def _kinds(languages: Mapping[str, Language], message_id: str) -> dict[str, str]:
    """What each variable of a message is, by its uses in every language."""
    kinds: dict[str, str] = {}
    for language in languages.values():
        for name, kind in language.variables(message_id).items():
            kinds[name] = _stronger(kind, kinds.get(name, "string"))
    return kinds


def worst_arguments(kinds: Mapping[str, str], text: str = LONG) -> dict[str, Any]:
    values = {"datetime": MOMENT, "number": NUMBER, "string": text}
    return {name: values[kind] for name, kind in kinds.items()}


@dataclass(frozen=True)
class Rendered:
    where: str
    language: str
    message_id: str
    arguments: Mapping[str, Any]
    text: str
    errors: tuple[str, ...]


def render_all(root: Path, text: str = LONG) -> list[Rendered]:
    """Every message with a value, in every language, with each of its variables at its worst
    (string ones set to `text`)."""
    languages = load_locales(root)
    loaded = bundles(root)
    rendered = []
    for name, language in languages.items():
        bundle = loaded[name]
        for message_id, message in language.messages.items():
            if message.value is None:
                continue
            arguments = worst_arguments(_kinds(languages, message_id), text)
            value = bundle.get_message(message_id).value
            assert value is not None  # the bundle read the file these messages came from
            result, errors = bundle.format_pattern(value, arguments)
            rendered.append(
                Rendered(
                    message.where,
                    name,
                    message_id,
                    arguments,
                    str(result),
                    tuple(map(str, errors)),
                )
            )
    return rendered


def render_problems(root: Path) -> list[str]:
    """A message that Fluent cannot render whole in some language, given its variables: an
    unknown message, term or function, a variable it was not given."""
    return [f"{r.where}: {'; '.join(r.errors)}" for r in render_all(root) if r.errors]


def limit_problems(root: Path) -> list[str]:
    """Each message, at its worst, fits where Telegram shows it: a `-button` label 64 UTF-16
    units and an `-alert` 200 of plain text (both with short string arguments), anything else
    a message's 4096 once its HTML is parsed. A translation of HTML English writes must parse
    as Telegram's HTML too (some messages are plain text, escaped by the caller: command
    descriptions with `<product_id>` in them)."""
    problems = []
    for r in render_all(root, SHORT):
        for suffix, limit in (("-button", BUTTON_LIMIT), ("-alert", ALERT_LIMIT)):
            if not r.message_id.endswith(suffix):
                continue
            if utf16_len(r.text) > limit:
                problems.append(f"{r.where}: {utf16_len(r.text)} UTF-16 units, over {limit}")
            if plain(r.text) != r.text:
                problems.append(f"{r.where}: holds HTML, but is shown as plain text")
    rendered = render_all(root, LONG)
    html = {r.message_id for r in rendered if r.language == SOURCE_LANGUAGE and _parses(r.text)}
    for r in rendered:
        if r.message_id.endswith(("-button", "-alert")):
            continue
        if utf16_len(plain(r.text)) > MESSAGE_LIMIT:
            length = utf16_len(plain(r.text))
            problems.append(f"{r.where}: {length} UTF-16 units, over {MESSAGE_LIMIT}")
        if r.message_id in html and not _parses(r.text):
            problems.append(f"{r.where}: Telegram would not parse its HTML, English's it would")
    return problems


def _parses(html: str) -> bool:
    try:
        format_text(html, "HTML")
    except EntityParseError:
        return False
    return True


# --- Python source --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A call of `bot.i18n.t`."""

    where: str  # "bot/texts/common.py:37"
    message_id: str | None  # None when the first argument is not a string literal
    keywords: frozenset[str] | None  # None when the call passes **arguments


def _absolute(module: str | None, level: int, package: list[str]) -> str:
    if level == 0:
        return module or ""
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def t_calls(source: str, filename: str, module: str) -> list[Call]:
    """The calls of `t` (imported from `bot.i18n`, under any name) and of `i18n.t` (the module
    imported, under any name) in one Python module named `module` ("bot.texts.common")."""
    tree = ast.parse(source, filename)
    parts = module.split(".")
    package = parts if filename.endswith("__init__.py") else parts[:-1]
    functions: set[str] = set()  # local names of bot.i18n.t
    modules: set[str] = set()  # dotted local names of bot.i18n
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = _absolute(node.module, node.level, package)
            for alias in node.names:
                if origin == "bot.i18n" and alias.name == "t":
                    functions.add(alias.asname or "t")
                if origin == "bot" and alias.name == "i18n":
                    modules.add(alias.asname or "i18n")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "bot.i18n":
                    modules.add(alias.asname or "bot.i18n")
    if module == "bot.i18n":
        functions.add("t")
    calls = []
    for node in sorted(ast.walk(tree), key=lambda node: getattr(node, "lineno", 0)):
        if isinstance(node, ast.Call) and _is_t(node.func, functions, modules):
            first = node.args[0] if node.args else None
            literal = first.value if isinstance(first, ast.Constant) else None
            spread = any(keyword.arg is None for keyword in node.keywords)
            calls.append(
                Call(
                    f"{filename}:{node.lineno}",
                    literal if isinstance(literal, str) else None,
                    None if spread else frozenset(k.arg for k in node.keywords if k.arg),
                )
            )
    return calls


def _is_t(func: ast.expr, functions: set[str], modules: set[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in functions
    return isinstance(func, ast.Attribute) and func.attr == "t" and _dotted(func.value) in modules


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (head := _dotted(node.value)):
        return f"{head}.{node.attr}"
    return None


def package_calls(package: Path) -> list[Call]:
    """Every call of `t` in a package's modules (`package` is the folder, e.g. bot/)."""
    root = package.parent
    calls = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(root)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        calls.extend(t_calls(path.read_text(encoding="utf-8"), relative.as_posix(), module))
    return calls


def call_problems(calls: Iterable[Call], english: Language) -> list[str]:
    """A call whose id is not a string literal or not an English message, or whose keyword
    arguments are not that message's variables."""
    problems = []
    for call in calls:
        if call.message_id is None:
            problems.append(f"{call.where}: t()'s first argument is not a string literal")
            continue
        message = english.messages.get(call.message_id)
        if message is None or message.value is None:
            problems.append(f"{call.where}: {call.message_id} is not an English message")
            continue
        variables = set(english.variables(call.message_id))
        if call.keywords is not None and call.keywords != variables:
            problems.append(
                f"{call.where}: {call.message_id} given {_variables(call.keywords)},"
                f" {message.where} uses {_variables(variables)}"
            )
    return problems


def unused_messages(calls: Iterable[Call], english: Language) -> list[str]:
    """English messages that neither the code nor another message uses."""
    used = {call.message_id for call in calls} | english.referenced()
    return [
        f"{message.where}: used neither by the code nor by another message"
        for message_id, message in english.messages.items()
        if message_id not in used
    ]
