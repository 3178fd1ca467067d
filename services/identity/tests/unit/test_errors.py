"""Identity's domain errors are the shared kind: one code style, both titles, one mapping."""

from portfolio_identity.domain import errors
from portfolio_shared.errors import DomainError as SharedDomainError
from portfolio_shared.errors import is_kebab_code
from portfolio_shared.problems import problem_body


def _subclasses(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_error_has_a_unique_code_and_both_titles() -> None:
    classes = [c for c in _subclasses(errors.DomainError) if c.__module__ == errors.__name__]
    assert errors.DomainError is SharedDomainError and len(classes) >= 10
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    for cls in classes:
        assert is_kebab_code(cls.code), cls
        assert cls.title_en and cls.title_zh


def test_problem_fields() -> None:
    error = errors.NoActingPerson("nobody can certify", field="duty")
    assert problem_body(error, lang="en") == {
        "type": "https://portfolio.example.org/problems/no-acting-person",
        "title": "Nobody is available to act for this duty",
        "title_en": "Nobody is available to act for this duty",
        "title_zh": "負責人與代理人皆無法執行此職務",
        "status": 409,
        "code": "no-acting-person",
        "detail": "nobody can certify",
        "field": "duty",
        "rule": "R-DUTY-2",
    }
    assert problem_body(error)["title"] == "負責人與代理人皆無法執行此職務"
    assert errors.InvalidSchoolCode("x", rule="R-X").rule == "R-X"
    assert errors.InvalidSchoolCode("x").rule is None
    assert errors.InvalidSchoolCode("x").status == 422
