"""The whole-scan similarity pass gives exactly what comparing every pair with rules.ngrams and
rules.dice gives: the same neighbour (the lowest index among equals) and the same float."""
import random

import pytest

from control.zombies import rules, similarity
from control.zombies.similarity import most_similar

ALPHABET = "abcAB 数据共享平台审批，。_-İΣσς1"


def pairwise(departments: list[int], texts: list[str | None], n: int) -> tuple[list[int], list[float]]:
    grams = [rules.ngrams(t, n) for t in texts]
    neighbour, score = [-1] * len(texts), [0.0] * len(texts)
    for i in range(len(texts)):
        for j in range(len(texts)):
            if i != j and departments[i] == departments[j] and grams[i] and grams[j]:
                s = rules.dice(grams[i], grams[j])
                if s > score[i]:
                    neighbour[i], score[i] = j, s
    return neighbour, score


def random_texts(rng: random.Random, count: int, longest: int) -> list[str | None]:
    return [None if rng.random() < 0.05 else "".join(rng.choices(ALPHABET, k=rng.randint(0, longest)))
            for _ in range(count)]


def assert_same(departments: list[int], texts: list[str | None], n: int) -> None:
    neighbour, score = most_similar(departments, texts, n)
    expected_neighbour, expected_score = pairwise(departments, texts, n)
    assert neighbour.tolist() == expected_neighbour
    assert score.tolist() == expected_score


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_equals_pairwise_dice_on_random_texts(n):
    rng = random.Random(n)
    for _ in range(20):
        count = rng.randint(1, 60)
        departments = [rng.randint(1, 6) for _ in range(count)]
        assert_same(departments, random_texts(rng, count, 12), n)


def test_a_large_department_counts_common_ngrams_as_a_matrix_product():
    rng = random.Random(7)
    texts = ["数据共享" + "".join(rng.choices("abcdef审批平台", k=rng.randint(1, 8))) for _ in range(120)]
    assert_same([1] * 100 + [2] * 20, texts, 2)


def test_small_working_sets_give_the_same_answer(monkeypatch):
    """Chunking by texts, n-grams, cells, pairs and rows changes memory, never the result."""
    monkeypatch.setattr(similarity, "_TEXTS", 5)
    monkeypatch.setattr(similarity, "_GRAMS", 16)
    monkeypatch.setattr(similarity, "_CELLS", 64)
    monkeypatch.setattr(similarity, "_PAIRS", 8)
    monkeypatch.setattr(similarity, "_ROWS", 4)
    rng = random.Random(3)
    departments = [rng.randint(1, 12) for _ in range(150)]
    assert_same(departments, random_texts(rng, 150, 10), 2)


def test_empty_texts_take_part_in_nothing():
    neighbour, score = most_similar([1, 1, 1, 2], ["", "，。 ", "数据平台", "数据平台"], 2)
    assert neighbour.tolist() == [-1, -1, -1, -1]
    assert score.tolist() == [0.0] * 4
    neighbour, score = most_similar([], [], 2)
    assert len(neighbour) == len(score) == 0


def test_ties_go_to_the_lowest_index_and_case_is_ignored():
    neighbour, score = most_similar([5, 5, 5], ["审批系统", "审批系统", "审批 系统!"], 2)
    assert neighbour.tolist() == [1, 0, 0]
    assert score.tolist() == [1.0, 1.0, 1.0]
    neighbour, _ = most_similar([1, 1], ["ΑΣ", "ας"], 2)   # a final sigma lowers as in its own text
    assert neighbour.tolist() == [1, 0]


def test_ngram_length_must_be_positive():
    with pytest.raises(ValueError):
        most_similar([1], ["a"], 0)


@pytest.mark.parametrize("grams", [1, 16, 128])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_departments_sorted_a_chunk_at_a_time_give_the_same_answer(monkeypatch, grams, n):
    """Chunks of whole departments, some many to a chunk and one larger than any chunk, sorted
    apart (and the texts normalised a few at a time) give what the pairwise reference gives."""
    monkeypatch.setattr(similarity, "_GRAMS", grams)
    monkeypatch.setattr(similarity, "_TEXTS", grams)
    rng = random.Random(100 * grams + n)
    departments = [rng.randint(1, 60) for _ in range(200)] + [1000] * 40
    texts = random_texts(rng, 200, 8) + random_texts(rng, 40, 30)
    mixed = list(zip(departments, texts, strict=True))
    rng.shuffle(mixed)
    assert_same([d for d, _ in mixed], [t for _, t in mixed], n)
