"""GB 32100 unified social credit codes and GB 11714 organisation codes."""
import pytest

from control.org.codes import CodeError, is_valid_code, normalize_code, org_check_char, uscc_check_char


def test_published_uscc_example_is_valid():
    # The example printed in GB 32100-2015.
    assert normalize_code("91350100M000100Y43") == "91350100M000100Y43"


def test_uscc_check_char_rejects_a_typo():
    with pytest.raises(CodeError, match="校验码错误，应为 3"):
        normalize_code("91350100M000100Y44")


def test_uscc_forbidden_letters():
    with pytest.raises(CodeError, match="不允许的字符"):
        normalize_code("91350100M0001O0Y43")


def test_uscc_full_width_and_lower_case_are_normalised():
    assert normalize_code(" ９１３５０１００m０００１００y４３ ") == "91350100M000100Y43"


def test_uscc_check_char_covers_zero_case():
    # When the weighted sum is a multiple of 31 the check character is 0, not 31.
    for n in range(2000):
        body = f"1153092100000{n:04d}"
        check = uscc_check_char(body)
        assert check in "0123456789ABCDEFGHJKLMNPQRTUWXY"
        assert is_valid_code(body + check)


def test_org_code_known_example():
    # The organisation code embedded in 91350100M000100Y43 is M000100Y-4.
    assert org_check_char("M000100Y") == "4"
    assert normalize_code("M000100Y-4") == "M000100Y-4"
    assert normalize_code("M000100Y4") == "M000100Y-4"


def test_org_code_x_and_zero_check():
    bodies = [f"{n:08d}" for n in range(300)]
    checks = {org_check_char(b) for b in bodies}
    assert "X" in checks and "0" in checks


def test_seed_template_example_has_a_wrong_check_char():
    # 附件4's example 00927660-0 is illustrative: by GB 11714 its check character is 1.
    assert org_check_char("00927660") == "1"
    with pytest.raises(CodeError, match="应为 1"):
        normalize_code("00927660-0")
    assert normalize_code("00927660-1") == "00927660-1"


@pytest.mark.parametrize("bad", ["", "123", "12345678-", "ABCDEFGHIJKLMNOPQRS", "1234567-89"])
def test_malformed(bad):
    assert not is_valid_code(bad)
