"""Just enough PromQL for the operations tests: the metric names an expression reads, and the value of
the simple aggregate-and-compare rules (``max by (queue) (metric) > 0``) over scraped samples."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable

from prometheus_client.parser import text_string_to_metric_families

FUNCTIONS_AND_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    "inf", "nan",
}  # fmt: skip
# Series Prometheus itself makes for every scrape target (not exported by a service).
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """Every metric an expression (or a Grafana query such as ``label_values(m, label)``) reads."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        name, rest = match.group(0), text[match.end() :].lstrip()
        if rest.startswith("("):  # a function
            continue
        if name.lower() in FUNCTIONS_AND_KEYWORDS or re.fullmatch(r"\d+[smhdwy]?", name):
            continue
        before = text[: match.start()].rstrip()
        if before.endswith(",") and "label_values" in text:  # the label argument of label_values(m, label)
            continue
        names.add(name)
    return names


def exported_names(exposition: str) -> set[str]:
    """Series names a /metrics page offers, declared ones included (a labelled metric that saw no
    sample yet still exports its name and type)."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            base = name.removesuffix("_total")
            if kind == "counter":
                names |= {base, base + "_total", base + "_created"}
            elif kind == "histogram":
                names |= {name + "_bucket", name + "_count", name + "_sum", name + "_created"}
            elif kind == "summary":
                names |= {name + "_count", name + "_sum", name + "_created"}
        elif line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return names


Samples = list[tuple[dict[str, str], float]]


def samples(exposition: str, name: str) -> Samples:
    return [
        (dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == name
    ]


_SIMPLE = re.compile(
    r"^\s*(max|min|sum)\s+by\s*\(([^)]*)\)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\)\s*(>|<|==|>=|<=|!=)\s*([0-9.]+)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, "<": operator.lt, "==": operator.eq, ">=": operator.ge, "<=": operator.le, "!=": operator.ne,
}  # fmt: skip
_AGG: dict[str, Callable[[Iterable[float]], float]] = {"max": max, "min": min, "sum": sum}


def evaluate(expr: str, series: Samples) -> dict[tuple[tuple[str, str], ...], float]:
    """The result vector of ``agg by (labels) (metric) OP number`` over the samples of that metric:
    the groups whose aggregate passes the comparison, with the aggregate as their value (as Prometheus
    returns it without ``bool``). Other forms raise ValueError."""
    m = _SIMPLE.match(expr)
    if m is None:
        raise ValueError(f"not a simple rule: {expr}")
    agg, by, _name, op, threshold = m.groups()
    keys = [k.strip() for k in by.split(",") if k.strip()]
    groups: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for labels, value in series:
        groups.setdefault(tuple((k, labels.get(k, "")) for k in keys), []).append(value)
    result = {g: _AGG[agg](values) for g, values in groups.items()}
    return {g: v for g, v in result.items() if _OPS[op](v, float(threshold))}
