"""Domain errors carry what an RFC 9457 problem document needs."""

from portfolio_identity.domain import errors


def _subclasses(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_error_has_a_unique_code_and_both_titles() -> None:
    classes = _subclasses(errors.DomainError)
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    for cls in classes:
        assert cls.code.startswith("identity.")
        assert cls.title_en and cls.title_zh


def test_problem_fields() -> None:
    error = errors.NoActingPerson("nobody can certify", field="duty")
    assert error.as_problem_fields() == {
        "code": "identity.no_acting_person",
        "title": "Nobody is available to act for this duty",
        "title_zh": "負責人與代理人皆無法執行此職務",
        "detail": "nobody can certify",
        "field": "duty",
        "rule": "R-DUTY-2",
    }
    assert errors.InvalidSchoolCode("x", rule="R-X").rule == "R-X"
    assert errors.InvalidSchoolCode("x").rule is None
